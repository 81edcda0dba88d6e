/**
 * Connection pool: one live MCP connection per key (e.g. `${userId}:${serverId}`).
 *
 * - Concurrent callers for one key share one in-flight connect (a single handshake).
 * - A config change (url, auth method, credential fingerprint, ssl_verify, timeout) replaces the
 *   pooled connection; the old one is closed once its in-flight calls finish.
 * - Idle connections are closed after `idleMs` (unref'd timers, so they never keep the process alive).
 * - Above `maxConnections` the least recently used idle connection is evicted (busy ones are never
 *   closed under a caller, so the pool may exceed the limit while all of them are busy).
 * - Lost sessions: when a call fails because the remote session is gone (HTTP 404 on the session,
 *   transport closed, connection reset / refused), the connection is re-initialised once and
 *   - listTools / listResources / listResourceTemplates / listPrompts / ping are retried once;
 *   - callTool is NOT retried (the tool may already have run): the connection is re-initialised, and
 *     the caller gets an McpConnectionError with sessionLost=true explaining that.
 *   If the connection is already known to be closed BEFORE a call is sent, it is re-initialised first,
 *   and the call (callTool included) is sent on the new connection, since nothing was executed.
 * - A stale remembered era (`McpConnectionError.staleEra`: a request refused because the server no
 *   longer speaks the era mcpdeck remembered) reconnects with a fresh probe and resends the request,
 *   callTool included (the server refused it, so nothing ran).
 * - The era verdict of each connection is kept for the key and handed to its reconnects; the first
 *   one comes from the config (`McpEndpointConfig.era`, not part of the fingerprint).
 * - The handle callers get is stable across reconnects: event listeners stay registered on it, and
 *   its resource subscriptions, log level and change watching are applied again to a new connection.
 * - Calls made directly on `connection.client` (the raw SDK client) bypass this retry logic.
 *
 * Warm path cost: a Map lookup, a reference comparison of the config object (a fingerprint hash only
 * when a different config object is passed), a counter and a timer refresh — no agents, DNS or
 * handshakes.
 */
import { createHash } from "node:crypto";
import type {
  CallToolResult,
  Client,
  GetPromptResult,
  Prompt,
  ReadResourceResult,
  Resource,
  ResourceTemplateType,
  Tool,
} from "@modelcontextprotocol/client";
import { Emitter, type EventName, type Listener } from "./change-feed.js";
import {
  type Completion,
  type CompletionRequest,
  type ConnectDeps,
  connectMcp,
  type McpConnection,
  type McpEndpointConfig,
} from "./connection.js";
import type { EraVerdict } from "./era.js";
import { McpConnectionError } from "./errors.js";
import type { CallHooks, LoggingLevel } from "./hooks.js";
import type { SsrfGuard } from "./net/ssrf.js";

export interface ConnectionPoolOptions {
  guard: SsrfGuard;
  /** Default 5 minutes. */
  idleMs?: number;
  /** Default unlimited. */
  maxConnections?: number;
  clientInfo?: { name: string; version: string };
  /** Replaces connectMcp (tests, instrumentation). */
  connect?: (cfg: McpEndpointConfig, deps: ConnectDeps) => Promise<McpConnection>;
}

export interface PoolStats {
  /** Successful handshakes (first connects and re-initialisations). */
  connects: number;
  /** Re-initialisations after a lost session. */
  reconnects: number;
  /** Connections closed because idle, over the limit, replaced or evicted explicitly. */
  evictions: number;
  size: number;
}

export interface ConnectionPool {
  withConnection<T>(key: string, cfg: McpEndpointConfig, fn: (c: McpConnection) => Promise<T>): Promise<T>;
  /** Closes and forgets the connection for `key` now (calls in flight on it fail). */
  evict(key: string): Promise<void>;
  /**
   * Takes the connection for `key` out of the pool: new callers get a fresh connection, calls in
   * flight on the old one finish, and it is closed after the last of them.
   */
  retire(key: string): Promise<void>;
  closeAll(): Promise<void>;
  stats(): PoolStats;
}

const DEFAULT_IDLE_MS = 5 * 60 * 1000;

const providerIds = new WeakMap<object, number>();
let nextProviderId = 1;

