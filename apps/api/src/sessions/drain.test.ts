import { once } from "node:events";
import { type StreamablePeer, startStreamablePeer } from "@mcpdeck/mcp/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startTestApp, type TestApp } from "../testing/harness.js";
import { openSessionSocket } from "../testing/session-client.js";

let peer: StreamablePeer;
let app: TestApp;

beforeAll(async () => {
  peer = await startStreamablePeer();
  app = await startTestApp({ statusChecks: false });
});
afterAll(async () => {
  await app?.close();
  await peer?.close();
});

describe("a graceful stop (SIGTERM)", () => {
  it("tells clients to reconnect, lets calls finish within the grace period and interrupts the rest as a crash would", async () => {
    const { token, serverId } = await app.signInWithServer("drain@example.com", peer.url, "peer");
    const client = await openSessionSocket(app.url, serverId, { token });
    // A tRPC WebSocket client, to see tRPC's reconnect notification.
    const trpc = new WebSocket(`${app.url.replace(/^http/, "ws")}/trpc`);
    const trpcMessages: string[] = [];
    trpc.on("message", (data) => trpcMessages.push(data.toString()));
    const trpcClosed = once(trpc, "close");
    await once(trpc, "open");

    client.send("chat_message", {
      text: `/graph ${JSON.stringify({
        nodes: [
          { id: "quick", tool: "sleep", arguments: { ms: 300 } },
          { id: "long", tool: "sleep", arguments: { ms: 60000 } },
          { id: "after", tool: "echo", arguments: { text: "after" }, depends_on: ["quick"] },
        ],
      })}`,
    });
    await client.waitFor("task_graph_proposal");
    for (const id of ["quick", "long", "after"]) client.send("approve_task", { node_id: id });
    for (const id of ["quick", "long"])
      await client.waitFor("task_update", (m) => m.payload.node_id === id && m.payload.status === "running");
    await client.waitFor(
      "task_update",
      (m) => m.payload.node_id === "after" && m.payload.status === "approved",
    );

    const stopped = app.shutdown(2_000);
    expect(await client.closed).toEqual({ code: 1001, reason: "server restarting" });
    expect(await stopped).toEqual({ finished: 1, interrupted: 1 });
    expect(trpcMessages.map((m) => JSON.parse(m))).toEqual([{ id: null, method: "reconnect" }]);
    expect((await trpcClosed)[0]).toBe(1001);
    // No longer listening: a reconnecting client goes to another process.
    await expect(fetch(`${app.url}/healthz`)).rejects.toThrow();

    const nodes = (await app.db.execute(
      "select node_id, status, error from task_nodes order by ordinal",
    )) as { node_id: string; status: string; error: string | null }[];
    expect(nodes.map((n) => [n.node_id, n.status])).toEqual([
      ["quick", "succeeded"],
      ["long", "failed"],
      // Approved but not started: left for another process (or this one's next start).
      ["after", "approved"],
    ]);
    // The same outcome and events as when a dead process's lease lapses (engine.ts `recover`).
    const interrupted =
      "Interrupted: the process running this call stopped before it finished. It was not retried, because the tool may already have acted.";
    expect(nodes[1]!.error).toBe(interrupted);
    const events = (await app.db.execute(
      "select type, payload from session_events order by seq desc limit 2",
    )) as { type: string; payload: Record<string, unknown> }[];
    expect(events.reverse()).toMatchObject([
      { type: "task_update", payload: { node_id: "long", status: "failed", error: interrupted } },
      { type: "log_entry", payload: { node_id: "long", level: "error", message: `sleep: ${interrupted}` } },
    ]);
    expect(peer.toolCalls.get("sleep")).toBe(2);
    expect(peer.toolCalls.get("echo") ?? 0).toBe(0);
    expect(await app.services.metrics.total("mcpdeck_tool_calls_total")).toBe(2);
  });
});
