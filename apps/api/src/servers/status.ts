import { type Database, type DbHandle, mcpServers, rowsOf, withTransaction } from "@mcpdeck/db";
import { type EraVerdict, McpConnectionError, SsrfError } from "@mcpdeck/mcp";
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Clock } from "../clock.js";
import type { Logger } from "../logger.js";
import type { ServerRow, ServerService } from "./service.js";
import { publishStatusChange, statusFingerprint } from "./status-events.js";

export interface ProbeResult {
  status: "online" | "offline" | "error";
  latencyMs?: number;
  reason?: string;
  /**
   * What the server said about itself at the last successful check, and the protocol era it speaks
   * (`era_verdict` is handed back to the next connect, which then skips the era probe).
   */
  serverInfo?: {
    name: string;
    version: string;
    protocol_version: string;
    transport: string;
    era: string;
    era_verdict?: EraVerdict;
  };
}

/** Failures that retrying will not fix without the user: shown as `error`, not `offline`. */
const USER_ACTION_CODES = new Set(["AUTH_FAILED", "AUTH_REQUIRED", "SSRF_BLOCKED", "NOT_MCP", "TLS_FAILED"]);

/**
 * Live status: a background loop claims due servers in Postgres (so several API processes check
 * each server once per interval), pings them with bounded concurrency through the shared pool,
 * and stores status, latency and time. A lease per server keeps slow servers from piling up checks.
 * A change worth telling (see `statusFingerprint`) is announced on `server_status` as it commits.
 */
export function createStatusChecker(deps: {
  db: Database;
  notify: DbHandle["notify"];
  clock: Clock;
  servers: ServerService;
  intervalSec: number;
  log: Logger;
  concurrency?: number;
  tickMs?: number;
}) {
  const { db, clock, servers, log } = deps;
  const concurrency = deps.concurrency ?? 4;
  let inFlight = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = true;

  async function probe(row: ServerRow): Promise<ProbeResult> {
    if (row.authMethod === "oauth" && !(await servers.oauthProvider(row).hasTokens())) {
      return { status: "error", reason: "Authorization required: authorize mcpdeck to use this server." };
    }
    try {
      return await servers.withConnection(row, async (c) => ({
        status: "online" as const,
        latencyMs: Math.round(await c.ping()),
        serverInfo: {
          ...c.serverInfo,
          protocol_version: c.protocolVersion,
          transport: c.transport,
          era: c.era,
          ...(c.eraVerdict ? { era_verdict: c.eraVerdict } : {}),
        },
      }));
    } catch (error) {
      const code =
        error instanceof McpConnectionError || error instanceof SsrfError ? error.code : "PROTOCOL_ERROR";
      const message = error instanceof Error ? error.message : String(error);
      if (code === "AUTH_REQUIRED") return { status: "error", reason: `Authorization required: ${message}` };
      return { status: USER_ACTION_CODES.has(code) ? "error" : "offline", reason: message };
    }
  }

  function nextCheck(): Date {
    const jitter = 0.9 + Math.random() * 0.2;
    return new Date(clock.now().getTime() + deps.intervalSec * 1000 * jitter);
  }

  async function record(row: ServerRow, result: ProbeResult): Promise<ServerRow | undefined> {
    return withTransaction(db, async (tx) => {
      const owned = and(eq(mcpServers.id, row.id), eq(mcpServers.userId, row.userId));
      // Locked, so two processes recording one server at once each compare with the other's result.
      const [before] = await tx
        .select({
          status: mcpServers.status,
          statusReason: mcpServers.statusReason,
          latencyMs: mcpServers.latencyMs,
        })
        .from(mcpServers)
        .where(owned)
        .for("update");
      if (!before) return undefined;
      const [updated] = await tx
        .update(mcpServers)
        .set({
          status: result.status,
          latencyMs: result.latencyMs ?? null,
          statusReason: result.reason ?? null,
          ...(result.serverInfo ? { serverInfo: result.serverInfo } : {}),
          lastCheckedAt: clock.now(),
          nextCheckAt: nextCheck(),
          checkLeaseUntil: null,
        })
        .where(owned)
        .returning();
      if (updated && statusFingerprint(updated) !== statusFingerprint(before))
        await publishStatusChange(deps.notify, tx, updated);
      return updated;
    });
  }

  async function checkNow(row: ServerRow) {
    return (await record(row, await probe(row))) ?? row;
  }

  /** Claims up to `n` due servers atomically; rows leased by another process are skipped. */
  async function claim(n: number): Promise<ServerRow[]> {
    const now = clock.now().toISOString();
    const result = await db.execute(sql`
      update mcp_servers set check_lease_until = ${now}::timestamptz + make_interval(secs => timeout_sec + 15)
      where id in (
        select id from mcp_servers
        where next_check_at <= ${now}::timestamptz
          and (check_lease_until is null or check_lease_until < ${now}::timestamptz)
        order by next_check_at
        limit ${n}
        for update skip locked)
      returning id`);
    const ids = rowsOf<{ id: string }>(result).map((r) => r.id);
    if (ids.length === 0) return [];
    return db.select().from(mcpServers).where(inArray(mcpServers.id, ids));
  }

  async function tick() {
    if (stopped) return;
    try {
      const free = concurrency - inFlight;
      if (free > 0) {
        for (const row of await claim(free)) {
          inFlight++;
          checkNow(row)
            .catch((error) => log.warn({ err: error, serverId: row.id }, "status check failed"))
            .finally(() => {
              inFlight--;
            });
        }
      }
    } catch (error) {
      log.warn({ err: error }, "status claim failed");
    } finally {
      if (!stopped) {
        timer = setTimeout(tick, deps.tickMs ?? 1000);
        timer.unref();
      }
    }
  }

  return {
    probe,
    checkNow,
    start() {
      if (!stopped) return;
      stopped = false;
      timer = setTimeout(tick, 50);
      timer.unref();
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
    /**
     * The owner's view of a server's status: from the stored check, probed afresh when asked to
     * (`refresh`), when that check is older than the interval, or when a new check is due — set
     * when the endpoint changed or an authorization completed, so the stored answer is known to be
     * outdated. Another user's server is not found.
     */
    async statusOf(userId: string, serverId: string, options: { refresh?: boolean } = {}) {
      const row = await servers.getOwned(userId, serverId);
      const now = clock.now().getTime();
      const stale =
        options.refresh === true ||
        !row.lastCheckedAt ||
        now - row.lastCheckedAt.getTime() > deps.intervalSec * 1000 ||
        row.nextCheckAt.getTime() <= now;
      const current = stale ? await checkNow(row) : row;
      return {
        status: current.status,
        ...(current.latencyMs !== null ? { latency: current.latencyMs } : {}),
        last_checked: (current.lastCheckedAt ?? clock.now()).toISOString(),
        ...(current.statusReason ? { reason: current.statusReason } : {}),
        ...speaks(current.serverInfo),
      };
    },
  };
}

export type StatusChecker = ReturnType<typeof createStatusChecker>;

/** The protocol a server spoke at its last successful check, as the status answer tells it. */
function speaks(info: unknown): { protocol_version?: string; era?: "modern" | "legacy"; transport?: string } {
  const known = (info ?? {}) as { protocol_version?: unknown; era?: unknown; transport?: unknown };
  return {
    ...(typeof known.protocol_version === "string" ? { protocol_version: known.protocol_version } : {}),
    ...(known.era === "modern" || known.era === "legacy" ? { era: known.era } : {}),
    ...(typeof known.transport === "string" ? { transport: known.transport } : {}),
  };
}
