import { type DemoMcpHandle, startDemoMcpServer } from "@mcpdeck/demo-mcp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../testing/harness.js";
import type { Actor } from "./engine.js";
import type { SessionEvent } from "./events.js";

let app: TestApp;
let demo: DemoMcpHandle;
let userId: string;
let serverId: string;

beforeAll(async () => {
  demo = await startDemoMcpServer({ port: 0 });
  app = await startTestApp({ statusChecks: false });
  const signedIn = await app.signIn("engine@example.com");
  userId = signedIn.user.id;
  const created = await app.request("POST", "/api/v1/servers", {
    token: signedIn.access_token,
    body: { name: "demo", url: demo.url, auth_method: "none" },
  });
  serverId = created.body.id;
});
afterAll(async () => {
  await app.close();
  await demo.close();
});

/** A fresh conversation with the demo server and everything it emits. */
async function conversation() {
  const session = await app.services.sessionStore.startNew(userId, serverId);
  const actor: Actor = { userId, serverId, sessionId: session.id };
  const seen: SessionEvent[] = [];
  const sub = await app.services.events.subscribe(session.id, "history", (e) => void seen.push(e));
  const send = (text: string) => app.services.engine.send(actor, text);
  const messages = (sender?: string) =>
    seen.flatMap((e) =>
      e.type === "chat_message" && (!sender || e.payload.sender === sender) ? [e.payload.text] : [],
    );
  const proposals = () => seen.flatMap((e) => (e.type === "task_graph_proposal" ? [e.payload] : []));
  const statuses = (nodeId: string) =>
    seen.flatMap((e) =>
      e.type === "task_update" && e.payload.node_id === nodeId && !e.payload.progress
        ? [e.payload.status]
        : [],
    );
  const last = <T extends SessionEvent["type"]>(type: T) =>
    seen.filter((e): e is Extract<SessionEvent, { type: T }> => e.type === type).at(-1);
  const settled = (nodeId: string) =>
    expect
      .poll(() => statuses(nodeId).at(-1), { timeout: 20_000 })
      .toMatch(/^(succeeded|failed|skipped|rejected|cancelled)$/);
  return { actor, seen, sub, send, messages, proposals, statuses, last, settled };
}

