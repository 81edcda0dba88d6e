/**
 * The one MCP connection layer used by test-connection, status checks, tool listing and sessions.
 *
 * - Streamable HTTP first; if the server rejects the initial POST with an HTTP error other than 401/403
 *   (typically 404/405 from a legacy server) or answers something that is not MCP, fall back to the
 *   legacy HTTP+SSE transport (MCP spec, "Backwards compatibility").
 * - All traffic goes through the SSRF guard: a per-connection undici dispatcher whose connector only
 *   connects to checked addresses, and a guarded fetch that re-checks redirects.
 * - ssl_verify=false only affects this connection's dispatcher.
 * - The whole handshake (both transport attempts) is bounded by `timeoutSec`; every request too.
 */
import { performance } from "node:perf_hooks";
import type { OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { RequestOptions } from "@modelcontextprotocol/sdk/shared/protocol.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type {
  CallToolResult,
  Progress,
  Prompt,
  Resource,
  ResourceTemplate,
  Tool,
} from "@modelcontextprotocol/sdk/types.js";
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import type { Agent } from "undici";
import {
  type ClassifyContext,
  classifyMcpError,
  describeObservation,
  type HttpObservation,
  isNetworkFailure,
  McpConnectionError,
  timeoutMessage,
} from "./errors.js";
import type { GuardedFetch, SsrfGuard } from "./net/ssrf.js";

export interface McpEndpointConfig {
  url: string;
  authMethod: "none" | "api_key" | "oauth";
  /** header defaults to "Authorization" → "Authorization: Bearer <key>"; any other header gets the raw key. */
  apiKey?: { api_key: string; header?: string };
  /** Passed to the transport as `authProvider` when authMethod is "oauth". */
  oauthProvider?: OAuthClientProvider;
  /** Per request, and for the whole connect handshake. */
  timeoutSec: number;
  sslVerify: boolean;
}

export interface CallToolOptions {
  onprogress?: (progress: Progress) => void;
  signal?: AbortSignal;
  timeoutSec?: number;
}

export interface McpConnection {
  readonly serverInfo: { name: string; version: string };
  readonly protocolVersion: string;
  readonly transport: "streamable_http" | "sse";
  /** Wall time of connectMcp (URL check, transport negotiation, initialize). */
  readonly handshakeMs: number;
  /** True once closed locally or the transport reported closure. */
  readonly isClosed: boolean;
  /** The SDK client. Calls made directly on it are not classified or retried by the pool. */
  readonly client: Client;
  listTools(): Promise<Tool[]>;
  listResources(): Promise<Resource[]>;
  listResourceTemplates(): Promise<ResourceTemplate[]>;
  listPrompts(): Promise<Prompt[]>;
  /** Round-trip time in ms. */
  ping(): Promise<number>;
  callTool(name: string, args?: Record<string, unknown>, opts?: CallToolOptions): Promise<CallToolResult>;
  close(): Promise<void>;
}

export interface ConnectDeps {
  guard: SsrfGuard;
  clientInfo?: { name: string; version: string };
}

export const DEFAULT_CLIENT_INFO = { name: "mcpdeck", version: "0.1.0" } as const;

const MAX_PAGES = 100;

/** Request headers for the configured credentials. */
export function authHeaders(cfg: McpEndpointConfig): Record<string, string> | undefined {
  if (cfg.authMethod !== "api_key" || !cfg.apiKey) return undefined;
  const header = cfg.apiKey.header?.trim() || "Authorization";
  const value =
    header.toLowerCase() === "authorization" ? `Bearer ${cfg.apiKey.api_key}` : cfg.apiKey.api_key;
  return { [header]: value };
}

function secretsOf(cfg: McpEndpointConfig): string[] {
  return cfg.apiKey?.api_key ? [cfg.apiKey.api_key] : [];
}

/** Wraps the guarded fetch to remember the last response / network error (used for classification). */
function recordingFetch(base: GuardedFetch) {
  const state: { observed: HttpObservation | undefined; fetchError: unknown; recording: boolean } = {
    observed: undefined,
    fetchError: undefined,
    recording: true,
  };
  const fetch: GuardedFetch = async (input, init) => {
    if (!state.recording) return base(input, init);
    try {
      const res = await base(input, init);
      state.observed = {
        status: res.status,
        statusText: res.statusText,
        contentType: res.headers.get("content-type"),
        method: init?.method ?? "GET",
      };
      return res;
    } catch (err) {
      state.fetchError = err;
      throw err;
    }
  };
  return { fetch, state };
}

interface Attempt {
  client: Client;
  transport: Transport;
  kind: "streamable_http" | "sse";
  observed: HttpObservation | undefined;
  fetchError: unknown;
}

