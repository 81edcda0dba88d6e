import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import WebSocket from "ws";
import {
  createClient,
  type EventOf,
  graphDone,
  type McpdeckClient,
  McpdeckError,
  memoryTokenStore,
  type Session,
  type SessionEvent,
  SessionView,
  type Tokens,
} from "./index.js";
import { type LiveApi, startLiveApi, startTcpProxy } from "./testing/index.js";

let api: LiveApi;
beforeAll(async () => {
  // Sockets re-check the sign-in every second, not every 15 s: an expired token closes one sooner.
  api = await startLiveApi({ socketStatusEveryMs: 1_000 });
});
afterAll(() => api.close());

let users = 0;
async function signedInWithDemo(baseUrl = api.url, tokenStore = memoryTokenStore()) {
  const email = `user${++users}@example.com`;
  const client = createClient({ baseUrl, tokenStore });
  await client.auth.requestOtp({ email });
  await client.auth.verifyOtp({ email, code: await api.code(email) });
  const server = await client.trpc.servers.create.mutate({
    name: "demo",
    url: api.demoUrl,
    auth_method: "none",
  });
  return { client, server, tokenStore };
}

const graph = (nodes: unknown[]) => `/graph ${JSON.stringify({ nodes })}`;
const REPORT_GRAPH = graph([
  { id: "signups", tool: "query_signups", arguments: {} },
  {
    id: "report",
    tool: "build_report",
    arguments: { title: "Signups", sections: [{ heading: "All signups", data: "{{signups}}" }] },
    depends_on: ["signups"],
  },
]);

/** A long analysis (100 steps of 200 ms: 20 s, long enough to be stopped) and a report on it. */
const SLOW_THEN_REPORT = [
  { id: "slow", tool: "long_running_analysis", arguments: { steps: 100, step_ms: 200 } },
  {
    id: "report",
    tool: "build_report",
    arguments: { title: "Analysis", sections: [{ heading: "All", data: "{{slow}}" }] },
    depends_on: ["slow"],
  },
];

/** Reads events into `seen` (and a view) until `until` holds for the view. */
async function readUntil(
  session: Session,
  until: (view: SessionView, event: SessionEvent) => boolean,
  seen: SessionEvent[] = [],
  view = new SessionView(),
  onEvent: (event: SessionEvent) => unknown = () => undefined,
) {
  for await (const event of session) {
    seen.push(event);
    view.apply(event);
    await onEvent(event);
    if (until(view, event)) break;
  }
  return { seen, view };
}

/** Reads events (each given to `onEvent`) until one of the conversation's graphs has ended. */
const untilGraphDone = (session: Session, onEvent: (event: SessionEvent) => unknown) =>
  readUntil(session, (v) => [...v.graphs.values()].some(graphDone), [], new SessionView(), onEvent);

const resumableIds = (events: SessionEvent[]) =>
  events
    .filter((e) => !["connection_status", "error", "chat_partial", "session_started"].includes(e.type))
    .map((e) => e.id);

/** Every stored event of a conversation up to `upTo`: the socket's exact replay after event 0. */
async function storedEvents(client: McpdeckClient, serverId: string, sessionId: string, upTo: number) {
  const token = (await client.auth.tokens())!.access_token;
  const url = `${api.url.replace("http", "ws")}/api/v1/ws/server/${serverId}?session_id=${sessionId}&last_event_id=0`;
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
  const events: SessionEvent[] = [];
  await new Promise<void>((resolve, reject) => {
    ws.on("message", (data) => {
      const event = JSON.parse(String(data)) as SessionEvent;
      events.push(event);
      if (event.type !== "connection_status" && event.id >= upTo) resolve();
    });
    ws.on("error", reject);
  });
  ws.close();
  return events.filter((e) => e.id <= upTo);
}