/** Stable fingerprint of everything that requires a new connection when it changes. */
export function configFingerprint(cfg: McpEndpointConfig): string {
  let providerId = 0;
  if (cfg.authMethod === "oauth" && cfg.oauthProvider) {
    const p = cfg.oauthProvider as object;
    providerId = providerIds.get(p) ?? 0;
    if (providerId === 0) {
      providerId = nextProviderId++;
      providerIds.set(p, providerId);
    }
  }
  return createHash("sha256")
    .update(
      JSON.stringify([
        cfg.url,
        cfg.authMethod,
        cfg.authMethod === "api_key" ? (cfg.apiKey?.api_key ?? null) : null,
        cfg.authMethod === "api_key" ? (cfg.apiKey?.header ?? null) : null,
        providerId,
        cfg.sslVerify,
        cfg.timeoutSec,
      ]),
    )
    .digest("base64url");
}

interface Entry {
  readonly key: string;
  readonly fingerprint: string;
  cfgRef: McpEndpointConfig;
  readonly cfg: McpEndpointConfig;
  conn: McpConnection | null;
  connecting: Promise<McpConnection> | null;
  inFlight: number;
  timer: NodeJS.Timeout | null;
  /** Replaced or evicted: close as soon as no call is in flight, never reconnect. */
  retired: boolean;
  /** The era verdict handed to the next connect. */
  verdict: EraVerdict | undefined;
  handle: PooledConnection;
}

function isSessionLost(err: unknown, conn: McpConnection): boolean {
  return conn.isClosed || (err instanceof McpConnectionError && err.sessionLost);
}

function isStaleEra(err: unknown): boolean {
  return err instanceof McpConnectionError && err.staleEra;
}

const EVENTS: EventName[] = [
  "resource_updated",
  "tools_changed",
  "prompts_changed",
  "resources_changed",
  "log",
];

/** The stable object handed to callers; forwards to the entry's current connection. */
class PooledConnection implements McpConnection {
  private readonly events = new Emitter();
  private readonly subscriptions = new Set<string>();
  private logLevel: LoggingLevel | undefined;
  private watching = false;

  constructor(
    private readonly pool: Pool,
    private readonly entry: Entry,
  ) {}

  private get current(): McpConnection {
    const c = this.entry.conn;
    if (!c) throw new McpConnectionError("SERVER_ERROR", "The MCP connection is not established.");
    return c;
  }
  get serverInfo() {
    return this.current.serverInfo;
  }
  get protocolVersion() {
    return this.current.protocolVersion;
  }
  get era() {
    return this.current.era;
  }
  get eraVerdict() {
    return this.current.eraVerdict;
  }
  get transport() {
    return this.current.transport;
  }
  get handshakeMs() {
    return this.current.handshakeMs;
  }
  get capabilities() {
    return this.current.capabilities;
  }
  get isClosed() {
    return this.entry.conn?.isClosed ?? true;
  }
  get client(): Client {
    return this.current.client;
  }

  /** Takes over a new underlying connection: events flow to this handle, its settings are applied again. */
  attach(conn: McpConnection): void {
    for (const event of EVENTS) {
      conn.on(event, (value) => this.events.emit(event, value as never));
    }
    const restore = async () => {
      if (this.logLevel) await conn.setLogLevel(this.logLevel);
      if (this.watching) await conn.watchChanges();
      for (const uri of this.subscriptions) await conn.subscribeResource(uri);
    };
    if (this.logLevel || this.watching || this.subscriptions.size > 0) void restore().catch(() => undefined);
  }

  private async live(): Promise<McpConnection> {
    const c = this.entry.conn;
    if (c && !c.isClosed) return c;
    return this.pool.reconnect(this.entry, c);
  }

  private async idempotent<T>(op: (c: McpConnection) => Promise<T>): Promise<T> {
    const c = await this.live();
    try {
      return await op(c);
    } catch (err) {
      if (this.entry.retired) throw err;
      if (isStaleEra(err)) return op(await this.pool.reconnect(this.entry, c, { forgetEra: true }));
      if (!isSessionLost(err, c)) throw err;
      const fresh = await this.pool.reconnect(this.entry, c);
      return op(fresh);
    }
  }

