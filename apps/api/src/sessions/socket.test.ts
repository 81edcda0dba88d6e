import { WS_MAX_MESSAGE_BYTES } from "@mcpdeck/contracts";
import { type DemoMcpHandle, startDemoMcpServer } from "@mcpdeck/demo-mcp";
import { startStreamablePeer } from "@mcpdeck/mcp/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACCESS_TTL_SEC } from "../auth/tokens.js";
import { manualClock, startTestApp, type TestApp } from "../testing/harness.js";
import { openSessionSocket, type SessionClient, settled } from "../testing/session-client.js";
import { trpcHttpClient } from "../testing/trpc-clients.js";

let app: TestApp;
let demo: DemoMcpHandle;
let token: string;
let serverId: string;

beforeAll(async () => {
  demo = await startDemoMcpServer({ port: 0 });
  app = await startTestApp({
    statusChecks: false,
    env: { MCPDECK_INPUT_TIMEOUT_S: "2", MCPDECK_WS_MESSAGES_PER_MIN: "1000" },
  });
  ({ token, serverId } = await app.signInWithServer("socket@example.com", demo.url));
});
afterAll(async () => {
  await app.close();
  await demo.close();
});

/** A socket on a fresh conversation with the demo server. */
async function fresh(): Promise<SessionClient> {
  const started = await app.request("POST", `/api/v1/servers/${serverId}/sessions`, { token });
  expect(started.status).toBe(201);
  const client = await openSessionSocket(app.url, serverId, { token });
  await client.waitFor("connection_status");
  return client;
}

const graph = (nodes: unknown[]) => `/graph ${JSON.stringify({ nodes })}`;

describe("the session socket: connecting", () => {
  it("refuses a missing or bad token (401), a foreign or malformed server id (404) and a foreign origin (403)", async () => {
    const refused = (id: string, opts: Parameters<typeof openSessionSocket>[2]) =>
      openSessionSocket(app.url, id, opts).then(
        () => ({ status: 101, body: "" }),
        (e: { status: number; body: string }) => ({ status: e.status, body: e.body }),
      );
    const noToken = await refused(serverId, {});
    expect(noToken.status).toBe(401);
    expect(JSON.parse(noToken.body)).toMatchObject({ code: "UNAUTHENTICATED" });
    expect((await refused(serverId, { token: "not-a-token" })).status).toBe(401);
    const other = (await app.signIn("intruder@example.com")).access_token;
    const foreign = await refused(serverId, { token: other });
    expect(foreign.status).toBe(404);
    expect(JSON.parse(foreign.body)).toMatchObject({ code: "NOT_FOUND" });
    expect((await refused("not-a-uuid", { token })).status).toBe(404);
    expect((await refused("%E0%A4%A", { token })).status).toBe(404);
    expect((await refused(serverId, { token, headers: { origin: "https://evil.example" } })).status).toBe(
      403,
    );
  });

  it("takes the token from ?token= too, answers at the short path, and starts with connection_status", async () => {
    const client = await openSessionSocket(app.url, serverId, { query: { token }, path: "/ws/server" });
    const first = await client.waitFor("connection_status");
    expect(client.messages[0]).toBe(first);
    expect(first.payload).toMatchObject({ status: "online", model: "builtin" });
    expect(first.payload.latency).toBeGreaterThanOrEqual(0);
    expect(first.payload.memory.total).toBeGreaterThanOrEqual(0);
    await client.close();
  });
});

describe("the session socket: server status", () => {
  it("sends connection_status again when the server's status changes", async () => {
    const peer = await startStreamablePeer();
    const created = await app.request("POST", "/api/v1/servers", {
      token,
      body: { name: "flaky", url: peer.url, auth_method: "none" },
    });
    const c = await openSessionSocket(app.url, created.body.id, { token });
    expect((await c.waitFor("connection_status")).payload.status).toBe("online");
    const { user } = await app.services.auth.authenticate(token);
    const row = await app.services.servers.getOwned(user.id, created.body.id);
    await app.services.statusChecker.checkNow(row); // recorded online: the first check is a change too
    await peer.close();
    await app.services.statusChecker.checkNow(row);
    const offline = await c.waitFor("connection_status", (m) => m.payload.status === "offline");
    expect(offline.payload.latency).toBeNull();
    await c.close();
  });
});