describe("client.session", () => {
  it("runs a /graph: proposal, approval, progress, results and the artifact's bytes", async () => {
    const { client, server } = await signedInWithDemo();
    const session = client.session(server.id);
    await session.send(REPORT_GRAPH);
    const { seen, view } = await untilGraphDone(session, async (event) => {
      if (event.type === "task_graph_proposal") {
        expectTypeOf(event).toEqualTypeOf<EventOf<"task_graph_proposal">>();
        expect(event.payload.nodes.map((n) => [n.id, n.status])).toEqual([
          ["signups", "pending"],
          ["report", "pending"],
        ]);
        await session.approveAll();
      }
    });
    expect(seen[0]?.type).toBe("connection_status");
    const [result] = [...view.graphs.values()];
    expect(result!.nodes.map((n) => [n.id, n.status])).toEqual([
      ["signups", "succeeded"],
      ["report", "succeeded"],
    ]);
    expect(result!.nodes[1]!.result_preview).toContain("Built PDF report");
    const pdf = view.artifacts.find((a) => a.content_type === "application/pdf");
    expect(pdf).toBeDefined();
    const download = await client.downloadArtifact(pdf!.artifact_id);
    expect(download.name).toBe(pdf!.name);
    expect(new TextDecoder().decode(download.bytes.slice(0, 5))).toBe("%PDF-");
    // Every conversation event once, in order.
    const ids = resumableIds(seen);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    await client.close();
  });

  it("resumes after dropped connections without a gap or a duplicate, refreshing an expired token on the way", async () => {
    const proxy = await startTcpProxy({ host: "127.0.0.1", port: api.app.port });
    const store = memoryTokenStore();
    const { client, server } = await signedInWithDemo(proxy.url, store);
    const before = (await store.load())!;
    const session = client.session(server.id);
    await session.send(
      graph([{ id: "analysis", tool: "long_running_analysis", arguments: { steps: 8, step_ms: 150 } }]),
    );
    let drops = 0;
    const { seen } = await untilGraphDone(session, async (event) => {
      if (event.type === "task_graph_proposal") await session.approve("analysis");
      // Cut the connection twice while the analysis reports progress; the second time the access
      // token has expired, so the reconnect must refresh it first.
      if (event.type === "task_update" && event.payload.progress && drops < 2) {
        drops++;
        if (drops === 2) api.advanceClock(16 * 60_000);
        proxy.dropAll();
      }
    });
    expect(drops).toBe(2);
    expect((await store.load())!.refresh_token).not.toBe(before.refresh_token);
    // Each reconnect says so with a fresh connection_status.
    expect(seen.filter((e) => e.type === "connection_status").length).toBeGreaterThanOrEqual(3);
    const received = resumableIds(seen);
    const stored = resumableIds(
      await storedEvents(client, server.id, session.sessionId!, session.lastEventId),
    );
    expect(received).toEqual(stored);
    await client.close();
    await proxy.close();
  });

  it("resumes a saved position: only the events after lastEventId", async () => {
    const { client, server } = await signedInWithDemo();
    const first = client.session(server.id);
    await first.send("/help");
    await readUntil(first, (v) => v.messages.some((m) => m.sender === "SYSTEM"));
    const saved = { sessionId: first.sessionId!, lastEventId: first.lastEventId };
    await first.close();

    const other = createClient({ baseUrl: api.url, tokens: (await client.auth.tokens())! });
    await other.session(server.id).send("/tools");
    const resumed = other.session(server.id, saved);
    const { seen } = await readUntil(resumed, (v) => v.messages.some((m) => m.sender === "SYSTEM"));
    const ids = resumableIds(seen);
    expect(ids[0]).toBe(saved.lastEventId + 1);
    expect(seen.find((e) => e.type === "chat_message")).toMatchObject({
      payload: { sender: "USER", text: "/tools" },
    });
    await Promise.all([client.close(), other.close()]);
  });

  it("survives the access token expiring under an open socket (4401): refreshes and reconnects", async () => {
    const store = memoryTokenStore();
    const { client, server } = await signedInWithDemo(api.url, store);
    const before = (await store.load()) as Tokens;
    const session = client.session(server.id);
    await readUntil(session, (_v, e) => e.type === "connection_status");
    api.advanceClock(16 * 60_000);
    // The socket re-checks the token (each second here): once expired, an error event and close code 4401.
    const seen: SessionEvent[] = [];
    const expired = () => seen.some((e) => e.type === "error" && e.payload.code === "TOKEN_EXPIRED");
    await readUntil(session, (_v, e) => e.type === "connection_status" && expired(), seen);
    // The session refreshed the tokens and opened a new socket (whose connection_status this is).
    expect((store.load() as Tokens).access_token).not.toBe(before.access_token);
    const last = session.lastEventId;
    await session.send("/help");
    const { seen: after } = await readUntil(session, (v) => v.messages.some((m) => m.sender === "SYSTEM"));
    expect(resumableIds(after)[0]).toBe(last + 1);
    expect(after.find((e) => e.type === "chat_message")).toMatchObject({
      payload: { sender: "USER", text: "/help" },
    });
    await client.close();
  }, 60_000);

  it("follows /new and newSession(): session_started, then the new conversation", async () => {
    const { client, server } = await signedInWithDemo();
    const session = client.session(server.id);
    await readUntil(session, (_v, e) => e.type === "connection_status");
    const firstId = session.sessionId;
    const result = await session.send("/new");
    expect(result.started).toBeDefined();
    expect(session.sessionId).toBe(result.started!.id);
    const { seen } = await readUntil(session, (_v, e) => e.type === "session_started");
    expect(seen.at(-1)).toMatchObject({
      type: "session_started",
      payload: { session_id: result.started!.id },
    });
    await session.send("/help");
    const view = new SessionView();
    const { seen: next } = await readUntil(
      session,
      (v) => v.messages.some((m) => m.sender === "SYSTEM"),
      [],
      view,
    );
    expect(next[0]?.type).toBe("connection_status");
    expect(view.messages.map((m) => m.text)).toEqual(["/help", expect.stringContaining("Commands")]);

    const third = await session.newSession();
    const listed = await session.sessions();
    expect(listed.map((s) => s.id)).toEqual([third.id, result.started!.id, firstId]);
    expect(listed[0]!.current).toBe(true);
    await readUntil(session, (_v, e) => e.type === "session_started");
    expect(session.sessionId).toBe(third.id);
    await client.close();
  });

  it("answers a form input request, and a wrong answer is refused with the fields to fix", async () => {
    const { client, server } = await signedInWithDemo();
    const session = client.session(server.id);
    await session.send("/call configure_report {}");
    const answers: unknown[] = [];
    const { view } = await untilGraphDone(session, async (event) => {
      if (event.type === "task_graph_proposal") await session.approve("call");
      if (event.type === "input_request") {
        expect(event.payload.kind).toBe("form");
        expect(Object.keys(event.payload.schema?.properties ?? {})).toContain("recipient");
        const wrong = await session
          .respond(event.payload.request_id, {
            action: "accept",
            content: { title: "Q3", sections: ["summary"], include_chart: true, recipient: "not an email" },
          })
          .catch((e: unknown) => e);
        expect(wrong).toBeInstanceOf(McpdeckError);
        expect((wrong as McpdeckError).issues?.map((i) => i.path)).toEqual(["content.recipient"]);
        answers.push(
          await session.respond(event.payload.request_id, {
            action: "accept",
            content: {
              title: "Q3",
              sections: ["summary"],
              include_chart: true,
              recipient: "cfo@example.com",
            },
          }),
        );
      }
    });
    expect(answers).toHaveLength(1);
    const node = [...view.graphs.values()][0]!.nodes[0]!;
    expect(node.status).toBe("succeeded");
    expect(node.result_preview).toContain("cfo@example.com");
    expect(view.inputs.size).toBe(0);
    await client.close();
  });

  it("ends with NOT_FOUND for another user's server; close() ends the iterator", async () => {
    const { server } = await signedInWithDemo();
    const { client: stranger } = await signedInWithDemo();
    const session = stranger.session(server.id);
    const error = await (async () => {
      for await (const _ of session);
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(McpdeckError);
    expect((error as McpdeckError).code).toBe("NOT_FOUND");
    await expect(session.send("/help")).rejects.toMatchObject({ code: "NOT_FOUND" });

    const { client, server: own } = await signedInWithDemo();
    const open = client.session(own.id);
    await readUntil(open, (_v, e) => e.type === "connection_status");
    expect(open.connected).toBe(true);
    const reading = readUntil(open, () => false);
    await open.close();
    await reading; // the loop ended: close() finished the iterator
    expect(open.connected).toBe(false);
    await Promise.all([stranger.close(), client.close()]);
  });
});

describe("rejecting and cancelling", () => {
  const statuses = (view: SessionView) =>
    Object.fromEntries([...view.graphs.values()].flatMap((g) => g.nodes.map((n) => [n.id, n.status])));
  const nodeOf = (view: SessionView, id: string) =>
    [...view.graphs.values()].flatMap((g) => g.nodes).find((n) => n.id === id)!;
  /** Each node's statuses in the order the events gave them. */
  const history = (seen: SessionEvent[]) => {
    const out: Record<string, string[]> = {};
    for (const e of seen) {
      if (e.type === "task_graph_proposal") for (const n of e.payload.nodes) out[n.id] = [n.status];
      if (e.type === "task_update" && out[e.payload.node_id]?.at(-1) !== e.payload.status)
        out[e.payload.node_id]!.push(e.payload.status);
    }
    return out;
  };

  it("reject(nodeId): the node ends rejected, what depends on it skipped, the rest runs", async () => {
    const { client, server } = await signedInWithDemo();
    const session = client.session(server.id);
    await session.send(
      graph([
        { id: "signups", tool: "query_signups", arguments: { limit: 5 } },
        {
          id: "report",
          tool: "build_report",
          arguments: { title: "Signups", sections: [{ heading: "All", data: "{{signups}}" }] },
          depends_on: ["signups"],
        },
        { id: "traffic", tool: "fetch_sample_api", arguments: { endpoint: "web_traffic" } },
      ]),
    );
    const results: unknown[] = [];
    const { seen, view } = await untilGraphDone(session, async (event) => {
      if (event.type !== "task_graph_proposal") return;
      results.push(await session.reject("signups", { graphId: event.payload.graph_id }));
      results.push(await session.approve("traffic"));
    });
    expect(results).toEqual([
      { status: "ok", session_id: session.sessionId },
      { status: "ok", session_id: session.sessionId },
    ]);
    expect(statuses(view)).toEqual({ signups: "rejected", report: "skipped", traffic: "succeeded" });
    expect(nodeOf(view, "report").error).toBe("Skipped: a step it depends on did not succeed.");
    // Neither ever ran.
    expect(history(seen)).toMatchObject({ signups: ["pending", "rejected"], report: ["pending", "skipped"] });
    const logsOf = (id: string) =>
      seen
        .filter((e) => e.type === "log_entry" && e.payload.node_id === id)
        .map((e) => (e as EventOf<"log_entry">).payload.message);
    expect(logsOf("signups")).toEqual([]);
    expect(logsOf("report")).toEqual([]);
    expect(logsOf("traffic")).toContain("Calling fetch_sample_api.");

    // A node that has ended cannot be rejected; one that does not exist is not found.
    await expect(session.reject("signups")).rejects.toMatchObject({
      name: "McpdeckError",
      code: "CONFLICT",
      message: expect.stringContaining('Node "signups" has already rejected'),
    });
    await expect(session.reject("traffic")).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(session.reject("nowhere")).rejects.toMatchObject({ code: "NOT_FOUND" });
    await client.close();
  });

  it("reject(nodeId) on a running node stops it: it ends cancelled, its dependants skipped", async () => {
    const { client, server } = await signedInWithDemo();
    const session = client.session(server.id);
    await session.send(graph(SLOW_THEN_REPORT));
    let rejectedAt = 0;
    const { seen, view } = await untilGraphDone(session, async (event) => {
      if (event.type === "task_graph_proposal") await session.approveAll();
      if (
        event.type === "task_update" &&
        event.payload.node_id === "slow" &&
        event.payload.progress &&
        !rejectedAt
      ) {
        rejectedAt = Date.now();
        await session.reject("slow");
      }
    });
    expect(rejectedAt).toBeGreaterThan(0);
    // Stopped long before its 20 s.
    expect(Date.now() - rejectedAt).toBeLessThan(10_000);
    expect(statuses(view)).toEqual({ slow: "cancelled", report: "skipped" });
    expect(nodeOf(view, "slow").error).toBe("Stopped before it finished.");
    expect(history(seen).slow).toEqual(["pending", "approved", "running", "cancelled"]);
    await client.close();
  });

  it("cancel() mid-run: the running call ends cancelled, steps not started too, and the session says so", async () => {
    const { client, server } = await signedInWithDemo();
    const session = client.session(server.id);
    await session.send(graph([...SLOW_THEN_REPORT, { id: "later", tool: "query_signups", arguments: {} }]));
    let cancelling: Promise<unknown> | undefined;
    let cancelledAt = 0;
    let progressed = 0;
    const { seen, view } = await readUntil(
      session,
      (v) =>
        [...v.graphs.values()].some(graphDone) &&
        v.messages.some((m) => m.sender === "SYSTEM" && m.text.startsWith("Cancelling:")),
      [],
      new SessionView(),
      async (event) => {
        // Approve two; "later" stays pending, never approved.
        if (event.type === "task_graph_proposal") {
          await session.approve("report");
          await session.approve("slow");
        }
        if (event.type === "task_update" && event.payload.node_id === "slow" && event.payload.progress) {
          progressed = Math.max(progressed, event.payload.progress.current);
          if (progressed >= 2 && !cancelling) {
            cancelledAt = Date.now();
            cancelling = session.cancel();
          }
        }
      },
    );
    // The promise cancel() returned: the API took the cancellation.
    expect(await cancelling).toEqual({ status: "ok", session_id: session.sessionId });
    expect(Date.now() - cancelledAt).toBeLessThan(10_000);
    expect(statuses(view)).toEqual({ slow: "cancelled", report: "cancelled", later: "cancelled" });
    expect(nodeOf(view, "slow").error).toBe("Stopped before it finished.");
    expect(history(seen)).toEqual({
      slow: ["pending", "approved", "running", "cancelled"],
      report: ["pending", "approved", "cancelled"],
      later: ["pending", "cancelled"],
    });
    // It stopped where it was, far from its 100 steps, and reported nothing after its end.
    const updates = seen.filter(
      (e): e is EventOf<"task_update"> => e.type === "task_update" && e.payload.node_id === "slow",
    );
    const end = updates.findIndex((e) => e.payload.status === "cancelled");
    expect(updates.slice(end + 1)).toEqual([]);
    expect(Math.max(...updates.map((e) => e.payload.progress?.current ?? 0))).toBeLessThan(50);
    expect(view.messages.filter((m) => m.sender === "SYSTEM").at(-1)?.text).toBe(
      "Cancelling: 1 running call stopped, 2 steps that had not started cancelled.",
    );

    // Nothing left to cancel: said so, not an error.
    expect(await session.cancel()).toMatchObject({ status: "ok" });
    await readUntil(
      session,
      (_v, e) => e.type === "chat_message" && e.payload.text === "Nothing is running or waiting.",
    );
    await client.close();
  });

  it("cancel() while a call waits for an answer: the request is withdrawn and the call cancelled", async () => {
    const { client, server } = await signedInWithDemo();
    const session = client.session(server.id);
    await session.send("/call configure_report {}");
    let requestId: string | undefined;
    const { seen, view } = await untilGraphDone(session, async (event) => {
      if (event.type === "task_graph_proposal") await session.approve("call");
      if (event.type === "input_request") {
        requestId = event.payload.request_id;
        await session.cancel();
      }
    });
    expect(requestId).toBeDefined();
    expect(seen).toContainEqual(
      expect.objectContaining({
        type: "input_resolved",
        payload: { request_id: requestId, action: "cancel" },
      }),
    );
    expect(view.inputs.size).toBe(0);
    expect(statuses(view)).toEqual({ call: "cancelled" });
    // Too late to answer it now.
    await expect(session.respond(requestId!, { action: "decline" })).rejects.toMatchObject({
      code: "CONFLICT",
    });
    await client.close();
  });
});