describe("the session engine", () => {
  it("proposes /call as a one-node graph that runs only once approved, then summarises", async () => {
    const c = await conversation();
    await c.send('/call query_signups {"country": "US", "limit": 3}');
    await expect.poll(() => c.proposals().length).toBe(1);
    const [proposal] = c.proposals();
    expect(proposal!.nodes).toEqual([
      expect.objectContaining({
        id: "call",
        tool: "query_signups",
        status: "pending",
        arguments: { country: "US", limit: 3 },
        annotations: expect.objectContaining({ read_only: true, destructive: false }),
      }),
    ]);
    await new Promise((r) => setTimeout(r, 200));
    expect(c.statuses("call")).toEqual([]);
    await app.services.engine.approve(c.actor, { node_id: "call" });
    await c.settled("call");
    expect(c.statuses("call")).toEqual(["approved", "running", "succeeded"]);
    const done = c.last("task_update")!;
    expect(done.payload.result_preview).toBeTruthy();
    await expect.poll(() => c.messages("AGENT").at(-1)).toMatch(/^Done: all 1 step succeeded\./);
    c.sub.close();
  });

  it("approves and starts a node named with its graph in one step: once, and only for its owner", async () => {
    const c = await conversation();
    await c.send('/call query_signups {"country": "US", "limit": 2}');
    await expect.poll(() => c.proposals().length).toBe(1);
    const ref = { node_id: "call", graph_id: c.proposals()[0]!.graph_id };
    const intruder = (await app.signIn("engine-intruder@example.com")).user.id;
    await expect(
      app.services.sessions.approve(intruder, serverId, c.actor.sessionId, ref),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    await app.services.sessions.approve(userId, serverId, c.actor.sessionId, ref);
    await expect(app.services.engine.approve(c.actor, ref)).rejects.toMatchObject({ code: "CONFLICT" });
    await c.settled("call");
    expect(c.statuses("call")).toEqual(["approved", "running", "succeeded"]);
    const logs = c.seen.flatMap((e) => (e.type === "log_entry" ? [e.payload.message] : []));
    expect(logs.filter((l) => /^Calling query_signups/.test(l))).toHaveLength(1);
    c.sub.close();
  });

  it("runs a /graph in dependency order with result references, whatever the approval order", async () => {
    const c = await conversation();
    await c.send(
      `/graph ${JSON.stringify({
        nodes: [
          { id: "q", tool: "query_signups", arguments: { country: "US", limit: 5 } },
          {
            id: "r",
            tool: "build_report",
            arguments: { title: "US signups", sections: [{ heading: "Rows", data: "{{q}}" }] },
          },
        ],
      })}`,
    );
    await expect.poll(() => c.proposals().length).toBe(1);
    expect(c.proposals()[0]!.nodes.find((n) => n.id === "r")!.depends_on).toEqual(["q"]);
    await app.services.engine.approve(c.actor, { node_id: "r" });
    await new Promise((r) => setTimeout(r, 200));
    expect(c.statuses("r")).toEqual(["approved"]);
    await app.services.engine.approve(c.actor, { node_id: "q" });
    await c.settled("r");
    expect(c.statuses("r")).toEqual(["approved", "running", "succeeded"]);
    const qDone = c.seen.findIndex(
      (e) => e.type === "task_update" && e.payload.node_id === "q" && e.payload.status === "succeeded",
    );
    const rStart = c.seen.findIndex(
      (e) => e.type === "task_update" && e.payload.node_id === "r" && e.payload.status === "running",
    );
    expect(rStart).toBeGreaterThan(qDone);
    const artifact = c.last("artifact_generated")!;
    expect(artifact.payload).toMatchObject({
      node_id: "r",
      content_type: "application/pdf",
      name: "us-signups.pdf",
    });
    const row = await app.services.artifacts.getOwned(userId, artifact.payload.artifact_id);
    expect((await app.services.artifacts.bytes(row)).subarray(0, 5).toString()).toBe("%PDF-");
    c.sub.close();
  });

  it("skips what depends on a failed node, and on a rejected one", async () => {
    const c = await conversation();
    await c.send(
      `/graph ${JSON.stringify({
        nodes: [
          { id: "bad", tool: "always_fails", arguments: {} },
          { id: "after_bad", tool: "query_signups", arguments: {}, depends_on: ["bad"] },
          { id: "no", tool: "query_signups", arguments: {} },
          { id: "after_no", tool: "query_signups", arguments: {}, depends_on: ["no"] },
        ],
      })}`,
    );
    await app.services.engine.approve(c.actor, { node_id: "after_bad" });
    await app.services.engine.approve(c.actor, { node_id: "bad" });
    await app.services.engine.reject(c.actor, { node_id: "no" });
    await c.settled("after_bad");
    await c.settled("after_no");
    expect(c.statuses("bad").at(-1)).toBe("failed");
    expect(c.statuses("after_bad").at(-1)).toBe("skipped");
    expect(c.statuses("no").at(-1)).toBe("rejected");
    expect(c.statuses("after_no").at(-1)).toBe("skipped");
    await expect
      .poll(() => c.messages("AGENT").at(-1))
      .toMatch(/0 of 4 steps succeeded[\s\S]*✗ .*always_fails/);
    c.sub.close();
  });

  it("refuses invalid graphs with a clear reason and runs nothing", async () => {
    const c = await conversation();
    await c.send(
      '/graph {"nodes": [{"id": "a", "tool": "query_signups", "depends_on": ["b"]}, {"id": "b", "tool": "query_signups", "depends_on": ["a"]}]}',
    );
    await c.send('/graph {"nodes": [{"id": "a", "tool": "no_such_tool"}]}');
    await c.send('/call query_signups {"limit": "lots"}');
    await c.send('/graph {"nodes": [{"id": "a", "tool": "query_signups", "depends_on": ["ghost"]}]}');
    await expect.poll(() => c.messages("SYSTEM").length).toBe(4);
    const refusals = c.messages("SYSTEM");
    expect(refusals).toHaveLength(4);
    expect(refusals[0]).toMatch(/not accepted[\s\S]*cycle: (a → b → a|b → a → b)/);
    expect(refusals[1]).toMatch(
      /"no_such_tool", which this server does not offer \(it offers: .*query_signups/,
    );
    expect(refusals[2]).toMatch(/arguments\.limit must be (integer|number)/);
    expect(refusals[3]).toMatch(/depends on "ghost", which is not in the graph/);
    expect(c.proposals()).toHaveLength(0);
    c.sub.close();
  });

  it("streams progress and the server's steps, and cancels a running call", async () => {
    const c = await conversation();
    await c.send('/call long_running_analysis {"steps": 50, "step_ms": 100}');
    await app.services.engine.approve(c.actor, { node_id: "call" });
    await expect
      .poll(() => c.seen.filter((e) => e.type === "task_update" && e.payload.progress).length, {
        timeout: 10_000,
      })
      .toBeGreaterThanOrEqual(2);
    await app.services.engine.cancel(c.actor);
    await c.settled("call");
    expect(c.statuses("call").at(-1)).toBe("cancelled");
    await expect.poll(() => c.messages("SYSTEM").at(-1)).toMatch(/1 running call stopped/);
    c.sub.close();
  });

  it("runs independent approved nodes at the same time", async () => {
    const c = await conversation();
    const nodes = ["a", "b", "c", "d"].map((id) => ({
      id,
      tool: "long_running_analysis",
      arguments: { steps: 4, step_ms: 200 },
    }));
    await c.send(`/graph ${JSON.stringify({ nodes })}`);
    const started = Date.now();
    await app.services.engine.approveAll(c.actor);
    for (const n of nodes) await c.settled(n.id);
    for (const n of nodes) expect(c.statuses(n.id).at(-1)).toBe("succeeded");
    // Four 800 ms calls one after another would take 3.2 s; together they take about one.
    expect(Date.now() - started).toBeLessThan(2_800);
    c.sub.close();
  });
});