  listTools(): Promise<Tool[]> {
    return this.idempotent(listTools);
  }
  cachedTools(): readonly Tool[] | undefined {
    return this.entry.conn?.cachedTools();
  }
  listResources(): Promise<Resource[]> {
    return this.idempotent(listResources);
  }
  listResourceTemplates(): Promise<ResourceTemplateType[]> {
    return this.idempotent(listResourceTemplates);
  }
  listPrompts(): Promise<Prompt[]> {
    return this.idempotent(listPrompts);
  }
  ping(): Promise<number> {
    return this.idempotent(ping);
  }
  complete(request: CompletionRequest): Promise<Completion> {
    return this.idempotent((c) => c.complete(request));
  }
  /** Reads and prompt gets are idempotent: resent once after a lost session, like the lists. */
  readResource(uri: string, hooks?: CallHooks): Promise<ReadResourceResult> {
    return this.idempotent((c) => c.readResource(uri, hooks));
  }
  getPrompt(name: string, args?: Record<string, string>, hooks?: CallHooks): Promise<GetPromptResult> {
    return this.idempotent((c) => c.getPrompt(name, args, hooks));
  }
  async subscribeResource(uri: string): Promise<void> {
    await this.idempotent((c) => c.subscribeResource(uri));
    this.subscriptions.add(uri);
  }
  async unsubscribeResource(uri: string): Promise<void> {
    this.subscriptions.delete(uri);
    await this.idempotent((c) => c.unsubscribeResource(uri));
  }
  async setLogLevel(level: LoggingLevel): Promise<void> {
    await this.idempotent((c) => c.setLogLevel(level));
    this.logLevel = level;
  }
  async watchChanges(): Promise<void> {
    await this.idempotent((c) => c.watchChanges());
    this.watching = true;
  }
  on<K extends EventName>(event: K, listener: Listener<K>): () => void {
    return this.events.on(event, listener);
  }

  async callTool(name: string, args?: Record<string, unknown>, hooks?: CallHooks): Promise<CallToolResult> {
    const c = await this.live();
    try {
      return await c.callTool(name, args, hooks);
    } catch (err) {
      if (this.entry.retired) throw err;
      // The server refused the request for its protocol era: nothing ran, so resend it once.
      if (isStaleEra(err)) {
        const fresh = await this.pool.reconnect(this.entry, c, { forgetEra: true });
        return fresh.callTool(name, args, hooks);
      }
      if (!isSessionLost(err, c)) throw err;
      // Re-initialise so the next call works, but do not retry: the tool may already have run.
      let reconnected = true;
      try {
        await this.pool.reconnect(this.entry, c);
      } catch {
        reconnected = false;
      }
      const why = err instanceof McpConnectionError ? ` (${err.message})` : "";
      throw new McpConnectionError(
        "SERVER_ERROR",
        `The MCP session ended while the tool call was in flight${why}. ${
          reconnected ? "The connection was re-established, but the" : "The"
        } call was not retried because it may already have run; retry it if that is safe.`,
        {
          sessionLost: true,
          ...(err instanceof McpConnectionError && err.httpStatus !== undefined
            ? { httpStatus: err.httpStatus }
            : {}),
        },
      );
    }
  }

  /** Closing a pooled handle evicts it from the pool. */
  close(): Promise<void> {
    return this.pool.evictEntry(this.entry);
  }
}

const listTools = (c: McpConnection) => c.listTools();
const listResources = (c: McpConnection) => c.listResources();
const listResourceTemplates = (c: McpConnection) => c.listResourceTemplates();
const listPrompts = (c: McpConnection) => c.listPrompts();
const ping = (c: McpConnection) => c.ping();

class Pool implements ConnectionPool {
  private readonly entries = new Map<string, Entry>();
  private readonly idleMs: number;
  private readonly maxConnections: number;
  private readonly deps: ConnectDeps;
  private readonly connectFn: (cfg: McpEndpointConfig, deps: ConnectDeps) => Promise<McpConnection>;
  private readonly counters = { connects: 0, reconnects: 0, evictions: 0 };

  constructor(opts: ConnectionPoolOptions) {
    this.idleMs = opts.idleMs ?? DEFAULT_IDLE_MS;
    this.maxConnections = opts.maxConnections ?? Number.POSITIVE_INFINITY;
    this.deps = { guard: opts.guard, ...(opts.clientInfo ? { clientInfo: opts.clientInfo } : {}) };
    this.connectFn = opts.connect ?? connectMcp;
  }

  async withConnection<T>(
    key: string,
    cfg: McpEndpointConfig,
    fn: (c: McpConnection) => Promise<T>,
  ): Promise<T> {
    let entry = this.entries.get(key);
    if (entry !== undefined && entry.cfgRef !== cfg) {
      if (configFingerprint(cfg) === entry.fingerprint) {
        entry.cfgRef = cfg;
      } else {
        this.retireEntry(entry);
        if (entry.inFlight === 0) void this.closeEntry(entry);
        entry = undefined;
      }
    }
    if (entry === undefined) {
      entry = this.createEntry(key, cfg);
    } else if (this.maxConnections !== Number.POSITIVE_INFINITY) {
      // LRU order only matters when there is a limit.
      this.entries.delete(key);
      this.entries.set(key, entry);
    }

    entry.inFlight++;
    try {
      const conn = entry.conn;
      if (conn === null || conn.isClosed) await this.reconnect(entry, conn);
      return await fn(entry.handle);
    } finally {
      entry.inFlight--;
      if (entry.inFlight === 0) {
        if (entry.retired) void this.closeEntry(entry);
        else entry.timer?.refresh();
      }
    }
  }