describe("the session socket: running a graph", () => {
  it("proposes, waits for approval, runs, streams progress and logs, and summarises", async () => {
    const c = await fresh();
    c.send("chat_message", { text: '/call long_running_analysis {"steps": 4, "step_ms": 50}' });
    const proposal = await c.waitFor("task_graph_proposal");
    expect(proposal.payload.nodes[0]).toMatchObject({
      id: "call",
      status: "pending",
      tool: "long_running_analysis",
    });
    expect(c.of("chat_message")[0]!.payload).toMatchObject({
      sender: "USER",
      text: expect.stringMatching(/^\/call/),
    });
    c.send("approve_task", { node_id: "call" });
    expect(await settled(c, "call")).toBe("succeeded");
    expect(c.statuses("call")).toEqual(["approved", "running", "succeeded"]);
    const progress = c.of("task_update").filter((m) => m.payload.progress);
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress.at(-1)!.payload.progress).toMatchObject({ total: 4 });
    const logs = c
      .of("log_entry")
      .filter((m) => m.payload.node_id === "call")
      .map((m) => m.payload.message);
    expect(logs.some((l) => /Calling long_running_analysis/.test(l))).toBe(true);
    expect(logs.some((l) => /succeeded after \d+ ms/.test(l))).toBe(true);
    await c.waitFor("chat_message", (m) => m.payload.sender === "AGENT" && /^Done/.test(m.payload.text));
    // Ids are monotonic across every stored event.
    const ids = c.messages
      .filter((m) => m.type !== "connection_status" && m.type !== "error")
      .map((m) => m.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    await c.close();
  });

  it("answers malformed, unknown and oversized messages with a clear error and keeps the connection and data", async () => {
    const c = await fresh();
    c.sendRaw("{not json");
    c.send("rm_rf", {});
    c.send("approve_task", { nodeId: "x" });
    c.sendRaw(JSON.stringify({ type: "chat_message", payload: { text: "x".repeat(WS_MAX_MESSAGE_BYTES) } }));
    c.send("approve_task", { node_id: "ghost" });
    await expect.poll(() => c.of("error").length).toBe(5);
    const errors = c.of("error").map((e) => e.payload);
    expect(errors[0]).toMatchObject({ code: "VALIDATION_FAILED", message: expect.stringMatching(/JSON/) });
    expect(errors[1]).toMatchObject({ code: "VALIDATION_FAILED", message: expect.stringMatching(/type/) });
    expect(errors[2]).toMatchObject({ code: "VALIDATION_FAILED", message: expect.stringMatching(/node_id/) });
    expect(errors[3]).toMatchObject({ code: "PAYLOAD_TOO_LARGE", message: expect.stringMatching(/64 KiB/) });
    expect(errors[4]).toMatchObject({ code: "NOT_FOUND", message: expect.stringMatching(/no node "ghost"/) });
    const before = c.of("connection_status").length;
    c.send("ping", {});
    await expect.poll(() => c.of("connection_status").length).toBe(before + 1);
    c.send("chat_message", { text: "/help" });
    await c.waitFor(
      "chat_message",
      (m) => m.payload.sender === "SYSTEM" && /\/approve all/.test(m.payload.text),
    );
    await c.close();
  });

  it("replays exactly the missed events after a reconnect, and the whole history on a fresh connection", async () => {
    const c = await fresh();
    c.send("chat_message", { text: '/call query_signups {"limit": 2}' });
    await c.waitFor("task_graph_proposal");
    const cursor = c.lastEventId();
    const sessionId = (await app.request("GET", `/api/v1/servers/${serverId}/sessions`, { token })).body
      .sessions[0].id;
    await c.close();
    // While away: approved and run from another tab.
    const other = await openSessionSocket(app.url, serverId, { token });
    other.send("approve_task", { node_id: "call" });
    expect(await settled(other, "call")).toBe("succeeded");
    await other.waitFor("chat_message", (m) => m.payload.sender === "AGENT");
    const missed = other.messages.filter((m) => m.type !== "connection_status" && m.id > cursor);
    await other.close();

    const back = await openSessionSocket(app.url, serverId, {
      token,
      query: { last_event_id: String(cursor), session_id: sessionId },
    });
    await expect.poll(() => back.lastEventId()).toBe(missed.at(-1)!.id);
    const replayed = back.messages.filter((m) => m.type !== "connection_status");
    expect(replayed.map((m) => m.id)).toEqual(missed.map((m) => m.id));
    expect(replayed).toEqual(missed);
    await back.close();

    // The conversation says where its history ends, so a client can tell history from what follows.
    const opened = await trpcHttpClient(app, { token }).sessions.open.query({
      server_id: serverId,
      session_id: sessionId,
    });
    expect(opened.last_event_id).toBe(missed.at(-1)!.id);

    const reload = await openSessionSocket(app.url, serverId, { token });
    await expect.poll(() => reload.lastEventId()).toBe(missed.at(-1)!.id);
    expect(reload.messages[0]!.type).toBe("connection_status");
    expect(reload.of("task_graph_proposal")).toHaveLength(1);
    expect(reload.statuses("call")).toEqual(["approved", "running", "succeeded"]);
    expect(reload.of("chat_message").map((m) => m.payload.sender)).toEqual(["USER", "AGENT"]);
    await reload.close();
  });
});

