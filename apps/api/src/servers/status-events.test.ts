import type { ServerStatusEvent } from "@mcpdeck/contracts";
import { createDb, type DbHandle } from "@mcpdeck/db";
import { createTestDb } from "@mcpdeck/db/testing";
import { closedPort, type StreamablePeer, startStreamablePeer } from "@mcpdeck/mcp/testing";
import { createTRPCClient, createWSClient, wsLink } from "@trpc/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { AppRouter } from "../root.js";
import { startTestApp, type TestApp } from "../testing/harness.js";
import { SERVER_STATUS_CHANNEL, statusFingerprint } from "./status-events.js";

/** A tRPC WebSocket client of `app`, signed in with `token`, recording `servers.statusEvents`. */
function subscribeToStatus(app: TestApp, token?: string) {
  const client = createWSClient({
    url: `${app.url.replace("http", "ws")}/trpc`,
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    ...(token ? { connectionParams: { token } } : {}),
  });
  const trpc = createTRPCClient<AppRouter>({ links: [wsLink({ client })] });
  const events: ServerStatusEvent[] = [];
  const errors: unknown[] = [];
  const waiters = new Set<() => void>();
  const wakeAll = () => {
    for (const wake of [...waiters]) wake();
  };
  const subscription = trpc.servers.statusEvents.subscribe(undefined, {
    onData: (event) => {
      events.push(event);
      wakeAll();
    },
    onError: (error) => {
      errors.push(error);
      wakeAll();
    },
  });
  return {
    events,
    errors,
    until(predicate: () => boolean): Promise<void> {
      return new Promise((resolve) => {
        const check = () => {
          if (!predicate()) return;
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      });
    },
    async close() {
      subscription.unsubscribe();
      await client.close();
    },
  };
}

describe("live server status over tRPC WebSocket, across API processes", () => {
  let db: DbHandle & { url?: string };
  let secondHandle: DbHandle;
  let a: TestApp;
  let b: TestApp;
  let peer: StreamablePeer;
  /**
   * Status listeners open on process B's database handle, beyond those the process keeps for itself
   * from its start (the session sockets follow status changes too).
   */
  let listening = 0;
  let ownListeners = 0;

  beforeAll(async () => {
    db = await createTestDb();
    // Two processes on one database: on PostgreSQL each has its own handle (pool and listener);
    // PGlite is in-process, so the two share it.
    secondHandle = db.url ? await createDb({ databaseUrl: db.url, maxConnections: 5 }) : db;
    peer = await startStreamablePeer();
    a = await startTestApp({ dbHandle: db, statusChecks: false });
    const counted: DbHandle = {
      ...secondHandle,
      listen: async (channel, onPayload, options) => {
        const unlisten = await secondHandle.listen(channel, onPayload, options);
        if (channel !== SERVER_STATUS_CHANNEL) return unlisten;
        listening++;
        let open = true;
        return async () => {
          if (open) listening--;
          open = false;
          await unlisten();
        };
      },
    };
    b = await startTestApp({ dbHandle: counted, statusChecks: false });
    ownListeners = listening;
  }, 60_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await peer?.close();
    if (secondHandle !== db) await secondHandle?.close();
    await db?.close();
  });

  it("streams the caller's servers' status: current first, then each change made by another process, never another user's", async () => {
    const alice = await b.signIn("alice@example.com");
    const bob = await b.signIn("bob@example.com");
    const create = async (token: string, name: string, url: string) => {
      const res = await b.request("POST", "/api/v1/servers", {
        token,
        body: { name, url, auth_method: "none" },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body.id as string;
    };
    const watched = await create(alice.access_token, "watched", peer.url);
    const dead = await create(alice.access_token, "dead", `http://127.0.0.1:${await closedPort()}/mcp`);
    const foreign = await create(bob.access_token, "foreign", peer.url);

    const sub = subscribeToStatus(b, alice.access_token);
    try {
      await sub.until(() => sub.events.length >= 2 || sub.errors.length > 0);
      expect(sub.errors).toEqual([]);
      expect(sub.events).toEqual([
        { server_id: watched, status: "offline" },
        { server_id: dead, status: "offline" },
      ]);

      // Process A checks the servers; the subscriber is on process B.
      const check = async (userId: string, serverId: string) =>
        a.services.statusChecker.checkNow(await a.services.servers.getOwned(userId, serverId));
      await check(bob.user.id, foreign); // bob's change: never sent to alice
      await check(alice.user.id, dead); // offline, now with a reason: a change
      await check(alice.user.id, dead); // the same again: not a change
      await check(alice.user.id, watched); // online

      await sub.until(() => sub.events.some((e) => e.server_id === watched && e.status === "online"));
      // Changes arrive in commit order, so everything before the last one has been handled.
      expect(sub.events.map((e) => e.server_id)).not.toContain(foreign);
      expect(sub.events.slice(2)).toEqual([
        {
          server_id: dead,
          status: "offline",
          reason: expect.stringMatching(/refused/i),
          last_checked: expect.any(String),
        },
        {
          server_id: watched,
          status: "online",
          latency: expect.any(Number),
          last_checked: expect.any(String),
        },
      ]);
      expect(listening - ownListeners).toBe(1);
    } finally {
      await sub.close();
    }
    // The subscription's `finally` stops listening once the client leaves.
    for (let i = 0; i < 100 && listening > ownListeners; i++) await new Promise((r) => setTimeout(r, 50));
    expect(listening - ownListeners).toBe(0);
  }, 60_000);

  it("refuses a subscriber without a token", async () => {
    const sub = subscribeToStatus(b);
    try {
      await sub.until(() => sub.errors.length > 0 || sub.events.length > 0);
      expect(sub.events).toEqual([]);
      const error = sub.errors[0] as { data?: { error?: { code?: string } } };
      expect(error.data?.error?.code).toBe("UNAUTHENTICATED");
    } finally {
      await sub.close();
    }
  });
});

describe("what counts as a status change", () => {
  const row = (
    status: "online" | "offline" | "error",
    latencyMs: number | null,
    statusReason: string | null,
  ) => ({
    status,
    latencyMs,
    statusReason,
  });

  it("is a new status or reason, or latency moving to another bucket — not a few milliseconds", () => {
    expect(statusFingerprint(row("online", 30, null))).toBe(statusFingerprint(row("online", 31, null)));
    expect(statusFingerprint(row("online", 40, null))).not.toBe(statusFingerprint(row("online", 120, null)));
    expect(statusFingerprint(row("online", 30, null))).not.toBe(statusFingerprint(row("offline", null, "x")));
    expect(statusFingerprint(row("offline", null, "refused"))).not.toBe(
      statusFingerprint(row("offline", null, "timed out")),
    );
    expect(statusFingerprint(row("offline", null, null))).not.toBe(statusFingerprint(row("online", 0, null)));
  });
});
