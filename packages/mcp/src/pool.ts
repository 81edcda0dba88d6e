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
 * - Calls made directly on `connection.client` (the raw SDK client) bypass this retry logic.
 *
 * Warm path cost: a Map lookup, a reference comparison of the config object (a fingerprint hash only
 * when a different config object is passed), a counter and a timer refresh — no agents, DNS or
 * handshakes.
 */
import { createHash } from "node:crypto";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type {
  CallToolResult,
  Prompt,
  Resource,
  ResourceTemplate,
  Tool,
} from "@modelcontextprotocol/sdk/types.js";
import {
  type CallToolOptions,
  type ConnectDeps,
  connectMcp,
  type McpConnection,
  type McpEndpointConfig,
} from "./connection.js";
import { McpConnectionError } from "./errors.js";
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
  handle: PooledConnection;
}

function isSessionLost(err: unknown, conn: McpConnection): boolean {
  return conn.isClosed || (err instanceof McpConnectionError && err.sessionLost);
}

/** The stable object handed to callers; forwards to the entry's current connection. */
class PooledConnection implements McpConnection {
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
  get transport() {
    return this.current.transport;
  }
  get handshakeMs() {
    return this.current.handshakeMs;
  }
  get isClosed() {
    return this.entry.conn?.isClosed ?? true;
  }
  get client(): Client {
    return this.current.client;
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
      if (!isSessionLost(err, c) || this.entry.retired) throw err;
      const fresh = await this.pool.reconnect(this.entry, c);
      return op(fresh);
    }
  }

  listTools(): Promise<Tool[]> {
    return this.idempotent(listTools);
  }
  listResources(): Promise<Resource[]> {
    return this.idempotent(listResources);
  }
  listResourceTemplates(): Promise<ResourceTemplate[]> {
    return this.idempotent(listResourceTemplates);
  }
  listPrompts(): Promise<Prompt[]> {
    return this.idempotent(listPrompts);
  }
  ping(): Promise<number> {
    return this.idempotent(ping);
  }

  async callTool(
    name: string,
    args?: Record<string, unknown>,
    opts?: CallToolOptions,
  ): Promise<CallToolResult> {
    const c = await this.live();
    try {
      return await c.callTool(name, args, opts);
    } catch (err) {
      if (!isSessionLost(err, c) || this.entry.retired) throw err;
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
   * in-flight connect.
   */
  reconnect(entry: Entry, failed: McpConnection | null): Promise<McpConnection> {
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
    const p = this.connectFn(entry.cfg, this.deps).then(
      (conn) => {
        entry.connecting = null;
        this.counters.connects++;
        if (entry.retired) {
          void conn.close().catch(() => undefined);
          throw new McpConnectionError("SERVER_ERROR", "The MCP connection was closed.");
        }
        entry.conn = conn;
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
