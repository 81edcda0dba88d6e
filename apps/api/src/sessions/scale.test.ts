import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ServerMessage } from "@mcpdeck/contracts";
import { createDb, type DbHandle } from "@mcpdeck/db";
import { createTestDb } from "@mcpdeck/db/testing";
import { type DemoMcpHandle, startDemoMcpServer } from "@mcpdeck/demo-mcp";
import { type StreamablePeer, startStreamablePeer } from "@mcpdeck/mcp/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../testing/harness.js";
import { signInOver, startApiProcess } from "../testing/process.js";
import { openSessionSocket, settled } from "../testing/session-client.js";
import { trpcWsClient } from "../testing/trpc-clients.js";

let db: DbHandle & { url?: string };
let second: DbHandle;
let a: TestApp;
let b: TestApp;
let demo: DemoMcpHandle;
let peer: StreamablePeer;
let token: string;
let demoId: string;
let peerId: string;
let keysDir: string;

beforeAll(async () => {
  db = await createTestDb();
  // Two API processes on one database: on PostgreSQL each has its own pool and listener; PGlite is
  // in-process, so the two share it (and its notifications).
  second = db.url ? await createDb({ databaseUrl: db.url, migrate: false, maxConnections: 5 }) : db;
  demo = await startDemoMcpServer({ port: 0 });
  peer = await startStreamablePeer();
  // One deployment: the processes share their keys (here, one data dir's keys.json).
  keysDir = mkdtempSync(join(tmpdir(), "mcpdeck-scale-"));
  a = await startTestApp({ dbHandle: db, statusChecks: false, dataDir: keysDir });
  b = await startTestApp({ dbHandle: second, statusChecks: false, dataDir: keysDir });
  token = (await a.signIn("scale@example.com")).access_token;
  const create = async (name: string, url: string) =>
    (await a.request("POST", "/api/v1/servers", { token, body: { name, url, auth_method: "none" } })).body
      .id as string;
  demoId = await create("demo", demo.url);
  peerId = await create("peer", peer.url);
}, 60_000);
afterAll(async () => {
  await a?.close();
  await b?.close();
  await demo?.close();
  await peer?.close();
  if (second !== db) await second?.close();
  await db?.close();
  rmSync(keysDir, { recursive: true, force: true });
});

describe("two API processes on one database", () => {
  it("deliver events caused on one process to clients of the other, and run a node exactly once", async () => {
    await a.request("POST", `/api/v1/servers/${peerId}/sessions`, { token });
    const onA = await openSessionSocket(a.url, peerId, { token });
    const onB = await openSessionSocket(b.url, peerId, { token });
    await onA.waitFor("connection_status");
    await onB.waitFor("connection_status");
    onA.send("chat_message", { text: '/call sleep {"ms": 300}' });
    await onB.waitFor("task_graph_proposal");
    // Both tabs approve at once, one through each process: one approval wins, the node runs once.
    onA.send("approve_task", { node_id: "call" });
    onB.send("approve_task", { node_id: "call" });
    expect(await settled(onB, "call")).toBe("succeeded");
    expect(await settled(onA, "call")).toBe("succeeded");
    for (const client of [onA, onB])
      expect(client.statuses("call")).toEqual(["approved", "running", "succeeded"]);
    const conflicts = [...onA.of("error"), ...onB.of("error")];
    expect(conflicts.map((e) => e.payload.code)).toEqual(["CONFLICT"]);
    expect(peer.toolCalls.get("sleep")).toBe(1);
    // Both saw the same stream, ids and all.
    const stored = (m: ServerMessage) => m.type !== "connection_status" && m.type !== "error";
    await expect.poll(() => onA.lastEventId()).toBe(onB.lastEventId());
    expect(onA.messages.filter(stored)).toEqual(onB.messages.filter(stored));
    await onA.close();
    await onB.close();
  });

  it("run a node exactly once when both approve it by graph, the proposing process in one step", async () => {
    await a.request("POST", `/api/v1/servers/${peerId}/sessions`, { token });
    const onA = await openSessionSocket(a.url, peerId, { token });
    const onB = await openSessionSocket(b.url, peerId, { token });
    await onA.waitFor("connection_status");
    await onB.waitFor("connection_status");
    const before = peer.toolCalls.get("sleep") ?? 0;
    // Proposed through A: A knows the graph and approves in one statement; B looks the node up.
    onA.send("chat_message", { text: '/call sleep {"ms": 200}' });
    const proposal = await onB.waitFor("task_graph_proposal");
    const ref = { node_id: "call", graph_id: proposal.payload.graph_id };
    onA.send("approve_task", ref);
    onB.send("approve_task", ref);
    expect(await settled(onA, "call")).toBe("succeeded");
    expect(await settled(onB, "call")).toBe("succeeded");
    for (const client of [onA, onB])
      expect(client.statuses("call")).toEqual(["approved", "running", "succeeded"]);
    expect([...onA.of("error"), ...onB.of("error")].map((e) => e.payload.code)).toEqual(["CONFLICT"]);
    expect(peer.toolCalls.get("sleep")).toBe(before + 1);
    await onA.close();
    await onB.close();
  });

  it("share the tRPC subscription's resumable ids with the socket's", async () => {
    const { client, close } = trpcWsClient(b, { token });
    const seen: ServerMessage[] = [];
    const sub = client.sessions.events.subscribe(
      { server_id: demoId },
      { onData: (event) => seen.push((event as { data: ServerMessage }).data ?? (event as ServerMessage)) },
    );
    await expect.poll(() => seen.some((m) => m.type === "connection_status")).toBe(true);
    const sent = await client.sessions.send.mutate({
      server_id: demoId,
      text: '/call query_signups {"limit": 1}',
    });
    await expect.poll(() => seen.some((m) => m.type === "task_graph_proposal")).toBe(true);
    await client.sessions.approve.mutate({ server_id: demoId, session_id: sent.session_id, node_id: "call" });
    await expect
      .poll(() => seen.some((m) => m.type === "task_update" && m.payload.status === "succeeded"))
      .toBe(true);
    // The graph is done once its summary is posted: nothing more follows.
    await expect
      .poll(() => seen.some((m) => m.type === "chat_message" && m.payload.sender === "AGENT"))
      .toBe(true);
    sub.unsubscribe();
    const stored = seen.filter((m) => m.type !== "connection_status");
    expect(stored).toEqual(await b.services.events.read(sent.session_id, 0));
    const cut = stored[1]!.id;
    // Resume through tRPC from an id the socket would also accept: exactly the rest follows.
    const resumed: ServerMessage[] = [];
    const again = client.sessions.events.subscribe(
      { server_id: demoId, session_id: sent.session_id, lastEventId: String(cut) },
      {
        onData: (event) => resumed.push((event as { data: ServerMessage }).data ?? (event as ServerMessage)),
      },
    );
    const expected = stored.filter((m) => m.id > cut);
    await expect
      .poll(() => resumed.filter((m) => m.type !== "connection_status").length)
      .toBe(expected.length);
    expect(resumed.filter((m) => m.type !== "connection_status")).toEqual(expected);
    again.unsubscribe();
    close();
  });
});

