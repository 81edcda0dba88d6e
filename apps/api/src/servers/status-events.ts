import type { ServerStatusEvent } from "@mcpdeck/contracts";
import { type Database, type DbHandle, type Executor, mcpServers } from "@mcpdeck/db";
import { and, asc, eq, inArray } from "drizzle-orm";
import type { ServerRow } from "./service.js";

/**
 * Live server status, pushed across API processes: the checker that records a change notifies
 * `server_status` in the same transaction, with `{ user_id, server_id }` only (the row is the truth);
 * every process's subscribers for that user re-read the row and send it on.
 */
export const SERVER_STATUS_CHANNEL = "server_status";

interface StatusChange {
  user_id: string;
  server_id: string;
}

/** Upper bounds (ms) of the latency buckets: a change inside one is not worth a push. */
const LATENCY_BUCKETS_MS = [50, 100, 200, 500, 1000, 2000];

/**
 * What a subscriber is told about: status, reason, and latency to its bucket (so a ping of 31 ms
 * after one of 30 ms is not news, but 40 → 120 ms is). `last_checked` alone never is.
 */
export function statusFingerprint(row: Pick<ServerRow, "status" | "statusReason" | "latencyMs">): string {
  const bucket =
    row.latencyMs === null ? "-" : String(LATENCY_BUCKETS_MS.filter((edge) => row.latencyMs! >= edge).length);
  return `${row.status}|${bucket}|${row.statusReason ?? ""}`;
}

/** Announces a server's new status; through `tx`, only if the change commits. */
export function publishStatusChange(
  notify: DbHandle["notify"],
  tx: Executor,
  row: Pick<ServerRow, "userId" | "id">,
): Promise<void> {
  const change: StatusChange = { user_id: row.userId, server_id: row.id };
  return notify(SERVER_STATUS_CHANNEL, JSON.stringify(change), tx);
}

/** The change a `server_status` notification names, when it is one. */
export function parseStatusChange(payload: string): StatusChange | undefined {
  try {
    const value = JSON.parse(payload) as Partial<StatusChange>;
    if (typeof value.user_id === "string" && typeof value.server_id === "string")
      return { user_id: value.user_id, server_id: value.server_id };
  } catch {}
  return undefined;
}

export function toStatusEvent(row: ServerRow): ServerStatusEvent {
  return {
    server_id: row.id,
    status: row.status,
    ...(row.latencyMs !== null ? { latency: row.latencyMs } : {}),
    ...(row.lastCheckedAt ? { last_checked: row.lastCheckedAt.toISOString() } : {}),
    ...(row.statusReason ? { reason: row.statusReason } : {}),
  };
}

/** Server ids waiting to be re-read; `ALL` after a lost listener connection. Coalesces bursts. */
const ALL = Symbol("all servers");

function changeQueue() {
  let pending = new Set<string | typeof ALL>();
  let wake: (() => void) | undefined;
  return {
    push(id: string | typeof ALL) {
      pending.add(id);
      wake?.();
    },
    /** The ids changed since the last call, waiting for one; undefined once `signal` aborts. */
    async take(signal?: AbortSignal): Promise<Set<string | typeof ALL> | undefined> {
      while (pending.size === 0) {
        if (signal?.aborted) return undefined;
        await new Promise<void>((resolve) => {
          const onAbort = () => resolve();
          signal?.addEventListener("abort", onAbort, { once: true });
          wake = () => {
            signal?.removeEventListener("abort", onAbort);
            resolve();
          };
        });
        wake = undefined;
      }
      if (signal?.aborted) return undefined;
      const batch = pending;
      pending = new Set();
      return batch;
    },
  };
}

export function createStatusEvents(deps: { db: Database; listen: DbHandle["listen"] }) {
  const { db } = deps;

  /**
   * The user's servers' status: each server's current status first, then every change until `signal`
   * aborts. Listens before reading, so no change falls between the two; a change already reflected
   * in what was sent (or in a later read) is not sent twice.
   */
  async function* stream(userId: string, signal?: AbortSignal): AsyncGenerator<ServerStatusEvent> {
    const changed = changeQueue();
    const unlisten = await deps.listen(
      SERVER_STATUS_CHANNEL,
      (payload) => {
        const change = parseStatusChange(payload);
        // Only the subscriber's own servers: another user's change is never even read.
        if (change?.user_id === userId) changed.push(change.server_id);
      },
      { onReconnect: () => changed.push(ALL) },
    );
    try {
      const sent = new Map<string, string>();
      const fresh = (rows: ServerRow[]) =>
        rows.filter((row) => {
          const fingerprint = statusFingerprint(row);
          if (sent.get(row.id) === fingerprint) return false;
          sent.set(row.id, fingerprint);
          return true;
        });
      const owned = (ids?: string[]) =>
        db
          .select()
          .from(mcpServers)
          .where(and(eq(mcpServers.userId, userId), ids ? inArray(mcpServers.id, ids) : undefined))
          .orderBy(asc(mcpServers.createdAt), asc(mcpServers.id));

      for (const row of fresh(await owned())) yield toStatusEvent(row);
      for (;;) {
        const batch = await changed.take(signal);
        if (!batch) return;
        const ids = batch.has(ALL) ? undefined : [...batch].filter((id): id is string => id !== ALL);
        for (const row of fresh(await owned(ids))) yield toStatusEvent(row);
      }
    } finally {
      await unlisten();
    }
  }

  return { stream };
}

export type StatusEvents = ReturnType<typeof createStatusEvents>;
