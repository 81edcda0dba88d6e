/**
 * Two real API processes on one PostgreSQL database behind a loopback reverse proxy; one is stopped
 * (SIGTERM) in the middle of a run. This needs PostgreSQL — two processes cannot share the embedded
 * database — so it runs in `pnpm test:postgres` (TEST_DATABASE_URL), not in the PGlite run.
 */
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ServerMessage } from "@mcpdeck/contracts";
import type { DbHandle } from "@mcpdeck/db";
import { createTestDb } from "@mcpdeck/db/testing";
import { type StreamablePeer, startStreamablePeer } from "@mcpdeck/mcp/testing";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { type LoopbackProxy, startLoopbackProxy } from "../testing/loopback-proxy.js";
import { signInOver, startApiProcess } from "../testing/process.js";
import { openSessionSocket, settled } from "../testing/session-client.js";

const GRACE_S = 8;
const METRICS_TOKEN = "graceful-restart-metrics-token-0123456789";
type ApiProcess = Awaited<ReturnType<typeof startApiProcess>>;

let db: DbHandle & { url?: string };
let peer: StreamablePeer;
let keysDir: string;
let processes: ApiProcess[] = [];
let proxy: LoopbackProxy;

beforeAll(async () => {
  if (!process.env.TEST_DATABASE_URL) throw new Error("this test needs TEST_DATABASE_URL (PostgreSQL)");
  db = await createTestDb();
  peer = await startStreamablePeer();
  // One deployment: both processes read the same keys (one data dir's keys.json) and database.
  keysDir = mkdtempSync(join(tmpdir(), "mcpdeck-graceful-"));
  const env = {
    DATABASE_URL: db.url!,
    MCPDECK_DATA_DIR: keysDir,
    MCPDECK_SHUTDOWN_GRACE_S: String(GRACE_S),
    MCPDECK_SESSION_CONCURRENCY: "2",
    MCPDECK_METRICS_TOKEN: METRICS_TOKEN,
    LOG_LEVEL: "info",
  };
  processes = await Promise.all([startApiProcess(env), startApiProcess(env)]);
  proxy = await startLoopbackProxy(processes.map((p) => p.url));
}, 90_000);
afterAll(async () => {
  for (const p of processes) p.kill();
  await proxy?.close();
  await peer?.close();
  await db?.close();
  if (keysDir) rmSync(keysDir, { recursive: true, force: true });
});

/** What the event log stores: everything but the status pings, errors and streamed partial replies. */
const stored = (m: ServerMessage) =>
  m.type !== "connection_status" && m.type !== "error" && m.type !== "chat_partial";

async function succeededCalls(url: string): Promise<number> {
  const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  const family = parsePrometheusTextFormat(await res.text()).find(
    (f) => f.name === "mcpdeck_tool_calls_total",
  );
  return Number(family?.metrics.find((m) => m.labels?.outcome === "succeeded")?.value ?? 0);
}