describe("a process that dies mid-run", () => {
  it("fails its running node as interrupted (never re-running it) and runs approved nodes on restart", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "mcpdeck-durable-"));
    // On PostgreSQL, a database of their own; on PGlite, <dataDir>/pgdata, as in production.
    const pg = db.url ? await createTestDb() : undefined;
    const env: Record<string, string> = {
      MCPDECK_DATA_DIR: dataDir,
      MCPDECK_NODE_LEASE_S: "2",
      MCPDECK_SESSION_CONCURRENCY: "1",
      ...(pg?.url ? { DATABASE_URL: pg.url } : {}),
    };
    const child = await startApiProcess(env);
    let restarted: TestApp | undefined;
    try {
      const owner = await signInOver(child.url, "durable@example.com");
      const created = await fetch(`${child.url}/api/v1/servers`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${owner}` },
        body: JSON.stringify({ name: "peer", url: peer.url, auth_method: "none" }),
      });
      const serverId = ((await created.json()) as { id: string }).id;
      const c = await openSessionSocket(child.url, serverId, { token: owner });
      c.send("chat_message", {
        text: `/graph ${JSON.stringify({
          nodes: [
            { id: "long", tool: "sleep", arguments: { ms: 60000 } },
            { id: "after", tool: "echo", arguments: { text: "after" }, depends_on: ["long"] },
            { id: "later", tool: "echo", arguments: { text: "later" } },
          ],
        })}`,
      });
      await c.waitFor("task_graph_proposal");
      c.send("approve_task", { node_id: "long" });
      await c.waitFor("task_update", (m) => m.payload.node_id === "long" && m.payload.status === "running");
      // One call at a time in this session: "later" is approved, durably, but waits.
      c.send("approve_task", { node_id: "later" });
      await c.waitFor("task_update", (m) => m.payload.node_id === "later" && m.payload.status === "approved");
      const sleeps = peer.toolCalls.get("sleep") ?? 0;
      child.kill();
      await c.closed;

      restarted = await startTestApp({ ownDatabase: true, dataDir, statusChecks: false, env });
      const back = await openSessionSocket(restarted.url, serverId, { token: owner });
      expect(await settled(back, "long", 20_000)).toBe("failed");
      const failed = back
        .of("task_update")
        .filter((m) => m.payload.node_id === "long")
        .at(-1)!;
      expect(failed.payload.error).toMatch(/^Interrupted: .*not retried/);
      expect(await settled(back, "after")).toBe("skipped");
      expect(await settled(back, "later")).toBe("succeeded");
      expect(peer.toolCalls.get("sleep") ?? 0).toBe(sleeps);
      await back.close();
    } finally {
      child.kill();
      await restarted?.close();
      await pg?.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