describe("the session socket: input requests", () => {
  const configure = async () => {
    const c = await fresh();
    c.send("chat_message", { text: '/call configure_report {"suggested_title": "Q4"}' });
    await c.waitFor("task_graph_proposal");
    c.send("approve_task", { node_id: "call" });
    const request = await c.waitFor("input_request");
    return { c, request };
  };

  it("shows a form request, refuses an answer that does not fit, and completes the call with a valid one", async () => {
    const { c, request } = await configure();
    expect(request.payload).toMatchObject({
      kind: "form",
      node_id: "call",
      message: expect.stringMatching(/report/),
    });
    expect(request.payload.schema).toMatchObject({
      type: "object",
      properties: expect.objectContaining({ title: expect.anything() }),
    });
    expect(c.statuses("call").at(-1)).toBe("awaiting_input");
    c.send("respond_input", {
      request_id: request.payload.request_id,
      action: "accept",
      content: { title: "" },
    });
    const refused = await c.waitFor("error");
    expect(refused.payload).toMatchObject({ code: "VALIDATION_FAILED" });
    c.send("respond_input", {
      request_id: request.payload.request_id,
      action: "accept",
      content: {
        title: "Q4 signups",
        sections: ["summary"],
        include_chart: false,
        recipient: "ops@example.com",
      },
    });
    expect(await settled(c, "call")).toBe("succeeded");
    expect(c.of("input_resolved")[0]!.payload).toEqual({
      request_id: request.payload.request_id,
      action: "accept",
    });
    expect(c.statuses("call")).toEqual(["approved", "running", "awaiting_input", "running", "succeeded"]);
    const done = c.of("task_update").at(-1)!;
    expect(done.payload.result_preview).toMatch(/Q4 signups/);
    await c.close();
  });

  it("passes a decline on, and expires an unanswered request (the call goes on as cancelled)", async () => {
    const declined = await configure();
    declined.c.send("respond_input", { request_id: declined.request.payload.request_id, action: "decline" });
    expect(await settled(declined.c, "call")).toMatch(/succeeded|failed/);
    expect(declined.c.of("task_update").at(-1)!.payload.result_preview ?? "").toMatch(/declin/i);
    await declined.c.close();

    const ignored = await configure();
    const expired = await ignored.c.waitFor("input_resolved", undefined, 10_000);
    expect(expired.payload.action).toBe("expired");
    expect(await settled(ignored.c, "call")).toMatch(/succeeded|failed/);
    expect(ignored.c.of("task_update").at(-1)!.payload.result_preview ?? "").toMatch(/cancel/i);
    await ignored.c.close();
  });
});