class TimeoutSignal extends Error {}

async function closeQuietly(client: Client | undefined, transport: Transport | undefined): Promise<void> {
  try {
    await client?.close();
  } catch {
    /* ignore */
  }
  try {
    await transport?.close();
  } catch {
    /* ignore */
  }
}

/**
 * Connects and initializes. Throws McpConnectionError (never a raw error) on failure.
 */
export async function connectMcp(cfg: McpEndpointConfig, deps: ConnectDeps): Promise<McpConnection> {
  const started = performance.now();
  const timeoutMs = Math.max(1, Math.round(cfg.timeoutSec * 1000));
  const secrets = secretsOf(cfg);
  const clientInfo = deps.clientInfo ?? DEFAULT_CLIENT_INFO;

  let parsedUrl: URL;
  try {
    parsedUrl = new URL(cfg.url);
  } catch {
    throw new McpConnectionError("PROTOCOL_ERROR", "The server URL is not a valid URL.", {
      detail: "invalid url",
    });
  }
  const baseCtx: Omit<ClassifyContext, "phase"> = {
    url: parsedUrl,
    timeoutSec: cfg.timeoutSec,
    authMethod: cfg.authMethod,
    secrets,
  };

  let dispatcher: Agent | undefined;
  let current: { client?: Client; transport?: Transport } = {};
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;

  const work = async (): Promise<McpConnection> => {
    const checked = await deps.guard.checkUrl(parsedUrl);
    if (timedOut) throw new TimeoutSignal();
    dispatcher = deps.guard.createDispatcher({
      rejectUnauthorized: cfg.sslVerify,
      connectTimeoutMs: timeoutMs,
    });
    const headers = authHeaders(cfg);
    const guardedFetch = deps.guard.guardedFetch(dispatcher, {
      sensitiveHeaders: headers ? Object.keys(headers) : [],
    });
    const authProvider = cfg.authMethod === "oauth" ? cfg.oauthProvider : undefined;
    const requestInit = headers ? { headers } : undefined;

    const attempt = async (kind: "streamable_http" | "sse"): Promise<Attempt> => {
      const rec = recordingFetch(guardedFetch);
      const transport: Transport =
        kind === "streamable_http"
          ? new StreamableHTTPClientTransport(checked.url, {
              fetch: rec.fetch,
              ...(requestInit ? { requestInit } : {}),
              ...(authProvider ? { authProvider } : {}),
            })
          : new SSEClientTransport(checked.url, {
              fetch: rec.fetch,
              ...(requestInit ? { requestInit } : {}),
              ...(authProvider ? { authProvider } : {}),
            });
      const client = new Client({ ...clientInfo }, { capabilities: {} });
      client.onerror = () => {
        /* transport noise (reconnects of the optional GET stream); failures surface on requests */
      };
      current = { client, transport };
      try {
        const remaining = Math.max(1, timeoutMs - (performance.now() - started));
        await client.connect(transport, { timeout: remaining });
      } catch (err) {
        await closeQuietly(client, transport);
        throw Object.assign(new AttemptFailed(kind, err), {
          observed: rec.state.observed,
          fetchError: rec.state.fetchError,
        });
      }
      if (timedOut) {
        await closeQuietly(client, transport);
        throw new TimeoutSignal();
      }
      rec.state.recording = false;
      return { client, transport, kind, observed: rec.state.observed, fetchError: rec.state.fetchError };
    };

    try {
      return finish(await attempt("streamable_http"));
    } catch (first) {
      if (!(first instanceof AttemptFailed)) throw first;
      if (timedOut) throw new TimeoutSignal();
      const ctxFirst: ClassifyContext = {
        ...baseCtx,
        phase: "connect",
        observed: first.observed,
        fetchError: first.fetchError,
      };
      if (!shouldFallBack(first, ctxFirst)) throw classifyMcpError(first.error, ctxFirst);
      try {
        return finish(await attempt("sse"));
      } catch (second) {
        if (!(second instanceof AttemptFailed)) throw second;
        if (timedOut) throw new TimeoutSignal();
        throw bothFailed(first, second, baseCtx);
      }
    }
  };

  const finish = (a: Attempt): McpConnection => {
    const handshakeMs = performance.now() - started;
    return new Connection(cfg, a, dispatcher as Agent, handshakeMs, baseCtx);
  };

  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      reject(new McpConnectionError("TIMEOUT", timeoutMessage(cfg.timeoutSec), { detail: "handshake" }));
    }, timeoutMs);
    timer.unref?.();
  });

  try {
    return await Promise.race([work(), deadline]);
  } catch (err) {
    if (timedOut) {
      void closeQuietly(current.client, current.transport);
      void dispatcher?.destroy().catch(() => undefined);
      throw new McpConnectionError("TIMEOUT", timeoutMessage(cfg.timeoutSec), { detail: "handshake" });
    }
    void dispatcher?.destroy().catch(() => undefined);
    if (err instanceof McpConnectionError) throw err;
    throw classifyMcpError(err, { ...baseCtx, phase: "connect" });
  } finally {
    clearTimeout(timer);
  }
}

