import type { ServerMessage } from "@mcpdeck/contracts";
import { chatSessions, type DbHandle, type Executor, sessionEvents } from "@mcpdeck/db";
import { and, asc, type ColumnsSelection, eq, gt, lte, type SQL, sql } from "drizzle-orm";
import type { TypedQueryBuilder } from "drizzle-orm/query-builders/query-builder";
import type { Logger } from "../logger.js";
import { storable } from "./storable.js";

/**
 * The session event log: every event a session's clients see, stored in order with a per-session
 * monotonic id, and fanned out to every API process through LISTEN/NOTIFY.
 *
 * Writing: `append` takes the session row's lock to number its events, inserts them and notifies, in
 * one statement (so one transaction) — events commit in id order and nobody is told before the rows
 * are visible. `appendWithChange` puts a state change in front of that statement: the change and the
 * events announcing it commit together or not at all, in one round trip.
 * Reading: a subscriber first listens, then backfills from its cursor, then follows notifications;
 * each delivery is serialized per subscriber and skips what it already sent, so a client sees every
 * event exactly once, in order, whichever process wrote it. A notification carries the events
 * themselves when they fit (saving a read); otherwise, or after a gap, the subscriber reads the table.
 */

type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;
export type SessionEvent = ServerMessage;
export type NewSessionEvent = DistributiveOmit<ServerMessage, "id">;

const CHANNEL = "session_events";
/** Inline events in a notification up to this size (Postgres' limit is 8000 bytes). */
const INLINE_MAX_BYTES = 7000;
/** History sent on a fresh connection keeps this many log lines (older ones stay in the log). */
export const HISTORY_LOG_LINES = 300;

interface Note {
  s: string;
  /** The id of the last event written; the events of `e` are numbered up to it. */
  q: number;
  e?: NewSessionEvent[];
  /** An ephemeral event: delivered to whoever listens now, never stored (see `broadcast`). */
  x?: NewSessionEvent;
  /** When the events were written (ms since the epoch): the fan-out lag is measured from it. */
  t?: number;
}

export interface EventSubscription {
  /** Id of the last event delivered (or the history's end). */
  readonly cursor: number;
  close(): void;
}

interface Subscriber {
  sessionId: string;
  cursor: number;
  chain: Promise<void>;
  closed: boolean;
  deliver: (event: SessionEvent) => void | Promise<void>;
  onError: (error: unknown) => void;
}

/**
 * What a fresh connection needs to restore the whole view: every event except progress updates a
 * later update of the same node supersedes, and only the recent log lines. The last event is always
 * kept, so the client's cursor ends at the session's last id.
 */
export function compactHistory(
  events: readonly SessionEvent[],
  logLines = HISTORY_LOG_LINES,
): SessionEvent[] {
  const lastUpdate = new Map<string, number>();
  let logs = 0;
  const keep = new Array<boolean>(events.length).fill(true);
  for (let i = events.length - 1; i >= 0; i--) {
    const event = events[i]!;
    if (event.type === "task_update") {
      const key = `${event.payload.graph_id}/${event.payload.node_id}`;
      const progressOnly = event.payload.status === "running" && event.payload.progress !== undefined;
      if (progressOnly && lastUpdate.has(key)) keep[i] = false;
      lastUpdate.set(key, i);
    } else if (event.type === "log_entry") {
      logs++;
      if (logs > logLines) keep[i] = false;
    }
  }
  return events.filter((_, i) => keep[i] || i === events.length - 1);
}

/** Events written together, numbered up to `last`. */
const numbered = (last: number, events: readonly NewSessionEvent[]) =>
  events.map((e, i) => ({ ...e, id: last - events.length + 1 + i }) as SessionEvent);

