import { chatSessions, createDb, type DbHandle, mcpServers, newId, users } from "@mcpdeck/db";
import { createTestDb } from "@mcpdeck/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compactHistory, createEventLog, type SessionEvent } from "./events.js";

const silent = { debug() {}, info() {}, warn() {}, error() {} };
let db: DbHandle & { url?: string };
let sessionId: string;

beforeAll(async () => {
  db = await createTestDb();
  const userId = newId();
  const serverId = newId();
  sessionId = newId();
  await db.db.insert(users).values({ id: userId, email: "events@example.com", username: "events" });
  await db.db
    .insert(mcpServers)
    .values({ id: serverId, userId, name: "s", url: "http://127.0.0.1:1/mcp", authMethod: "none" });
  await db.db.insert(chatSessions).values({ id: sessionId, userId, serverId, title: "t" });
});
afterAll(async () => {
  await db.close();
});

const chat = (text: string) =>
  ({ type: "chat_message", payload: { sender: "USER", text, timestamp: new Date().toISOString() } }) as const;
const texts = (events: SessionEvent[]) =>
  events.map((e) => (e.type === "chat_message" ? e.payload.text : e.type));

function collector() {
  const seen: SessionEvent[] = [];
  return { seen, deliver: (e: SessionEvent) => void seen.push(e) };
}

describe("the session event log", () => {
  it("numbers events per session and replays exactly what follows a cursor", async () => {
    const log = createEventLog({ dbHandle: db, log: silent });
    const first = await log.append(sessionId, [chat("one"), chat("two")]);
    const next = await log.append(sessionId, [chat("three")]);
    expect(first.map((e) => e.id)).toEqual([1, 2]);
    expect(next[0]!.id).toBe(3);

    const after1 = collector();
    const sub = await log.subscribe(sessionId, 1, after1.deliver);
    expect(texts(after1.seen)).toEqual(["two", "three"]);
    expect(sub.cursor).toBe(3);
    await log.append(sessionId, [chat("four")]);
    await expect.poll(() => texts(after1.seen)).toEqual(["two", "three", "four"]);
    sub.close();
    await log.append(sessionId, [chat("five")]);
    await new Promise((r) => setTimeout(r, 50));
    expect(after1.seen).toHaveLength(3);
  });

  it("delivers every event exactly once, in order, under concurrent writers and subscribers", async () => {
    const writerA = createEventLog({ dbHandle: db, log: silent });
    const writerB = createEventLog({ dbHandle: db, log: silent });
    const start = (await writerA.read(sessionId, 0)).length;
    const subs = [collector(), collector(), collector()];
    const handles = await Promise.all(
      subs.map((c, i) => (i % 2 ? writerA : writerB).subscribe(sessionId, start, c.deliver)),
    );
    // A subscriber that joins mid-stream from an old cursor must also end up with the full sequence.
    const writes = Array.from({ length: 40 }, (_, i) =>
      (i % 2 ? writerA : writerB).append(sessionId, [chat(`w${i}`), chat(`w${i}b`)]),
    );
    const late = collector();
    const lateSub = writerA.subscribe(sessionId, start, late.deliver);
    await Promise.all(writes);
    const total = start + 80;
    for (const c of [...subs, late]) {
      await expect.poll(() => c.seen.length).toBe(80);
      expect(c.seen.map((e) => e.id)).toEqual(Array.from({ length: 80 }, (_, i) => start + i + 1));
    }
    expect((await writerA.read(sessionId, 0)).at(-1)!.id).toBe(total);
    for (const h of handles) h.close();
    (await lateSub).close();
  });

  it("reaches a subscriber in another process on PostgreSQL", async () => {
    if (!db.url) return; // PGlite is one process; covered by the concurrent test above.
    const other = await createDb({ databaseUrl: db.url, migrate: false, maxConnections: 2 });
    try {
      const here = createEventLog({ dbHandle: db, log: silent });
      const there = createEventLog({ dbHandle: other, log: silent });
      const cursor = (await here.read(sessionId, 0)).at(-1)!.id;
      const seen = collector();
      const sub = await there.subscribe(sessionId, cursor, seen.deliver);
      await here.append(sessionId, [chat("across")]);
      await expect.poll(() => texts(seen.seen)).toEqual(["across"]);
      sub.close();
    } finally {
      await other.close();
    }
  });

  it("does not announce events of a rolled-back transaction", async () => {
    const log = createEventLog({ dbHandle: db, log: silent });
    const cursor = (await log.read(sessionId, 0)).at(-1)!.id;
    const seen = collector();
    const sub = await log.subscribe(sessionId, cursor, seen.deliver);
    await expect(
      db.db.transaction(async (tx) => {
        await log.append(sessionId, [chat("ghost")], tx);
        throw new Error("abort");
      }),
    ).rejects.toThrow("abort");
    await log.append(sessionId, [chat("real")]);
    await expect.poll(() => texts(seen.seen)).toEqual(["real"]);
    expect(seen.seen[0]!.id).toBe(cursor + 1);
    sub.close();
  });
});

describe("history compaction", () => {
  const update = (id: number, node: string, status: string, progress?: number) =>
    ({
      id,
      type: "task_update",
      payload: {
        graph_id: "g",
        node_id: node,
        status,
        ...(progress !== undefined ? { progress: { current: progress } } : {}),
      },
    }) as SessionEvent;
  const logLine = (id: number) =>
    ({
      id,
      type: "log_entry",
      payload: { timestamp: "2026-01-01T00:00:00.000Z", level: "info", message: `l${id}` },
    }) as SessionEvent;

  it("drops superseded progress and old log lines, keeping status changes and the last event", () => {
    const events = [
      update(1, "a", "running"),
      update(2, "a", "running", 1),
      update(3, "b", "running", 1),
      update(4, "a", "running", 2),
      logLine(5),
      logLine(6),
      logLine(7),
      update(8, "a", "succeeded"),
      update(9, "b", "running", 2),
    ];
    expect(compactHistory(events, 2).map((e) => e.id)).toEqual([1, 6, 7, 8, 9]);
  });
});