describe("the session socket: approvals", () => {
  it("/approve all approves everything but destructive tools, and says which it left", async () => {
    const c = await fresh();
    c.send("chat_message", {
      text: graph([
        { id: "q", tool: "query_signups", arguments: { limit: 1 } },
        { id: "purge", tool: "purge_report_cache", arguments: {} },
      ]),
    });
    const proposal = await c.waitFor("task_graph_proposal");
    expect(proposal.payload.nodes.find((n) => n.id === "purge")!.annotations).toMatchObject({
      destructive: true,
    });
    c.send("chat_message", { text: "/approve all" });
    await c.waitFor(
      "chat_message",
      (m) => m.payload.sender === "SYSTEM" && /Approved 1/.test(m.payload.text),
    );
    const said = c.of("chat_message").at(-1)!.payload.text;
    expect(said).toMatch(/purge \(purge_report_cache\)/);
    expect(await settled(c, "q")).toBe("succeeded");
    expect(c.statuses("purge")).toEqual([]);
    c.send("reject_task", { node_id: "purge" });
    expect(await settled(c, "purge")).toBe("rejected");
    await c.close();
  });
});

describe("the session socket: a connection outliving what it acts for", () => {
  it("ends the connection (4401) when the access token expires, though the sign-in is checked at upgrade only", async () => {
    const clock = manualClock();
    const timed = await startTestApp({ clock, statusChecks: false });
    try {
      const own = await timed.signInWithServer("expiring@example.com", demo.url);
      const c = await openSessionSocket(timed.url, own.serverId, { token: own.token });
      await c.waitFor("connection_status");
      c.send("chat_message", { text: "/help" });
      await c.waitFor("chat_message", (m) => m.payload.sender === "SYSTEM");
      clock.advance(ACCESS_TTL_SEC * 1000);
      c.send("chat_message", { text: "/help" });
      const refused = await c.waitFor("error");
      expect(refused.payload).toMatchObject({
        code: "TOKEN_EXPIRED",
        message: expect.stringMatching(/expired/),
      });
      expect((await c.closed).code).toBe(4401);
      expect(c.of("chat_message").filter((m) => m.payload.sender === "USER")).toHaveLength(1);
    } finally {
      await timed.close();
    }
  });

  it("stops a conversation's actions with a clear error once its server is deleted", async () => {
    const own = await app.request("POST", "/api/v1/servers", {
      token,
      body: { name: "short-lived", url: demo.url, auth_method: "none" },
    });
    const c = await openSessionSocket(app.url, own.body.id, { token });
    await c.waitFor("connection_status");
    c.send("chat_message", { text: '/call query_signups {"limit": 1}' });
    const proposal = await c.waitFor("task_graph_proposal");
    expect((await app.request("DELETE", `/api/v1/servers/${own.body.id}`, { token })).status).toBe(200);
    c.send("approve_task", { node_id: "call", graph_id: proposal.payload.graph_id });
    c.send("chat_message", { text: "/help" });
    await expect.poll(() => c.of("error").length).toBe(2);
    for (const error of c.of("error"))
      expect(error.payload).toEqual({ code: "NOT_FOUND", message: "MCP server not found." });
    expect(c.of("task_update")).toHaveLength(0);
    await c.close();
  });
});