class AttemptFailed extends Error {
  observed: HttpObservation | undefined;
  fetchError: unknown;
  constructor(
    readonly kind: "streamable_http" | "sse",
    readonly error: unknown,
  ) {
    super("attempt failed");
  }
}

function shouldFallBack(failed: AttemptFailed, ctx: ClassifyContext): boolean {
  if (isNetworkFailure(failed.error) || (failed.fetchError && isNetworkFailure(failed.fetchError)))
    return false;
  const classified = classifyMcpError(failed.error, ctx);
  if (classified.code === "AUTH_FAILED" || classified.code === "AUTH_REQUIRED") return false;
  if (classified.code === "TIMEOUT" || classified.code === "SSRF_BLOCKED") return false;
  // A well-formed JSON-RPC error to initialize: the server speaks streamable HTTP; don't mask its answer.
  if (classified.code === "PROTOCOL_ERROR" && classified.detail?.startsWith("JSON-RPC")) return false;
  return true;
}

function bothFailed(
  first: AttemptFailed,
  second: AttemptFailed,
  baseCtx: Omit<ClassifyContext, "phase">,
): McpConnectionError {
  const ctx: ClassifyContext = {
    ...baseCtx,
    phase: "connect",
    observed: second.observed,
    fetchError: second.fetchError,
  };
  const sse = classifyMcpError(second.error, ctx);
  // A network failure or an auth failure on the SSE attempt is more specific than "not MCP".
  if (
    sse.code === "AUTH_FAILED" ||
    sse.code === "AUTH_REQUIRED" ||
    sse.code === "TIMEOUT" ||
    sse.code === "SSRF_BLOCKED" ||
    sse.code === "DNS_FAILED" ||
    sse.code === "CONNECTION_REFUSED" ||
    sse.code === "TLS_FAILED"
  ) {
    return sse;
  }
  if (!first.observed && !second.observed) return sse;
  const a = describeObservation(first.observed);
  const b = describeObservation(second.observed);
  const aStatus = first.observed?.status;
  const bStatus = second.observed?.status;
  if ((aStatus !== undefined && aStatus >= 500) || (bStatus !== undefined && bStatus >= 500)) {
    return new McpConnectionError(
      "SERVER_ERROR",
      `The server failed: the Streamable HTTP request got ${a} and the legacy SSE request got ${b}. Check the server's logs.`,
      { httpStatus: aStatus !== undefined && aStatus >= 500 ? aStatus : bStatus },
    );
  }
  if (a === b && aStatus !== undefined && aStatus >= 200 && aStatus < 300) {
    return new McpConnectionError(
      "NOT_MCP",
      `The URL answered ${a}, which is not an MCP endpoint (expected JSON or an event stream).`,
      { httpStatus: aStatus },
    );
  }
  if (a === b) {
    return new McpConnectionError(
      "NOT_MCP",
      `The URL answered ${a} to both the Streamable HTTP and the legacy SSE transport, so it is not an MCP endpoint. Check the URL path (often /mcp or /sse).`,
      { httpStatus: aStatus },
    );
  }
  return new McpConnectionError(
    "NOT_MCP",
    `The URL is not an MCP endpoint: the Streamable HTTP request got ${a} and the legacy SSE request got ${b}. Check the URL path (often /mcp or /sse).`,
    { httpStatus: bStatus ?? aStatus },
  );
}

class Connection implements McpConnection {
  readonly serverInfo: { name: string; version: string };
  readonly protocolVersion: string;
  readonly transport: "streamable_http" | "sse";
  readonly handshakeMs: number;
  readonly client: Client;
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly sdkTransport: Transport;
  private readonly requestOptions: RequestOptions;
  private readonly ctx: ClassifyContext;
  private readonly timeoutMs: number;