  private createEntry(key: string, cfg: McpEndpointConfig): Entry {
    const entry: Entry = {
      key,
      fingerprint: configFingerprint(cfg),
      cfgRef: cfg,
      cfg: { ...cfg },
      conn: null,
      connecting: null,
      inFlight: 0,
      timer: null,
      retired: false,
      verdict: cfg.era,
      handle: undefined as unknown as PooledConnection,
    };
    entry.handle = new PooledConnection(this, entry);
    entry.timer = setTimeout(() => this.onIdle(entry), this.idleMs);
    entry.timer.unref();
    this.entries.set(key, entry);
    this.enforceLimit(entry);
    return entry;
  }

  private enforceLimit(keep: Entry): void {
    if (this.entries.size <= this.maxConnections) return;
    for (const e of this.entries.values()) {
      if (this.entries.size <= this.maxConnections) break;
      if (e !== keep && e.inFlight === 0) void this.evictEntry(e);
    }
  }

  private onIdle(entry: Entry): void {
    if (entry.inFlight > 0) return; // refreshed again when the last call finishes
    void this.evictEntry(entry);
  }

  /**
   * Ensures `entry` has a live connection. `failed` is the connection the caller saw fail (or null);
   * if another caller already replaced it, the replacement is returned. Concurrent callers share one
   * in-flight connect. `forgetEra` drops the remembered era verdict (it proved stale).
   */
  reconnect(
    entry: Entry,
    failed: McpConnection | null,
    opts: { forgetEra?: boolean } = {},
  ): Promise<McpConnection> {
    if (entry.conn !== null && entry.conn !== failed && !entry.conn.isClosed)
      return Promise.resolve(entry.conn);
    if (entry.connecting) return entry.connecting;
    if (entry.retired) {
      return Promise.reject(new McpConnectionError("SERVER_ERROR", "The MCP connection was closed."));
    }
    const old = entry.conn;
    entry.conn = null;
    if (old) {
      this.counters.reconnects++;
      void old.close().catch(() => undefined);
    }
    if (opts.forgetEra) entry.verdict = undefined;
    const p = this.connectFn({ ...entry.cfg, era: entry.verdict }, this.deps).then(
      (conn) => {
        entry.connecting = null;
        this.counters.connects++;
        if (entry.retired) {
          void conn.close().catch(() => undefined);
          throw new McpConnectionError("SERVER_ERROR", "The MCP connection was closed.");
        }
        entry.conn = conn;
        entry.verdict = conn.eraVerdict;
        entry.handle.attach(conn);
        return conn;
      },
      (err: unknown) => {
        entry.connecting = null;
        // Do not cache failures: drop the entry so the next call starts from scratch.
        if (entry.conn === null && !entry.retired) {
          entry.retired = true;
          if (this.entries.get(entry.key) === entry) this.entries.delete(entry.key);
          if (entry.timer) clearTimeout(entry.timer);
        }
        throw err;
      },
    );
    entry.connecting = p;
    return p;
  }

  /** Takes the entry out of the pool; the caller closes it (now, or when its last call finishes). */
  private retireEntry(entry: Entry): void {
    if (entry.retired) return;
    entry.retired = true;
    if (this.entries.get(entry.key) === entry) this.entries.delete(entry.key);
    if (entry.timer) clearTimeout(entry.timer);
    this.counters.evictions++;
  }

  /** Retires and closes immediately, even under in-flight calls (explicit eviction / closeAll). */
  async evictEntry(entry: Entry): Promise<void> {
    this.retireEntry(entry);
    await this.closeEntry(entry);
  }

  private async closeEntry(entry: Entry): Promise<void> {
    const conn = entry.conn;
    entry.conn = null;
    if (conn) await conn.close().catch(() => undefined);
    // A connect still in flight closes its result itself (entry.retired).
  }

  async evict(key: string): Promise<void> {
    const entry = this.entries.get(key);
    if (entry) await this.evictEntry(entry);
  }

  async retire(key: string): Promise<void> {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.retireEntry(entry);
    if (entry.inFlight === 0) await this.closeEntry(entry);
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.entries.values()].map((e) => this.evictEntry(e)));
  }

  stats(): PoolStats {
    return { ...this.counters, size: this.entries.size };
  }
}

export function createConnectionPool(opts: ConnectionPoolOptions): ConnectionPool {
  return new Pool(opts);
}