describe("artifacts", () => {
  it("download intact with the token or a signed link, with safe headers; another user's is a 404", async () => {
    const c = await fresh();
    c.send("chat_message", { text: '/call render_chart {"days": 14}' });
    await c.waitFor("task_graph_proposal");
    c.send("approve_task", { node_id: "call" });
    const announced = await c.waitFor("artifact_generated", (m) => m.payload.content_type === "image/png");
    expect(announced.payload).toMatchObject({
      node_id: "call",
      url: `/api/v1/artifacts/download/${announced.payload.artifact_id}`,
    });
    const byToken = await fetch(`${app.url}${announced.payload.url}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(byToken.status).toBe(200);
    expect(byToken.headers.get("content-type")).toBe("image/png");
    expect(byToken.headers.get("x-content-type-options")).toBe("nosniff");
    expect(byToken.headers.get("content-disposition")).toMatch(/^attachment; filename="/);
    const bytes = Buffer.from(await byToken.arrayBuffer());
    expect(bytes.length).toBe(announced.payload.size);
    expect(bytes.subarray(0, 8).toString("hex")).toBe("89504e470d0a1a0a");

    const link = await app.request("GET", `/api/v1/artifacts/${announced.payload.artifact_id}/link`, {
      token,
    });
    expect(link.status).toBe(200);
    const signed = await fetch(`${app.url}${link.body.url}&disposition=inline`);
    expect(signed.status).toBe(200);
    expect(signed.headers.get("content-disposition")).toMatch(/^inline/);
    expect(Buffer.from(await signed.arrayBuffer()).equals(bytes)).toBe(true);
    const forged = await fetch(`${app.url}${link.body.url.replace(/sig=[^&]+/, "sig=forged")}`);
    expect(forged.status).toBe(401);

    const intruder = (await app.signIn("artifact-thief@example.com")).access_token;
    const stolen = await fetch(`${app.url}${announced.payload.url}`, {
      headers: { authorization: `Bearer ${intruder}` },
    });
    expect(stolen.status).toBe(404);
    expect(await stolen.json()).toMatchObject({ code: "NOT_FOUND" });
    const noToken = await fetch(`${app.url}${announced.payload.url}`);
    expect(noToken.status).toBe(401);
    expect(
      (
        await fetch(`${app.url}/api/v1/artifacts/download/not-an-id`, {
          headers: { authorization: `Bearer ${token}` },
        })
      ).status,
    ).toBe(404);
    await c.close();
  });
});

describe("conversations", () => {
  it("/new starts another conversation on the same socket; the list and ?session_id= reach both", async () => {
    const c = await fresh();
    c.send("chat_message", { text: "hello there" });
    await c.waitFor("chat_message", (m) => m.payload.sender !== "USER");
    const firstId = (await app.request("GET", `/api/v1/servers/${serverId}/sessions`, { token })).body
      .sessions[0].id;
    c.send("chat_message", { text: "/new" });
    const started = await c.waitFor("session_started");
    expect(started.payload.session_id).not.toBe(firstId);
    const list = await app.request("GET", `/api/v1/servers/${serverId}/sessions`, { token });
    expect(list.body.sessions[0]).toMatchObject({ id: started.payload.session_id, current: true });
    expect(list.body.sessions.find((s: { id: string }) => s.id === firstId)).toMatchObject({
      current: false,
      title: "hello there",
    });
    const old = await openSessionSocket(app.url, serverId, { token, query: { session_id: firstId } });
    await old.waitFor("chat_message", (m) => m.payload.text === "hello there");
    await old.close();
    const foreign = (await app.signIn("list-thief@example.com")).access_token;
    expect(
      (await app.request("GET", `/api/v1/servers/${serverId}/sessions`, { token: foreign })).status,
    ).toBe(404);
    await c.close();
  });

  it("closes the sockets of a sign-in that ends", async () => {
    const own = await app.signInWithServer("leaver@example.com", demo.url);
    const c = await openSessionSocket(app.url, own.serverId, { token: own.token });
    await c.waitFor("connection_status");
    await app.request("POST", "/api/v1/auth/logout", { body: { refresh_token: own.refresh } });
    expect((await c.closed).code).toBe(4401);
  });
});
