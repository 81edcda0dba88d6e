/**
 * The one MCP connection layer used by test-connection, status checks, tool listing and sessions,
 * on the MCP SDK 2.x client.
 *
 * - Protocol era per server (era.ts): the modern era (2026-07-28) where the server speaks it, the
 *   legacy era (initialize handshake) otherwise; the verdict is remembered and handed back.
 * - Streamable HTTP first; if the server rejects it with an HTTP error other than 401/403
 *   (typically 404/405 from a legacy server) or answers something that is not MCP, fall back to
 *   the legacy HTTP+SSE transport (MCP spec, "Backwards compatibility").
 * - All traffic goes through the SSRF guard: a per-connection undici dispatcher whose connector only
 *   connects to checked addresses, and a guarded fetch that re-checks redirects.
 * - ssl_verify=false only affects this connection's dispatcher.
 * - The whole handshake (every attempt) is bounded by `timeoutSec`; every request too, as an
 *   inactivity timeout that progress resets and a person answering an input request pauses
 *   (call-scope.ts). Per-call hooks (hooks.ts) carry progress, logs, input requests and task status.
 */
import { performance } from "node:perf_hooks";
import {
  type CallToolRequestOptions,
  type CallToolResult,
  Client,
  type CompleteResult,
  type GetPromptResult,
  LOG_LEVEL_META_KEY,
  type OAuthClientProvider,
  type PriorDiscovery,
  type Prompt,
  ProtocolError,
  ProtocolErrorCode,
  type ReadResourceResult,
  type RequestOptions,
  type Resource,
  type ResourceTemplateType,
  SdkHttpError,
  type ServerCapabilities,
  SSEClientTransport,
  StreamableHTTPClientTransport,
  specTypeSchemas,
  type Tool,
  type Transport,
} from "@modelcontextprotocol/client";
import type { Agent } from "undici";
import { attributingFetch } from "./attribution.js";
import { CallRouter, CallScope } from "./call-scope.js";
import { ChangeFeed, Emitter, type EventName, type Listener } from "./change-feed.js";
import { type EraVerdict, type ProtocolEra, priorFor, type TransportKind, verdictFor } from "./era.js";
import {
  type ClassifyContext,
  classifyMcpError,
  describeObservation,
  errorChain,
  type HttpObservation,
  isNetworkFailure,
  McpConnectionError,
  timeoutMessage,
} from "./errors.js";
import type { CallHooks, LoggingLevel } from "./hooks.js";
import { answerElicitation, answerSampling } from "./input.js";
import { schemaProblem } from "./json-schema.js";
import type { GuardedFetch, SsrfGuard } from "./net/ssrf.js";
import { callToolAsTask, reportTaskStatus } from "./tasks.js";

export interface McpEndpointConfig {
  url: string;
  authMethod: "none" | "api_key" | "oauth";
  /** header defaults to "Authorization" → "Authorization: Bearer <key>"; any other header gets the raw key. */
  apiKey?: { api_key: string; header?: string };
  /** Passed to the transport as `authProvider` when authMethod is "oauth". */
  oauthProvider?: OAuthClientProvider;
  /** Per request (inactivity), and for the whole connect handshake. */
  timeoutSec: number;
  sslVerify: boolean;
  /** The era verdict of an earlier connection (`McpConnection.eraVerdict`); skips the probe. */
  era?: EraVerdict | undefined;
}

/** Argument completion for a prompt argument or a resource template variable. */
export interface CompletionRequest {
  ref: { type: "ref/prompt"; name: string } | { type: "ref/resource"; uri: string };
  argument: { name: string; value: string };
  /** Values of the other arguments already chosen. */
  context?: { arguments?: Record<string, string> };
}

export type Completion = CompleteResult["completion"];

