/**
 * @mcpdeck/demo-mcp — a real MCP server used to demo and test mcpdeck.
 *
 * startDemoMcpServer():       /mcp for both protocol eras — 2026-07-28 (stateless, `@modelcontextprotocol/server`
 *                             2.x) and the 2025 handshake era (sessions, 1.x SDK) — plus legacy HTTP+SSE at /sse
 *                             unless disabled; `modernEra: false` leaves /mcp to the 2025 era alone
 * startLegacySseOnlyServer(): ONLY the legacy HTTP+SSE transport (POST /sse → 405), to exercise client fallback
 */
import { startRuntime } from "./httpServer.js";

export { OAUTH_SCOPES, SERVER_NAME, SERVER_VERSION } from "./constants.js";
export { PERIOD_SUGGESTIONS } from "./prompts.js";
export { REPORT_CACHE_URI } from "./reportCache.js";
export { SIGNUPS_SCHEMA_URI } from "./resources.js";
export { TOOL_NAMES } from "./tools/index.js";

export interface DemoMcpOptions {
  /** TCP port; 0 = ephemeral (tests). Default 0. */
  port?: number;
  /** Interface to bind. Default 127.0.0.1. */
  host?: string;
  /** Protect the MCP endpoints with OAuth (in-memory authorization server on the same origin). */
  oauth?: boolean;
  /** OAuth access token lifetime in seconds (default 3600). */
  accessTokenTtlSec?: number;
  /** Require this key: "Authorization: Bearer <key>" OR header "X-API-Key: <key>". */
  apiKey?: string;
  /** Also serve the legacy HTTP+SSE transport at GET /sse + POST /messages. Default true. */
  legacySse?: boolean;
  /**
   * Serve the 2026-07-28 era at /mcp. Default true. False: /mcp speaks only the 2025-11-25 handshake
   * era, like a server from before 2026-07-28 (a client's 2026-07-28 probe is refused with 400, so it
   * falls back to `initialize`).
   */
  modernEra?: boolean;
  /** Anchor the signups dataset to this YYYY-MM-DD (default: today in UTC). */
  referenceDate?: string;
  /** Accepted Host header names (DNS-rebinding protection); default: loopback names when bound to loopback. */
  allowedHosts?: string[];
  /** Close sessions idle for this long (ms). Default 30 minutes. */
  sessionIdleMs?: number;
  /** Receives one line per notable event (session opened/closed, a tool stopped by cancellation, errors). Default: silent. */
  log?: (line: string) => void;
}

export interface DemoMcpHandle {
  /** MCP endpoint for both eras, e.g. http://127.0.0.1:54321/mcp (legacy-only server: the /sse URL). */
  url: string;
  /** Legacy HTTP+SSE endpoint, e.g. http://127.0.0.1:54321/sse. */
  sseUrl: string;
  /** e.g. http://127.0.0.1:54321 */
  origin: string;
  /** Closes all sessions and the listener (destroying open connections). Idempotent. */
  close(): Promise<void>;
  /** Present in OAuth mode. */
  oauth?: {
    /** Invalidates every authorization code, access token and refresh token. */
    revokeAllTokens(): void;
    /** Access tokens issued so far (authorization-code and refresh grants). */
    issuedTokenCount(): number;
  };
}

export type LegacySseOnlyOptions = Omit<DemoMcpOptions, "legacySse" | "modernEra">;

const DEFAULT_SESSION_IDLE_MS = 30 * 60 * 1000;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

async function start(opts: DemoMcpOptions, streamable: boolean, legacySse: boolean): Promise<DemoMcpHandle> {
  if (
    opts.referenceDate !== undefined &&
    !(DATE_ONLY.test(opts.referenceDate) && !Number.isNaN(Date.parse(opts.referenceDate)))
  ) {
    throw new Error(`referenceDate must be YYYY-MM-DD, got ${opts.referenceDate}`);
  }
  if (opts.apiKey !== undefined && opts.apiKey.trim() === "") throw new Error("apiKey must not be empty");
  const runtime = await startRuntime({
    port: opts.port ?? 0,
    host: opts.host ?? "127.0.0.1",
    oauth: opts.oauth ?? false,
    accessTokenTtlSec: opts.accessTokenTtlSec,
    apiKey: opts.apiKey,
    allowedHosts: opts.allowedHosts,
    referenceDate: opts.referenceDate,
    sessionIdleMs: opts.sessionIdleMs ?? DEFAULT_SESSION_IDLE_MS,
    log: opts.log ?? (() => {}),
    streamable,
    modernEra: streamable && (opts.modernEra ?? true),
    legacySse,
  });
  const sseUrl = `${runtime.origin}/sse`;
  const handle: DemoMcpHandle = {
    url: streamable ? `${runtime.origin}/mcp` : sseUrl,
    sseUrl,
    origin: runtime.origin,
    close: runtime.close,
  };
  const provider = runtime.oauth;
  if (provider) {
    handle.oauth = {
      revokeAllTokens: () => provider.revokeAllTokens(),
      issuedTokenCount: () => provider.issuedTokenCount(),
    };
  }
  return handle;
}

/** Starts the demo MCP server: streamable HTTP at /mcp, plus legacy SSE at /sse unless `legacySse: false`. */
export function startDemoMcpServer(opts: DemoMcpOptions = {}): Promise<DemoMcpHandle> {
  return start(opts, true, opts.legacySse ?? true);
}

/**
 * Starts a server that ONLY speaks the legacy HTTP+SSE transport: GET /sse opens the stream,
 * POST /messages?sessionId= carries requests, and POST /sse (what a streamable HTTP client tries first)
 * is answered 405. `handle.url` is the /sse URL.
 */
export function startLegacySseOnlyServer(opts: LegacySseOnlyOptions = {}): Promise<DemoMcpHandle> {
  return start(opts, false, true);
}