  constructor(
    cfg: McpEndpointConfig,
    attempt: Attempt,
    private readonly dispatcher: Agent,
    handshakeMs: number,
    baseCtx: Omit<ClassifyContext, "phase">,
  ) {
    this.client = attempt.client;
    this.sdkTransport = attempt.transport;
    this.transport = attempt.kind;
    this.handshakeMs = handshakeMs;
    const info = this.client.getServerVersion();
    this.serverInfo = { name: info?.name ?? "unknown", version: info?.version ?? "unknown" };
    const transportVersion = (this.sdkTransport as { protocolVersion?: string }).protocolVersion;
    this.protocolVersion =
      transportVersion ?? (this.sdkTransport as { _protocolVersion?: string })._protocolVersion ?? "unknown";
    this.timeoutMs = Math.max(1, Math.round(cfg.timeoutSec * 1000));
    this.requestOptions = { timeout: this.timeoutMs };
    this.ctx = { ...baseCtx, phase: "request" };
    const previous = this.client.onclose;
    this.client.onclose = () => {
      this.closed = true;
      previous?.();
    };
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private fail(err: unknown): never {
    if (err instanceof Error && err.name === "AbortError") throw err;
    throw classifyMcpError(err, this.ctx);
  }

  /** Collects every page of a cursor-paginated list (bounded by MAX_PAGES). */
  private async collect<T>(
    supported: unknown,
    page: (
      params: { cursor: string } | undefined,
    ) => Promise<{ items: T[]; nextCursor?: string | undefined }>,
  ): Promise<T[]> {
    if (!supported) return [];
    try {
      const out: T[] = [];
      let cursor: string | undefined;
      for (let n = 0; n < MAX_PAGES; n++) {
        const r = await page(cursor ? { cursor } : undefined);
        out.push(...r.items);
        cursor = r.nextCursor;
        if (!cursor) break;
      }
      return out;
    } catch (err) {
      this.fail(err);
    }
  }

  listTools(): Promise<Tool[]> {
    return this.collect(this.client.getServerCapabilities()?.tools, async (params) => {
      const r = await this.client.listTools(params, this.requestOptions);
      return { items: r.tools, nextCursor: r.nextCursor };
    });
  }

  listResources(): Promise<Resource[]> {
    return this.collect(this.client.getServerCapabilities()?.resources, async (params) => {
      const r = await this.client.listResources(params, this.requestOptions);
      return { items: r.resources, nextCursor: r.nextCursor };
    });
  }

  listResourceTemplates(): Promise<ResourceTemplate[]> {
    return this.collect(this.client.getServerCapabilities()?.resources, async (params) => {
      const r = await this.client.listResourceTemplates(params, this.requestOptions);
      return { items: r.resourceTemplates, nextCursor: r.nextCursor };
    });
  }

  listPrompts(): Promise<Prompt[]> {
    return this.collect(this.client.getServerCapabilities()?.prompts, async (params) => {
      const r = await this.client.listPrompts(params, this.requestOptions);
      return { items: r.prompts, nextCursor: r.nextCursor };
    });
  }

  /** Round trip of `ping`, or of `tools/list` on servers that do not implement ping. */
  async ping(): Promise<number> {
    const t0 = performance.now();
    try {
      if (this.pingUnsupported) await this.client.listTools(undefined, this.requestOptions);
      else await this.client.ping(this.requestOptions);
    } catch (err) {
      if (!this.pingUnsupported && err instanceof McpError && err.code === ErrorCode.MethodNotFound) {
        this.pingUnsupported = true;
        return this.ping();
      }
      this.fail(err);
    }
    return performance.now() - t0;
  }
  private pingUnsupported = false;

  async callTool(
    name: string,
    args: Record<string, unknown> = {},
    opts: CallToolOptions = {},
  ): Promise<CallToolResult> {
    const timeoutSec = opts.timeoutSec ?? this.ctx.timeoutSec;
    const options: RequestOptions = {
      timeout: opts.timeoutSec === undefined ? this.timeoutMs : Math.max(1, Math.round(timeoutSec * 1000)),
    };
    if (opts.onprogress) {
      // The SDK only asks for progress (and only resets the timeout) when onprogress is given.
      options.onprogress = opts.onprogress;
      options.resetTimeoutOnProgress = true;
    }
    if (opts.signal) options.signal = opts.signal;
    try {
      return (await this.client.callTool({ name, arguments: args }, undefined, options)) as CallToolResult;
    } catch (err) {
      if (err instanceof Error && err.name === "AbortError") throw err;
      throw classifyMcpError(err, { ...this.ctx, timeoutSec });
    }
  }

  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    this.closed = true;
    const t = this.sdkTransport;
    if (t instanceof StreamableHTTPClientTransport && t.sessionId) {
      // Polite DELETE of the session; bounded, errors ignored.
      await Promise.race([
        t.terminateSession().catch(() => undefined),
        new Promise((r) => setTimeout(r, Math.min(1000, this.timeoutMs)).unref()),
      ]);
    }
    await closeQuietly(this.client, this.sdkTransport);
    await this.dispatcher.destroy().catch(() => undefined);
  }
}
