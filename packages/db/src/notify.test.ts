import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type DbHandle } from "./client.js";
import { NOTIFY_PAYLOAD_MAX_BYTES } from "./notify.js";
import { createTestDb } from "./testing.js";
import { withTransaction } from "./transaction.js";

let handle: DbHandle & { url?: string };
beforeAll(async () => {
  handle = await createTestDb();
}, 60_000);
afterAll(() => handle?.close());

let n = 0;
/** A channel of its own per test, so no test hears another's notifications. */
const freshChannel = () => `test_channel_${++n}`;

/** Records a listener's payloads; `until` resolves once the predicate holds. */
function recorder() {
  const payloads: string[] = [];
  const waiters = new Set<() => void>();
  return {
    payloads,
    onPayload: (payload: string) => {
      payloads.push(payload);
      for (const wake of [...waiters]) wake();
    },
    until(predicate: (seen: string[]) => boolean): Promise<void> {
      return new Promise((resolve) => {
        const check = () => {
          if (!predicate(payloads)) return;
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      });
    },
  };
}

describe("listen/notify", () => {
  it("delivers every payload, in the order sent", async () => {
    const channel = freshChannel();
    const seen = recorder();
    const unlisten = await handle.listen(channel, seen.onPayload);
    const sent = Array.from({ length: 40 }, (_, i) => `event-${i}`);
    for (const payload of sent) await handle.notify(channel, payload);
    await seen.until((p) => p.length >= sent.length);
    expect(seen.payloads).toEqual(sent);
    await unlisten();
  });

  it("delivers a notification sent in a transaction only when it commits", async () => {
    const channel = freshChannel();
    const seen = recorder();
    const unlisten = await handle.listen(channel, seen.onPayload);
    await withTransaction(handle.db, async (tx) => {
      await handle.notify(channel, "committed", tx);
      if (handle.kind === "postgres") {
        // A notification sent outside after it arrives first: the one in the open transaction waits.
        await handle.notify(channel, "outside");
        await seen.until((p) => p.includes("outside"));
        expect(seen.payloads).toEqual(["outside"]);
      }
    });
    await seen.until((p) => p.includes("committed"));
    expect(seen.payloads).toEqual(handle.kind === "postgres" ? ["outside", "committed"] : ["committed"]);
    await unlisten();
  });

  it("never delivers a notification sent in a transaction that rolled back", async () => {
    const channel = freshChannel();
    const seen = recorder();
    const unlisten = await handle.listen(channel, seen.onPayload);
    await expect(
      withTransaction(handle.db, async (tx) => {
        await handle.notify(channel, "rolled-back", tx);
        throw new Error("abandon");
      }),
    ).rejects.toThrow("abandon");
    // Sent after the rollback: once it arrives, anything of the rolled-back transaction would have too.
    await handle.notify(channel, "marker");
    await seen.until((p) => p.includes("marker"));
    expect(seen.payloads).toEqual(["marker"]);
    await unlisten();
  });

  it("stops delivering to a listener once it unsubscribes, and listens again on the same channel", async () => {
    const channel = freshChannel();
    const leaving = recorder();
    const staying = recorder();
    const unlistenLeaving = await handle.listen(channel, leaving.onPayload);
    const unlistenStaying = await handle.listen(channel, staying.onPayload);
    await handle.notify(channel, "both");
    await Promise.all([leaving.until((p) => p.length === 1), staying.until((p) => p.length === 1)]);
    await unlistenLeaving();
    await unlistenLeaving(); // idempotent
    await handle.notify(channel, "only-staying");
    await staying.until((p) => p.includes("only-staying"));
    expect(leaving.payloads).toEqual(["both"]);

    // The last listener leaves, then a new one arrives: it hears each notification exactly once.
    await unlistenStaying();
    const returning = recorder();
    const unlistenReturning = await handle.listen(channel, returning.onPayload);
    await handle.notify(channel, "again-1");
    await handle.notify(channel, "again-2");
    await returning.until((p) => p.includes("again-2"));
    expect(returning.payloads).toEqual(["again-1", "again-2"]);
    expect(staying.payloads).toEqual(["both", "only-staying"]);
    await unlistenReturning();
  });

  it("keeps delivering to the other listeners when one throws", async () => {
    const channel = freshChannel();
    const seen = recorder();
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on("warning", onWarning);
    try {
      const unlistenFaulty = await handle.listen(channel, () => {
        throw new Error("listener bug");
      });
      const unlisten = await handle.listen(channel, seen.onPayload);
      await handle.notify(channel, "first");
      await handle.notify(channel, "second");
      await seen.until((p) => p.length === 2);
      expect(seen.payloads).toEqual(["first", "second"]);
      await new Promise((r) => setImmediate(r));
      expect(warnings.some((w) => w.includes(channel) && w.includes("listener bug"))).toBe(true);
      await unlistenFaulty();
      await unlisten();
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("refuses channel names that are not lower-case identifiers", async () => {
    for (const bad of ["", "Status", "1abc", "a-b", 'a"; drop table users; --', "x".repeat(64)]) {
      await expect(
        handle.listen(bad, () => {}),
        bad,
      ).rejects.toThrow(/Invalid notification channel/);
      await expect(handle.notify(bad, "x"), bad).rejects.toThrow(/Invalid notification channel/);
    }
  });

  it("refuses a payload over the limit, naming it, and delivers one at the limit", async () => {
    const channel = freshChannel();
    const seen = recorder();
    const unlisten = await handle.listen(channel, seen.onPayload);
    const atLimit = `${"é".repeat((NOTIFY_PAYLOAD_MAX_BYTES - 1) / 2)}x`; // multi-byte: bytes, not characters
    expect(Buffer.byteLength(atLimit)).toBe(NOTIFY_PAYLOAD_MAX_BYTES);
    await expect(handle.notify(channel, `${atLimit}x`)).rejects.toThrow(/8000 bytes|limit is 7999/);
    await handle.notify(channel, atLimit);
    await seen.until((p) => p.length === 1);
    expect(seen.payloads).toEqual([atLimit]);
    await unlisten();
  });

  it("reaches listeners in other processes on the database, both ways (PostgreSQL: a second handle)", async () => {
    // PGlite is one in-process database: its "other process" is another listener on the same handle.
    const other = handle.url ? await createDb({ databaseUrl: handle.url, maxConnections: 2 }) : handle;
    try {
      const channel = freshChannel();
      const here = recorder();
      const there = recorder();
      const unlistenHere = await handle.listen(channel, here.onPayload);
      const unlistenThere = await other.listen(channel, there.onPayload);
      await handle.notify(channel, "from-here");
      await withTransaction(other.db, (tx) => other.notify(channel, "from-there", tx));
      await Promise.all([here.until((p) => p.length === 2), there.until((p) => p.length === 2)]);
      expect(here.payloads).toEqual(["from-here", "from-there"]);
      expect(there.payloads).toEqual(["from-here", "from-there"]);
      await unlistenHere();
      await unlistenThere();
    } finally {
      if (other !== handle) await other.close();
    }
    if (handle.url) {
      // The closed handle took its listening connection with it: only this handle's is left.
      const admin = postgres(handle.url, { max: 1, onnotice: () => {} });
      try {
        const [row] = await admin`
          select count(*)::int as n from pg_stat_activity
          where datname = current_database() and pid <> pg_backend_pid() and query like 'listen %'`;
        expect(row!.n).toBe(1);
      } finally {
        await admin.end();
      }
    }
  });

  it("listens again after losing its connection, and says so (PostgreSQL)", async () => {
    const channel = freshChannel();
    const seen = recorder();
    let reconnects = 0;
    const unlisten = await handle.listen(channel, seen.onPayload, {
      onReconnect: () => {
        reconnects++;
      },
    });
    if (handle.kind === "postgres") {
      // Kill the backend of the listening connection, as a database restart or a proxy would.
      const killed = await handle.execute(
        `select pg_terminate_backend(pid) from pg_stat_activity
         where datname = current_database() and pid <> pg_backend_pid() and query like 'listen %'`,
      );
      expect(killed.length).toBeGreaterThanOrEqual(1);
      for (let i = 0; i < 200 && reconnects === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(reconnects).toBe(1);
    }
    await handle.notify(channel, "after");
    await seen.until((p) => p.includes("after"));
    expect(seen.payloads).toEqual(["after"]);
    if (handle.kind === "pglite") expect(reconnects).toBe(0);
    await unlisten();
  }, 30_000);

  it("closes cleanly: a process that listened and closed its handle exits on its own", async () => {
    const script = `
      import { createTestDb } from "./src/testing.ts";
      const db = await createTestDb();
      let heard;
      const got = new Promise((resolve) => { heard = resolve; });
      await db.listen("exit_check", heard);
      await db.notify("exit_check", "ping");
      await got;
      await db.close();
      console.log("closed");
    `;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: fileURLToPath(new URL("..", import.meta.url)),
      env: process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d) => {
      output += d;
    });
    child.stderr.on("data", (d) => {
      output += d;
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    // Coarse bound: a lingering listener connection keeps the process alive indefinitely.
    const timeout = new Promise<"hung">((resolve) => setTimeout(() => resolve("hung"), 45_000).unref());
    const result = await Promise.race([exited, timeout]);
    if (result === "hung") child.kill("SIGKILL");
    expect(result, output).toBe(0);
    expect(output).toContain("closed");
  }, 60_000);
});