export function createEventLog(deps: {
  dbHandle: DbHandle;
  log: Logger;
  /** Told, for each notification of stored events, how long it took to reach this process (metrics). */
  onFanOutLag?: (seconds: number) => void;
}) {
  const { dbHandle, log } = deps;
  const db = dbHandle.db;
  const subscribers = new Map<string, Set<Subscriber>>();
  let listening: Promise<unknown> | undefined;

  const toEvent = (row: { seq: number; type: string; payload: unknown }) =>
    ({ id: Number(row.seq), type: row.type, payload: row.payload }) as SessionEvent;

  async function read(sessionId: string, after: number, upTo?: number): Promise<SessionEvent[]> {
    const rows = await db
      .select({ seq: sessionEvents.seq, type: sessionEvents.type, payload: sessionEvents.payload })
      .from(sessionEvents)
      .where(
        and(
          eq(sessionEvents.sessionId, sessionId),
          gt(sessionEvents.seq, after),
          upTo === undefined ? undefined : lte(sessionEvents.seq, upTo),
        ),
      )
      .orderBy(asc(sessionEvents.seq));
    return rows.map(toEvent);
  }

  /** Appends events to a session (in `executor`'s transaction when given) and returns them numbered. */
  async function append(
    sessionId: string,
    events: readonly NewSessionEvent[],
    executor: Executor = db,
  ): Promise<SessionEvent[]> {
    if (events.length === 0) return [];
    // MCP servers' text reaches these payloads (logs, previews, errors): keep it storable.
    const stored = events.map((e) => ({ ...e, payload: storable(e.payload) }) as NewSessionEvent);
    const { bumped, writes } = eventWrites(
      executor,
      sessionId,
      stored.map((event) => ({ event })),
    );
    const [row] = await executor
      .with(...writes)
      .select({ lastSeq: bumped.lastSeq })
      .from(bumped);
    if (!row) throw new Error(`session ${sessionId} does not exist`);
    return numbered(row.lastSeq, stored);
  }

  /**
   * Runs `change` — an update returning (at least) the `nodeId` of each node it changed — and, in
   * the same statement, appends the events of the nodes it changed (each event names its node).
   * Answers what `change` returned: no rows means nothing changed and nothing was announced.
   */
  async function appendWithChange<TSelection extends ColumnsSelection, TRow extends { nodeId: string }>(
    sessionId: string,
    events: readonly { node: string; event: NewSessionEvent }[],
    change: TypedQueryBuilder<TSelection, TRow[]>,
    executor: Executor = db,
  ): Promise<TRow[]> {
    const stored = events.map(({ node, event }) => ({
      node,
      event: { ...event, payload: storable(event.payload) } as NewSessionEvent,
    }));
    const changed = executor.$with("changed").as(change);
    const { writes } = eventWrites(executor, sessionId, stored, true);
    // The rows are `change`'s returning rows, decoded by drizzle as it would decode them itself.
    const rows: unknown[] = await executor
      .with(changed, ...writes)
      .select()
      .from(changed as never);
    return rows as TRow[];
  }

  /**
   * The common table expressions that write events, one statement with whatever follows them:
   * updating the session row takes its lock and numbers the events, so concurrent writers of one
   * session commit in id order; the notification goes out on commit, carrying the events when they
   * fit (their ids follow from `q`).
   *
   * After a change (a `changed` expression listing node ids), only the events of the nodes it
   * changed are written. When they all name one node they are written whole or not at all — the
   * hot path, and the cheaper statement; for several nodes, the events of the changed ones are
   * picked and numbered.
   */
  function eventWrites(
    executor: Executor,
    sessionId: string,
    events: readonly { node?: string; event: NewSessionEvent }[],
    afterChange = false,
  ) {
    const list = JSON.stringify(
      events.map(({ node, event }) => ({ node, type: event.type, payload: event.payload })),
    );
    const head = `{"s":${JSON.stringify(sessionId)},"t":${Date.now()},"q":`;
    const inline = `,"e":${JSON.stringify(events.map(({ event }) => event))}}`;
    const tail = Buffer.byteLength(head + inline, "utf8") + 16 <= INLINE_MAX_BYTES ? inline : "}";
    // Sent on commit; the events ride along only when every one of them was written.
    const note = (allWritten: SQL) =>
      sql`pg_notify(${CHANNEL}::text, ${head}::text || last_seq
        || case when ${allWritten} then ${tail}::text else '}' end)`;
    const elements = sql`json_array_elements(${list}::json) with ordinality as e(v, i)`;
    const lastSeq = { lastSeq: sql<number>`last_seq`.mapWith(Number).as("last_seq") };
    const nodes = new Set(events.map((e) => e.node));
    const [only] = nodes;
    if (afterChange && (nodes.size !== 1 || only === undefined)) {
      const picked = executor.$with("picked", {}).as(sql`
        select e.v, row_number() over (order by e.i) as i from ${elements}
        where e.v->>'node' in (select node_id from changed)`);
      const bumped = executor.$with("bumped", lastSeq).as(sql`
        update ${chatSessions} set last_seq = last_seq + c.n, updated_at = now()
        from (select count(*) as n from picked) c
        where id = ${sessionId} and c.n > 0
        returning last_seq, c.n, ${note(sql`c.n = ${events.length}`)}`);
      const stored = executor.$with("stored", {}).as(sql`
        insert into ${sessionEvents} (session_id, seq, type, payload)
        select ${sessionId}, b.last_seq - b.n + p.i, p.v->>'type', (p.v->'payload')::jsonb
        from bumped b, picked p`);
      return { bumped, writes: [picked, bumped, stored] };
    }
    const bumped = executor.$with("bumped", lastSeq).as(sql`
      update ${chatSessions} set last_seq = last_seq + ${events.length}, updated_at = now()
      where id = ${sessionId}
        ${afterChange ? sql`and exists (select 1 from changed where node_id = ${only})` : sql``}
      returning last_seq, ${note(sql`true`)}`);
    const stored = executor.$with("stored", {}).as(sql`
      insert into ${sessionEvents} (session_id, seq, type, payload)
      select ${sessionId}, b.last_seq - ${events.length} + e.i, e.v->>'type', (e.v->'payload')::jsonb
      from bumped b, ${elements}`);
    return { bumped, writes: [bumped, stored] };
  }

  /**
   * Sends an event to the session's current listeners in every process without storing it (a reply
   * being streamed): it carries the listener's last event id and is never replayed.
   */
  async function broadcast(sessionId: string, event: NewSessionEvent): Promise<void> {
    const note = JSON.stringify({ s: sessionId, q: 0, x: event } satisfies Note);
    if (Buffer.byteLength(note, "utf8") > INLINE_MAX_BYTES) return;
    await dbHandle.notify(CHANNEL, note);
  }

  function schedule(sub: Subscriber, work: () => Promise<void>) {
    sub.chain = sub.chain.then(async () => {
      if (sub.closed) return;
      try {
        await work();
      } catch (error) {
        sub.closed = true;
        subscribers.get(sub.sessionId)?.delete(sub);
        sub.onError(error);
      }
    });
  }

  async function send(sub: Subscriber, events: readonly SessionEvent[]) {
    for (const event of events) {
      if (sub.closed) return;
      if (event.id <= sub.cursor) continue;
      sub.cursor = event.id;
      await sub.deliver(event);
    }
  }

  function onNote(raw: string) {
    let note: Note;
    try {
      note = JSON.parse(raw) as Note;
    } catch {
      return;
    }
    if (note.t) deps.onFanOutLag?.((Date.now() - note.t) / 1000);
    const subs = subscribers.get(note.s);
    if (!subs) return;
    const ephemeral = note.x;
    for (const sub of subs) {
      if (ephemeral) {
        schedule(sub, async () => sub.deliver({ ...ephemeral, id: sub.cursor } as SessionEvent));
        continue;
      }
      schedule(sub, async () => {
        if (note.q <= sub.cursor) return;
        const inline = note.e ? numbered(note.q, note.e) : undefined;
        if (inline?.[0] && inline[0].id <= sub.cursor + 1) return send(sub, inline);
        return send(sub, await read(sub.sessionId, sub.cursor, note.q));
      });
    }
  }

  function onReconnect() {
    // Notifications sent while the listening connection was down are lost: catch up from the table.
    for (const subs of subscribers.values())
      for (const sub of subs) schedule(sub, async () => send(sub, await read(sub.sessionId, sub.cursor)));
  }

  function ensureListening(): Promise<unknown> {
    listening ??= dbHandle.listen(CHANNEL, onNote, { onReconnect }).catch((error) => {
      listening = undefined;
      throw error;
    });
    return listening;
  }

  /**
   * Delivers the session's events to `deliver`: after `after` (a reconnecting client's last event id),
   * or, with `after: "history"`, the compacted history first. Resolves once the backfill is delivered.
   */
  async function subscribe(
    sessionId: string,
    after: number | "history",
    deliver: (event: SessionEvent) => void | Promise<void>,
    onError: (error: unknown) => void = (error) =>
      log.warn({ err: error, sessionId }, "event delivery failed"),
  ): Promise<EventSubscription> {
    await ensureListening();
    const sub: Subscriber = {
      sessionId,
      cursor: after === "history" ? 0 : after,
      chain: Promise.resolve(),
      closed: false,
      deliver,
      onError,
    };
    let subs = subscribers.get(sessionId);
    if (!subs) {
      subs = new Set();
      subscribers.set(sessionId, subs);
    }
    subs.add(sub);
    // Listening already: anything committed from here on is announced; the backfill reads the rest.
    schedule(sub, async () => {
      const backlog = await read(sessionId, sub.cursor);
      await send(sub, after === "history" ? compactHistory(backlog) : backlog);
    });
    await sub.chain;
    return {
      get cursor() {
        return sub.cursor;
      },
      close() {
        sub.closed = true;
        const set = subscribers.get(sessionId);
        set?.delete(sub);
        if (set?.size === 0) subscribers.delete(sessionId);
      },
    };
  }

  return {
    append,
    appendWithChange,
    broadcast,
    read,
    subscribe,
    /** Sessions with subscribers in this process (for status broadcasts). */
    watchedSessions: () => [...subscribers.keys()],
    subscriberCount: () => [...subscribers.values()].reduce((n, s) => n + s.size, 0),
  };
}

export type EventLog = ReturnType<typeof createEventLog>;