export interface McpConnection {
  readonly serverInfo: { name: string; version: string };
  readonly protocolVersion: string;
  readonly era: ProtocolEra;
  /** What to remember about this server's era (store it, pass it back as `McpEndpointConfig.era`). */
  readonly eraVerdict: EraVerdict | undefined;
  readonly transport: TransportKind;
  /** Wall time of connectMcp (URL check, transport negotiation, era probe, initialize). */
  readonly handshakeMs: number;
  /** True once closed locally or the transport reported closure. */
  readonly isClosed: boolean;
  readonly capabilities: ServerCapabilities;
  /** The SDK client. Calls made directly on it are not classified or retried by the pool. */
  readonly client: Client;
  /** Fetches the tool list (every page) and refreshes the cached list. */
  listTools(): Promise<Tool[]>;
  /** The tool list as last fetched; refreshed by itself when the server says it changed. */
  cachedTools(): readonly Tool[] | undefined;
  listResources(): Promise<Resource[]>;
  listResourceTemplates(): Promise<ResourceTemplateType[]>;
  listPrompts(): Promise<Prompt[]>;
  readResource(uri: string, hooks?: CallHooks): Promise<ReadResourceResult>;
  getPrompt(name: string, args?: Record<string, string>, hooks?: CallHooks): Promise<GetPromptResult>;
  /** Suggestions for an argument; empty when the server does not offer completions. */
  complete(request: CompletionRequest): Promise<Completion>;
  /** Watch a resource: `resource_updated` events follow when it changes. */
  subscribeResource(uri: string): Promise<void>;
  unsubscribeResource(uri: string): Promise<void>;
  /** Minimum level of the server's log messages (legacy: `logging/setLevel`; modern: sent with each request). */
  setLogLevel(level: LoggingLevel): Promise<void>;
  /** Resolves once list changes are being delivered (modern era: a `subscriptions/listen` stream is open). */
  watchChanges(): Promise<void>;
  on<K extends EventName>(event: K, listener: Listener<K>): () => void;
  /** Round-trip time in ms. */
  ping(): Promise<number>;
  callTool(name: string, args?: Record<string, unknown>, hooks?: CallHooks): Promise<CallToolResult>;
  close(): Promise<void>;
}

export interface ConnectDeps {
  guard: SsrfGuard;
  clientInfo?: { name: string; version: string };
}

export const DEFAULT_CLIENT_INFO = { name: "mcpdeck", version: "0.1.0" } as const;

/** What mcpdeck can do for servers: elicitation (form and URL) and sampling, both through the call's hooks. */
const CLIENT_CAPABILITIES = { elicitation: { form: {}, url: {} }, sampling: {} };

const MAX_PAGES = 100;
/** The SDK's own request timeout is disabled: the call scope's clock decides (call-scope.ts). */
const NO_SDK_TIMEOUT = 2_147_483_647;

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

/**
 * A POST answered 404/405: there is no Streamable HTTP endpoint here at all. On the era probe this
 * ends the Streamable HTTP attempt at once (the SDK would otherwise try a legacy `initialize` on
 * the same URL, bound to get the same answer) so the legacy SSE transport is tried next.
 */