describe("a process stopped mid-run behind a proxy", () => {
  it("tells its clients to reconnect, finishes or interrupts its calls, and the other process carries on with nothing lost", async () => {
    // Sign in at one process (its development outbox holds the code); the token is good on both.
    const token = await signInOver(processes[0]!.url, "rolling@example.com");
    const created = await fetch(`${proxy.url}/api/v1/servers`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ name: "peer", url: peer.url, auth_method: "none" }),
    });
    expect(created.status).toBe(201);
    const serverId = ((await created.json()) as { id: string }).id;

    const first = await openSessionSocket(proxy.url, serverId, { token });
    const victim = processes.find((p) => p.url === proxy.upgrades.at(-1)!.backend)!;
    const survivor = processes.find((p) => p !== victim)!;
    const survivorCallsBefore = await succeededCalls(survivor.url);
    // A tRPC client of the same process, to see its reconnect notification.
    const trpc = new WebSocket(`${victim.url.replace(/^http/, "ws")}/trpc`);
    const trpcMessages: string[] = [];
    trpc.on("message", (data) => trpcMessages.push(data.toString()));
    await once(trpc, "open");

    first.send("chat_message", {
      text: `/graph ${JSON.stringify({
        nodes: [
          { id: "quick", tool: "sleep", arguments: { ms: 4000 } },
          { id: "long", tool: "sleep", arguments: { ms: 120000 } },
          { id: "after_quick", tool: "echo", arguments: { text: "after quick" }, depends_on: ["quick"] },
          { id: "after_long", tool: "echo", arguments: { text: "after long" }, depends_on: ["long"] },
          { id: "later", tool: "echo", arguments: { text: "later" } },
        ],
      })}`,
    });
    await first.waitFor("task_graph_proposal");
    const listed = await fetch(`${proxy.url}/api/v1/servers/${serverId}/sessions`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const sessionId = (
      (await listed.json()) as { sessions: { id: string; current: boolean }[] }
    ).sessions.find((s) => s.current)!.id;
    const running = (id: string) =>
      first.waitFor("task_update", (m) => m.payload.node_id === id && m.payload.status === "running");
    first.send("approve_task", { node_id: "quick" });
    first.send("approve_task", { node_id: "long" });
    await Promise.all([running("quick"), running("long")]);
    // Two calls at a time per process: "later" is approved and waits; the dependents wait for theirs.
    for (const id of ["later", "after_quick", "after_long"]) first.send("approve_task", { node_id: id });
    for (const id of ["later", "after_quick", "after_long"])
      await first.waitFor("task_update", (m) => m.payload.node_id === id && m.payload.status === "approved");
    await expect.poll(() => peer.toolCalls.get("sleep")).toBe(2);

    const exited = once(victim.child, "exit");
    victim.child.kill("SIGTERM");
    expect(await first.closed).toEqual({ code: 1001, reason: "server restarting" });
    await expect
      .poll(() => trpcMessages.map((m) => JSON.parse(m)))
      .toContainEqual({
        id: null,
        method: "reconnect",
      });

    // The client reconnects at once through the proxy — which lands on the other process — from the
    // last event it received.
    const resumed = await openSessionSocket(proxy.url, serverId, {
      token,
      query: { session_id: sessionId, last_event_id: String(first.lastEventId()) },
    });
    expect(proxy.upgrades.at(-1)!.backend).toBe(survivor.url);
    expect(await settled(resumed, "quick", 30_000)).toBe("succeeded");
    expect(await settled(resumed, "long", 30_000)).toBe("failed");
    expect(
      resumed.of("task_update").find((m) => m.payload.node_id === "long" && m.payload.status === "failed")!
        .payload.error,
    ).toMatch(/^Interrupted: the process running this call stopped before it finished\. It was not retried/);
    expect(await settled(resumed, "after_long")).toBe("skipped");
    expect(await settled(resumed, "after_quick")).toBe("succeeded");
    expect(await settled(resumed, "later")).toBe("succeeded");
    // The graph is done once its summary is posted.
    await resumed.waitFor("chat_message", (m) => m.payload.sender === "AGENT", 20_000);

    // The stopped process drained and exited cleanly; nothing ran twice; what it had not started ran
    // on the process that stayed.
    expect(await exited).toEqual([0, null]);
    expect(victim.output()).toMatch(/stopped: 1 calls finished, 1 interrupted/);
    expect(peer.toolCalls.get("sleep")).toBe(2);
    expect(peer.toolCalls.get("echo")).toBe(2);
    expect(await succeededCalls(survivor.url)).toBe(survivorCallsBefore + 2);

    // Every event exactly once, in order, across the two connections: the stored log itself.
    const seen = [...first.messages.filter(stored), ...resumed.messages.filter(stored)];
    const log = (await db.execute(
      `select seq, type, payload from session_events where session_id = '${sessionId}' order by seq`,
    )) as { seq: string | number; type: string; payload: unknown }[];
    expect(seen).toEqual(log.map((row) => ({ id: Number(row.seq), type: row.type, payload: row.payload })));
    await resumed.close();
    trpc.close();
  }, 120_000);
});