class NoStreamableEndpoint extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status} to the era probe`);
  }
}

const isEraProbe = (init: RequestInit | undefined) =>
  init?.method === "POST" &&
  typeof init.body === "string" &&
  init.body.includes('"method":"server/discover"');

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
      if ((res.status === 404 || res.status === 405) && isEraProbe(init)) {
        await res.body?.cancel().catch(() => undefined);
        throw new NoStreamableEndpoint(res.status);
      }
      return res;
    } catch (err) {
      state.fetchError = err;
      throw err;
    }
  };
  return { fetch, state };
}

/** A client wired to the connection's router and events (handlers exist before the first message). */
interface Wiring {
  router: CallRouter;
  events: Emitter;
  /** Set once the connection exists: the list-changed handler refreshes its tool cache. */
  onToolsChanged?: () => void;
}

function createClient(
  clientInfo: { name: string; version: string },
  wiring: Wiring,
  negotiate: boolean,
): Client {
  const client = new Client(
    { ...clientInfo },
    {
      capabilities: CLIENT_CAPABILITIES,
      listMaxPages: MAX_PAGES,
      ...(negotiate ? { versionNegotiation: { mode: "auto" as const } } : {}),
    },
  );
  const { router, events } = wiring;
  client.setRequestHandler("elicitation/create", (request, ctx) =>
    answerElicitation(router, request.params, ctx.mcpReq._meta, ctx.mcpReq.signal),
  );
  client.setRequestHandler("sampling/createMessage", (request, ctx) =>
    answerSampling(router, request.params, ctx.mcpReq._meta, ctx.mcpReq.signal),
  );
  client.setNotificationHandler("notifications/message", (notification) => {
    const { level, logger, data } = notification.params;
    const message = { level, data, ...(logger !== undefined ? { logger } : {}) };
    const onLog = router.related(notification.params._meta)?.hooks.onLog;
    if (onLog) onLog(message);
    else events.emit("log", message);
  });
  client.setNotificationHandler("notifications/resources/updated", (notification) => {
    events.emit("resource_updated", { uri: notification.params.uri });
  });
  client.setNotificationHandler("notifications/tools/list_changed", () => wiring.onToolsChanged?.());
  client.setNotificationHandler("notifications/prompts/list_changed", () =>
    events.emit("prompts_changed", undefined),
  );
  client.setNotificationHandler("notifications/resources/list_changed", () =>
    events.emit("resources_changed", undefined),
  );
  client.setNotificationHandler(
    "notifications/tasks/status",
    { params: specTypeSchemas.TaskStatusNotificationParams },
    (params) => {
      const scope = router.forTask(params.taskId);
      if (scope) reportTaskStatus(scope, params);
    },
  );
  client.onerror = () => {
    /* transport noise (reconnects of the optional GET stream); failures surface on requests */
  };
  return client;
}

interface Attempt {
  client: Client;
  transport: Transport;
  kind: TransportKind;
  observed: HttpObservation | undefined;
  fetchError: unknown;
  /** The verdict this attempt was made with, if any. */
  prior: PriorDiscovery | undefined;
}

class TimeoutSignal extends Error {}

/**
 * The legacy SSE transport dispatches every event of a chunk synchronously, and the SDK handles a
 * response at once but a notification one microtask later: a final progress notification sharing
 * a chunk with the result found its request already gone and was dropped (typescript-sdk#2580, in
 * SDK 1.x and still in 2.4). Delivering responses one microtask later keeps the server's order.
 */
function deliverResponsesAfterNotifications(transport: Transport): void {
  const deliver = transport.onmessage;
  if (!deliver) return;
  transport.onmessage = (message, extra) => {
    if ("id" in message && !("method" in message)) queueMicrotask(() => deliver(message, extra));
    else deliver(message, extra);
  };
}

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
 * Connects, probing the protocol era (or adopting `cfg.era`). Throws McpConnectionError (never a raw
 * error) on failure.
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
  const wiring: Wiring = { router: new CallRouter(), events: new Emitter() };

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

    const attempt = async (kind: TransportKind, prior: PriorDiscovery | undefined): Promise<Attempt> => {
      const rec = recordingFetch(attributingFetch(guardedFetch));
      const options = {
        fetch: rec.fetch,
        ...(requestInit ? { requestInit } : {}),
        ...(authProvider ? { authProvider } : {}),
      };
      const transport: Transport =
        kind === "streamable_http"
          ? new StreamableHTTPClientTransport(checked.url, options)
          : new SSEClientTransport(checked.url, options);
      // The legacy HTTP+SSE transport predates the modern era: no probe there.
      const client = createClient(clientInfo, wiring, kind === "streamable_http");
      current = { client, transport };
      try {
        const remaining = Math.max(1, timeoutMs - (performance.now() - started));
        await client.connect(transport, { timeout: remaining, ...(prior ? { prior } : {}) });
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
      if (kind === "sse") deliverResponsesAfterNotifications(transport);
      rec.state.recording = false;
      return {
        client,
        transport,
        kind,
        observed: rec.state.observed,
        fetchError: rec.state.fetchError,
        prior,
      };
    };

    // A remembered verdict first; if the server no longer fits it, probe afresh.
    const remembered = priorFor(cfg.era);
    if (remembered) {
      try {
        return finish(await attempt(remembered.transport, remembered.prior));
      } catch (failed) {
        if (!(failed instanceof AttemptFailed)) throw failed;
        if (timedOut) throw new TimeoutSignal();
        const ctx: ClassifyContext = {
          ...baseCtx,
          phase: "connect",
          observed: failed.observed,
          fetchError: failed.fetchError,
        };
        if (!worthProbingAgain(failed, ctx)) throw classifyMcpError(failed.error, ctx);
      }
    }

    try {
      return finish(await attempt("streamable_http", undefined));
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
        return finish(await attempt("sse", undefined));
      } catch (second) {
        if (!(second instanceof AttemptFailed)) throw second;
        if (timedOut) throw new TimeoutSignal();
        throw bothFailed(first, second, baseCtx);
      }
    }
  };

  const finish = (a: Attempt): McpConnection => {
    const handshakeMs = performance.now() - started;
    return new Connection(cfg, a, dispatcher as Agent, handshakeMs, baseCtx, wiring);
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
    readonly kind: TransportKind,
    readonly error: unknown,
  ) {
    super("attempt failed");
  }
}

/** Failures the other transport (or a fresh probe) would meet just the same. */
function unrecoverable(failed: AttemptFailed, ctx: ClassifyContext): McpConnectionError | undefined {
  if (isNetworkFailure(failed.error) || (failed.fetchError && isNetworkFailure(failed.fetchError))) {
    return classifyMcpError(failed.error, ctx);
  }
  const classified = classifyMcpError(failed.error, ctx);
  if (["AUTH_FAILED", "AUTH_REQUIRED", "TIMEOUT", "SSRF_BLOCKED"].includes(classified.code))
    return classified;
  return undefined;
}

function worthProbingAgain(failed: AttemptFailed, ctx: ClassifyContext): boolean {
  return unrecoverable(failed, ctx) === undefined;
}

function shouldFallBack(failed: AttemptFailed, ctx: ClassifyContext): boolean {
  if (unrecoverable(failed, ctx)) return false;
  const classified = classifyMcpError(failed.error, ctx);
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

/**
 * A request refused the way a legacy server refuses a modern-era request (an HTTP 4xx answer, or
 * an unknown method / unsupported version): the remembered modern verdict is stale.
 */
function looksLikeStaleEra(error: unknown): boolean {
  for (const e of errorChain(error)) {
    if (e instanceof SdkHttpError && [400, 404, 405, 406, 415].includes(e.status)) return true;
    if (
      e instanceof ProtocolError &&
      (e.code === ProtocolErrorCode.MethodNotFound || e.code === ProtocolErrorCode.UnsupportedProtocolVersion)
    ) {
      return true;
    }
  }
  return false;
}

class Connection implements McpConnection {
  readonly serverInfo: { name: string; version: string };
  readonly protocolVersion: string;
  readonly era: ProtocolEra;
  readonly eraVerdict: EraVerdict | undefined;
  readonly transport: TransportKind;
  readonly handshakeMs: number;
  readonly client: Client;
  readonly capabilities: ServerCapabilities;
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly sdkTransport: Transport;
  private readonly listOptions: RequestOptions;
  private readonly ctx: ClassifyContext;
  private readonly timeoutSec: number;
  private readonly timeoutMs: number;
  private readonly router: CallRouter;
  private readonly events: Emitter;
  private readonly feed: ChangeFeed;
  /** Adopted from a remembered modern verdict and not yet confirmed by an answer. */
  private unconfirmedPrior: boolean;
  private pingUnsupported = false;
  private logLevel: LoggingLevel | undefined;
  private tools: Tool[] | undefined;
  private toolIndex = new Map<string, { tool: Tool; sendable: Tool }>();
  private refreshingTools: Promise<void> | undefined;
  private toolsDirty = false;

  constructor(
    cfg: McpEndpointConfig,
    attempt: Attempt,
    private readonly dispatcher: Agent,
    handshakeMs: number,
    baseCtx: Omit<ClassifyContext, "phase">,
    wiring: Wiring,
  ) {
    this.client = attempt.client;
    this.sdkTransport = attempt.transport;
    this.transport = attempt.kind;
    this.handshakeMs = handshakeMs;
    this.router = wiring.router;
    this.events = wiring.events;
    wiring.onToolsChanged = () => this.refreshTools();
    const info = this.client.getServerVersion();
    this.serverInfo = { name: info?.name ?? "unknown", version: info?.version ?? "unknown" };
    this.protocolVersion = this.client.getNegotiatedProtocolVersion() ?? "unknown";
    this.era = this.client.getProtocolEra() ?? "legacy";
    this.capabilities = this.client.getServerCapabilities() ?? {};
    this.unconfirmedPrior = attempt.prior?.kind === "modern";
    this.eraVerdict = verdictFor({
      era: this.era,
      transport: this.transport,
      protocolVersion: this.protocolVersion,
      discover: this.client.getDiscoverResult(),
      checkedAt: attempt.prior && cfg.era ? cfg.era.checked_at : new Date().toISOString(),
    });
    this.timeoutSec = cfg.timeoutSec;
    this.timeoutMs = Math.max(1, Math.round(cfg.timeoutSec * 1000));
    this.listOptions = { timeout: this.timeoutMs };
    this.ctx = { ...baseCtx, phase: "request" };
    this.feed = new ChangeFeed(this.client, this.era, this.capabilities, this.timeoutMs);
    const previous = this.client.onclose;
    this.client.onclose = () => {
      this.closed = true;
      previous?.();
    };
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Classifies a request failure, marking it when it shows the remembered era is stale. */
  private classify(err: unknown, scope?: CallScope): Error {
    const classified = scope ? scope.failure(err, this.ctx) : classifyMcpError(err, this.ctx);
    if (!(classified instanceof McpConnectionError) || !this.unconfirmedPrior || !looksLikeStaleEra(err)) {
      return classified;
    }
    return new McpConnectionError(
      classified.code,
      `${classified.message} (the server no longer speaks the protocol era mcpdeck remembered)`,
      {
        ...(classified.detail !== undefined ? { detail: classified.detail } : {}),
        ...(classified.httpStatus !== undefined ? { httpStatus: classified.httpStatus } : {}),
        staleEra: true,
      },
    );
  }

  /** Fails fast once closed (the SDK would answer some requests from its empty state instead). */
  private assertOpen(): void {
    if (this.closed) {
      throw new McpConnectionError("SERVER_ERROR", "The connection to the MCP server was closed.", {
        detail: "closed",
        sessionLost: true,
      });
    }
  }

  /** Runs one plain request: classified failures, and the first answer confirms a remembered era. */
  private async request<T>(op: () => Promise<T>): Promise<T> {
    this.assertOpen();
    try {
      const result = await op();
      this.unconfirmedPrior = false;
      return result;
    } catch (err) {
      throw this.classify(err);
    }
  }

  /** Runs one request as a call with hooks (progress, logs, input, cancellation, timeouts). */
  private async asCall<T>(
    hooks: CallHooks,
    op: (scope: CallScope, options: RequestOptions) => Promise<T>,
  ): Promise<T> {
    this.assertOpen();
    const scope = new CallScope(hooks, hooks.timeoutSec ?? this.timeoutSec, this.router);
    const options: RequestOptions = {
      signal: scope.signal,
      timeout: NO_SDK_TIMEOUT,
      onprogress: (progress) => {
        scope.touch();
        hooks.onProgress?.(progress);
      },
    };
    try {
      const result = await op(scope, options);
      this.unconfirmedPrior = false;
      return result;
    } catch (err) {
      if (err instanceof McpConnectionError) throw err;
      throw this.classify(err, scope);
    } finally {
      scope.end();
    }
  }

  /**
   * `_meta` a call's request carries: the call's mark (attribution.ts, removed before it leaves) and
   * the log level, in the modern era (legacy uses `logging/setLevel`).
   */
  private requestMeta(scope: CallScope, hooks: CallHooks): { _meta: Record<string, unknown> } {
    const level = hooks.logLevel ?? this.logLevel;
    return {
      _meta: scope.mark(this.era === "modern" && level ? { [LOG_LEVEL_META_KEY]: level } : undefined),
    };
  }

  async listTools(): Promise<Tool[]> {
    if (!this.capabilities.tools) return [];
    const { tools } = await this.request(() => this.client.listTools(undefined, this.listOptions));
    this.setTools(tools);
    return tools;
  }

  cachedTools(): readonly Tool[] | undefined {
    return this.tools;
  }

  private setTools(tools: Tool[]): void {
    this.tools = tools;
    // Output schemas are checked here (one way, with mcpdeck's message), so the definition handed
    // to the SDK for a call leaves it out.
    this.toolIndex = new Map(
      tools.map((tool) => {
        const { outputSchema: _checkedHere, ...sendable } = tool;
        return [tool.name, { tool, sendable }];
      }),
    );
    // Once there is a list to keep fresh, ask for list changes (modern: a listen stream).
    void this.feed.watchLists().catch(() => undefined);
  }

  /** Refreshes the cached tool list after `notifications/tools/list_changed` (one refresh at a time). */
  private refreshTools(): void {
    if (this.refreshingTools) {
      this.toolsDirty = true;
      return;
    }
    this.refreshingTools = (async () => {
      do {
        this.toolsDirty = false;
        try {
          const tools = await this.listTools();
          this.events.emit("tools_changed", tools);
        } catch {
          // Forget the stale list: the next call fetches it again.
          this.tools = undefined;
          this.toolIndex.clear();
        }
      } while (this.toolsDirty && !this.closed);
    })().finally(() => {
      this.refreshingTools = undefined;
    });
  }

  private async toolNamed(name: string): Promise<{ tool: Tool; sendable: Tool } | undefined> {
    if (this.tools === undefined && this.capabilities.tools) await this.listTools();
    return this.toolIndex.get(name);
  }

  listResources(): Promise<Resource[]> {
    if (!this.capabilities.resources) return Promise.resolve([]);
    return this.request(async () => (await this.client.listResources(undefined, this.listOptions)).resources);
  }

  listResourceTemplates(): Promise<ResourceTemplateType[]> {
    if (!this.capabilities.resources) return Promise.resolve([]);
    return this.request(
      async () => (await this.client.listResourceTemplates(undefined, this.listOptions)).resourceTemplates,
    );
  }

  listPrompts(): Promise<Prompt[]> {
    if (!this.capabilities.prompts) return Promise.resolve([]);
    return this.request(async () => (await this.client.listPrompts(undefined, this.listOptions)).prompts);
  }

  readResource(uri: string, hooks: CallHooks = {}): Promise<ReadResourceResult> {
    return this.asCall(hooks, (scope, options) =>
      this.client.readResource({ uri, ...this.requestMeta(scope, hooks) }, options),
    );
  }

  getPrompt(
    name: string,
    args: Record<string, string> = {},
    hooks: CallHooks = {},
  ): Promise<GetPromptResult> {
    return this.asCall(hooks, (scope, options) =>
      this.client.getPrompt({ name, arguments: args, ...this.requestMeta(scope, hooks) }, options),
    );
  }

  async complete(request: CompletionRequest): Promise<Completion> {
    if (!this.capabilities.completions) return { values: [] };
    const result = await this.request(() =>
      this.client.complete(
        {
          ref: request.ref,
          argument: request.argument,
          ...(request.context ? { context: request.context } : {}),
        },
        this.listOptions,
      ),
    );
    return result.completion;
  }

  subscribeResource(uri: string): Promise<void> {
    return this.request(() => this.feed.subscribe(uri));
  }

  unsubscribeResource(uri: string): Promise<void> {
    return this.request(() => this.feed.unsubscribe(uri));
  }

  async setLogLevel(level: LoggingLevel): Promise<void> {
    if (!this.capabilities.logging) {
      throw new McpConnectionError("PROTOCOL_ERROR", "The MCP server does not offer log messages.", {
        detail: "logging",
      });
    }
    this.logLevel = level;
    if (this.era === "legacy") await this.request(() => this.client.setLoggingLevel(level, this.listOptions));
  }

  watchChanges(): Promise<void> {
    return this.request(() => this.feed.watchLists());
  }

  on<K extends EventName>(event: K, listener: Listener<K>): () => void {
    return this.events.on(event, listener);
  }

  /**
   * Round trip of `ping` (legacy era; `tools/list` on servers that do not implement ping) or of
   * `server/discover` (modern era, which has no ping).
   */
  async ping(): Promise<number> {
    this.assertOpen();
    const t0 = performance.now();
    try {
      if (this.era === "modern") await this.client.discover(this.listOptions);
      else if (this.pingUnsupported) await this.client.listTools(undefined, this.listOptions);
      else await this.client.ping(this.listOptions);
      this.unconfirmedPrior = false;
    } catch (err) {
      if (
        this.era === "legacy" &&
        !this.pingUnsupported &&
        err instanceof ProtocolError &&
        err.code === ProtocolErrorCode.MethodNotFound
      ) {
        this.pingUnsupported = true;
        return this.ping();
      }
      throw this.classify(err);
    }
    return performance.now() - t0;
  }

  async callTool(
    name: string,
    args: Record<string, unknown> = {},
    hooks: CallHooks = {},
  ): Promise<CallToolResult> {
    const known = await this.toolNamed(name);
    const result = await this.asCall(hooks, (scope, options) => {
      const params = { name, arguments: args, ...this.requestMeta(scope, hooks) };
      const support = known?.tool.execution?.taskSupport;
      if (this.era === "legacy" && (support === "required" || (support === "optional" && hooks.preferTask))) {
        return callToolAsTask({
          client: this.client,
          scope,
          params,
          requestOptions: options,
          bindTask: (taskId) => this.router.bindTask(taskId, scope),
          cancelTimeoutMs: this.timeoutMs,
        });
      }
      const callOptions: CallToolRequestOptions = known
        ? { ...options, toolDefinition: known.sendable }
        : options;
      return this.client.callTool(params, callOptions);
    });
    if (known?.tool.outputSchema && !result.isError) checkStructuredContent(known.tool, result);
    return result;
  }

  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    this.closed = true;
    this.feed.close();
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

/** A tool with an output schema must return structured content that matches it. */
function checkStructuredContent(tool: Tool, result: CallToolResult): void {
  if (result.structuredContent === undefined) {
    throw new McpConnectionError(
      "PROTOCOL_ERROR",
      `The tool "${tool.name}" declares an output schema but returned no structured content.`,
      { detail: "outputSchema" },
    );
  }
  const problem = schemaProblem(tool.outputSchema as object, result.structuredContent);
  if (problem !== undefined) {
    throw new McpConnectionError(
      "PROTOCOL_ERROR",
      `The tool "${tool.name}" returned structured content that does not match its output schema: ${problem.slice(0, 300)}`,
      { detail: "outputSchema" },
    );
  }
}
