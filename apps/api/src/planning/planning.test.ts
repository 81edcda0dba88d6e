import { type DemoMcpHandle, startDemoMcpServer } from "@mcpdeck/demo-mcp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../sessions/engine.js";
import type { SessionEvent } from "../sessions/events.js";
import { startTestApp, type TestApp } from "../testing/harness.js";
import { type LlmStandIn, startLlmStandIn } from "../testing/llm-standin.js";

const REQUEST = "analyze the latest user signups and build a report";

let demo: DemoMcpHandle;
let standIn: LlmStandIn;

beforeAll(async () => {
  demo = await startDemoMcpServer({ port: 0 });
  standIn = await startLlmStandIn("openai-compatible");
});
afterAll(async () => {
  await standIn?.close();
  await demo?.close();
});

/** A new user of `app` (the demo server pre-registered for them) in their demo session, and what it emits. */
async function newUserSession(app: TestApp, email: string) {
  const signedIn = await app.signIn(email);
  const servers = await app.request("GET", "/api/v1/servers", { token: signedIn.access_token });
  const serverId: string = servers.body.servers.find((s: { name: string }) => s.name === "demo").id;
  const userId: string = signedIn.user.id;
  const session = await app.services.sessionStore.current(userId, serverId);
  const actor: Actor = { userId, serverId, sessionId: session.id };
  const seen: SessionEvent[] = [];
  const sub = await app.services.events.subscribe(session.id, "history", (e) => void seen.push(e));
  const of = <T extends SessionEvent["type"]>(type: T) =>
    seen.filter((e): e is Extract<SessionEvent, { type: T }> => e.type === type);
  const messages = (sender: string) =>
    of("chat_message").flatMap((e) => (e.payload.sender === sender ? [e.payload] : []));
  const finalStatus = (nodeId: string) =>
    of("task_update")
      .filter((e) => e.payload.node_id === nodeId && !e.payload.progress)
      .at(-1)?.payload.status;
  /** Waits until everything stored so far has been delivered (over PostgreSQL, delivery is asynchronous). */
  const caughtUp = async () => {
    const last = (await app.services.events.read(session.id, 0)).at(-1)?.id ?? 0;
    await expect.poll(() => seen.at(-1)?.id ?? 0).toBeGreaterThanOrEqual(last);
  };
  return { actor, seen, sub, of, messages, finalStatus, caughtUp };
}

describe("planning through the session engine", () => {
  describe("with no model configured", () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await startTestApp({ statusChecks: false, env: { MCPDECK_DEMO_MCP_URL: demo.url } });
    });
    afterAll(async () => {
      await app.close();
    });

    it("plans the spec's request offline into a graph that approves and runs to a PDF", async () => {
      const s = await newUserSession(app, "first-steps@example.com");
      expect(await app.services.engine.modelStatus(s.actor.sessionId)).toMatchObject({ model: "builtin" });

      await app.services.engine.send(s.actor, REQUEST);

      await s.caughtUp();
      const [proposal] = s.of("task_graph_proposal");
      expect(proposal, JSON.stringify(s.messages("SYSTEM"))).toBeDefined();
      const nodes = proposal!.payload.nodes;
      expect(nodes.map((n) => n.tool)).toEqual(["query_signups", "build_report"]);
      expect(nodes[1]).toMatchObject({ depends_on: ["query_signups"], title: "Build a PDF report" });
      expect(JSON.stringify(nodes[1]!.arguments)).toContain("{{query_signups}}");
      expect(s.messages("AGENT").at(-1)?.text).toMatch(/^Here is a plan in 2 steps/);
      expect(s.of("log_entry").at(-1)?.payload.message).toMatch(/Proposed 2 steps \(builtin\)/);

      await app.services.engine.approveAll(s.actor);
      await expect.poll(() => s.finalStatus("build_report"), { timeout: 20_000 }).toBe("succeeded");
      expect(s.finalStatus("query_signups")).toBe("succeeded");
      const artifact = s.of("artifact_generated").at(-1)!;
      expect(artifact.payload).toMatchObject({
        node_id: "build_report",
        content_type: "application/pdf",
        name: "latest-user-signups.pdf",
      });
      const row = await app.services.artifacts.getOwned(s.actor.userId, artifact.payload.artifact_id);
      expect((await app.services.artifacts.bytes(row)).subarray(0, 5).toString()).toBe("%PDF-");
      await expect.poll(() => s.messages("AGENT").at(-1)?.text).toMatch(/^Done: all 2 steps succeeded\./);
      s.sub.close();
    });

    it("answers a request the server's tools cannot do in plain words", async () => {
      const s = await newUserSession(app, "weather@example.com");
      await app.services.engine.send(s.actor, "what's the weather in Paris tomorrow?");
      await s.caughtUp();
      expect(s.of("task_graph_proposal")).toHaveLength(0);
      expect(s.messages("AGENT").at(-1)?.text).toMatch(
        /^I can't do that with this server's tools; it can: query_signups/,
      );
      s.sub.close();
    });
  });

  describe("sampling with no model configured", () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await startTestApp({ statusChecks: false, env: { MCPDECK_DEMO_MCP_URL: demo.url } });
    });
    afterAll(async () => {
      await app.close();
    });

    it("is refused with a clear reason, without asking the person", async () => {
      const s = await newUserSession(app, "no-model@example.com");
      await app.services.engine.send(s.actor, '/call summarize_signups {"days": 7}');
      await s.caughtUp();
      await app.services.engine.approve(s.actor, { node_id: "call" });
      await expect.poll(() => s.finalStatus("call"), { timeout: 20_000 }).toMatch(/^(failed|succeeded)$/);
      expect(s.of("input_request")).toHaveLength(0);
      const logs = s.of("log_entry").map((e) => e.payload.message);
      expect(logs.some((m) => /sampling.*no model is configured: refused/i.test(m))).toBe(true);
      const done = s
        .of("task_update")
        .filter((e) => e.payload.node_id === "call")
        .at(-1)!;
      expect(`${done.payload.error ?? ""} ${done.payload.result_preview ?? ""}`).toMatch(/sampl/i);
      s.sub.close();
    });
  });

  describe("with LLM_PROVIDER=openai-compatible", () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await startTestApp({
        statusChecks: false,
        env: {
          MCPDECK_DEMO_MCP_URL: demo.url,
          LLM_PROVIDER: "openai-compatible",
          LLM_MODEL: "qwen2.5:7b",
          LLM_BASE_URL: standIn.baseUrl,
          LLM_CONTEXT_TOKENS: "16384",
        },
      });
    });
    afterAll(async () => {
      await app.close();
    });

    it("has the model plan the same request, with the tools and the request sent to it", async () => {
      const s = await newUserSession(app, "with-a-model@example.com");
      expect(await app.services.engine.modelStatus(s.actor.sessionId)).toEqual({
        model: "qwen2.5:7b",
        memory: { used: expect.any(Number), total: 16384 },
      });
      standIn.requests.length = 0;
      standIn.script({
        text: JSON.stringify({
          reply: "I'll query the latest signups and build a PDF report from them.",
          nodes: [
            {
              id: "signups",
              tool: "query_signups",
              title: "Query the latest signups",
              content: "Reads the most recent signups with their breakdowns.",
              arguments_json: JSON.stringify({ limit: 100 }),
              depends_on: [],
            },
            {
              id: "report",
              tool: "build_report",
              title: "Build the signups report",
              content: "Turns the signups into a PDF report.",
              arguments_json: JSON.stringify({
                title: "Latest signups",
                sections: [{ heading: "Signups", data: "{{signups}}" }],
              }),
              depends_on: ["signups"],
            },
          ],
        }),
        chunks: 6,
        delayMs: 10,
      });
      await app.services.engine.send(s.actor, REQUEST);
      await s.caughtUp();

      expect(standIn.requests).toHaveLength(1);
      const sent = JSON.stringify(standIn.requests[0]!.body);
      for (const tool of ["query_signups", "fetch_sample_api", "build_report", "render_chart"])
        expect(sent).toContain(tool);
      expect(sent).toContain(REQUEST);
      expect(standIn.requests[0]!.body.model).toBe("qwen2.5:7b");

      const [proposal] = s.of("task_graph_proposal");
      expect(proposal!.payload.nodes.map((n) => [n.id, n.tool, n.title])).toEqual([
        ["signups", "query_signups", "Query the latest signups"],
        ["report", "build_report", "Build the signups report"],
      ]);
      expect(s.of("log_entry").at(-1)?.payload.message).toMatch(/Proposed 2 steps \(qwen2\.5:7b\)/);
      // The intro streamed as it arrived, and its chat message completes that stream.
      const intro = s.messages("AGENT").at(-1)!;
      expect(intro.text).toBe("I'll query the latest signups and build a PDF report from them.");
      expect(intro.stream_id).toBeTruthy();
      // Real usage counts from the model make up the session's memory.
      const status = await app.services.engine.modelStatus(s.actor.sessionId);
      expect(status.memory.used).toBeGreaterThan(500);

      standIn.script({ text: "Done: the report covers 100 signups." });
      await app.services.engine.approveAll(s.actor);
      await expect.poll(() => s.finalStatus("report"), { timeout: 20_000 }).toBe("succeeded");
      expect(s.of("artifact_generated").at(-1)?.payload).toMatchObject({ content_type: "application/pdf" });
      // The summary is the model's, written from the actual results.
      await expect.poll(() => s.messages("AGENT").at(-1)?.text).toBe("Done: the report covers 100 signups.");
      expect(JSON.stringify(standIn.requests.at(-1)!.body)).toContain("Built PDF report");
      s.sub.close();
    });

    it("serves a server's sampling request through the model once the person approves it", async () => {
      const s = await newUserSession(app, "sampling@example.com");
      await app.services.engine.send(s.actor, '/call summarize_signups {"days": 7}');
      await s.caughtUp();
      standIn.requests.length = 0;
      standIn.script({ text: "Signups rose steadily all week, led by the US." });
      await app.services.engine.approve(s.actor, { node_id: "call" });
      await expect.poll(() => s.of("input_request").length, { timeout: 20_000 }).toBe(1);
      const request = s.of("input_request")[0]!.payload;
      expect(request).toMatchObject({ kind: "sampling", node_id: "call" });
      expect(request.messages?.[0]?.text).toMatch(/signups/i);
      // Nothing reaches the model before the person says yes.
      expect(standIn.requests).toHaveLength(0);
      await app.services.engine.respondInput(s.actor, { request_id: request.request_id, action: "accept" });
      await expect.poll(() => s.finalStatus("call"), { timeout: 20_000 }).toBe("succeeded");
      // The first request to the model is the server's (the end-of-graph summary may follow).
      expect(JSON.stringify(standIn.requests[0]!.body)).toContain(request.messages![0]!.text.slice(0, 40));
      const done = s
        .of("task_update")
        .filter((e) => e.payload.node_id === "call")
        .at(-1)!;
      expect(done.payload.result_preview).toMatch(/led by the US/);
      s.sub.close();
    });

    it("sends nothing to the model when the person declines a server's sampling request", async () => {
      const s = await newUserSession(app, "sampling-declined@example.com");
      await app.services.engine.send(s.actor, '/call summarize_signups {"days": 7}');
      await s.caughtUp();
      standIn.requests.length = 0;
      await app.services.engine.approve(s.actor, { node_id: "call" });
      await expect.poll(() => s.of("input_request").length, { timeout: 20_000 }).toBe(1);
      const request = s.of("input_request")[0]!.payload;
      expect(request).toMatchObject({ kind: "sampling", node_id: "call" });
      await app.services.engine.respondInput(s.actor, { request_id: request.request_id, action: "decline" });
      await expect.poll(() => s.finalStatus("call"), { timeout: 20_000 }).toBe("failed");
      // The server was told of the refusal (the demo tool fails with it); the model was never asked.
      const done = s
        .of("task_update")
        .filter((e) => e.payload.node_id === "call")
        .at(-1)!;
      expect(`${done.payload.error ?? ""} ${done.payload.result_preview ?? ""}`).toMatch(
        /The user rejected the sampling request/,
      );
      const sampled = standIn.requests.filter((r) =>
        JSON.stringify(r.body).includes(request.messages![0]!.text.slice(0, 40)),
      );
      expect(sampled).toHaveLength(0);
      s.sub.close();
    });

    it("sends the model long results and answers trimmed to its context, the newest request whole", async () => {
      const s = await newUserSession(app, "long-history@example.com");
      type Sent = { role: string; content: string };
      const messagesOf = (i: number) => standIn.requests[i]!.body.messages as Sent[];

      // 1. The model answers at great length (a pasted dump): the conversation keeps it whole.
      const dump = `<dump> ${"signup row, ".repeat(3000)}</dump>`;
      standIn.requests.length = 0;
      standIn.script({ text: JSON.stringify({ reply: dump, nodes: [] }) });
      await app.services.engine.send(s.actor, "paste every signup you know about");
      await s.caughtUp();
      expect(s.messages("AGENT").at(-1)?.text).toBe(dump);

      // 2. A tool with a long result: the end-of-graph summary gets the result cut, with the marker.
      await app.services.engine.send(s.actor, '/call fetch_sample_api {"endpoint": "web_traffic"}');
      await s.caughtUp();
      standIn.requests.length = 0;
      standIn.script({ text: "Traffic held steady all month." });
      await app.services.engine.approve(s.actor, { node_id: "call" });
      await expect.poll(() => s.finalStatus("call"), { timeout: 20_000 }).toBe("succeeded");
      await expect.poll(() => s.messages("AGENT").at(-1)?.text).toBe("Traffic held steady all month.");
      const preview = s
        .of("task_update")
        .filter((e) => e.payload.node_id === "call")
        .at(-1)!.payload.result_preview!;
      expect(preview).toMatch(/^\{\n {2}"endpoint": "web_traffic",[\s\S]*…$/);
      expect(preview).toHaveLength(500);
      expect(standIn.requests).toHaveLength(1);
      const summary = messagesOf(0);
      const summarised = JSON.parse(summary.find((m) => m.role === "user")!.content) as {
        steps: { step: string; status: string; result: string }[];
      };
      expect(summarised.steps).toEqual([
        expect.objectContaining({ step: "call", status: "succeeded", result: preview }),
      ]);
      expect(JSON.stringify(standIn.requests[0]!.body).length / 4).toBeLessThan(16384 / 2);

      // 3. The next request: sent whole and last, the long answer before it cut with the marker,
      //    everything within the context the model was configured with.
      standIn.requests.length = 0;
      standIn.script({ text: JSON.stringify({ reply: "Which week?", nodes: [] }) });
      await app.services.engine.send(s.actor, REQUEST);
      await s.caughtUp();
      expect(standIn.requests).toHaveLength(1);
      const sent = messagesOf(0);
      expect(sent.at(-1)).toEqual({ role: "user", content: REQUEST });
      expect(sent[0]!.role).toBe("system");
      const answer = sent.find((m) => m.role === "assistant" && m.content.startsWith("<dump>"))!;
      expect(answer.content).toHaveLength(4000);
      expect(answer.content.endsWith("…")).toBe(true);
      expect(dump.startsWith(answer.content.slice(0, -1))).toBe(true);
      expect(JSON.stringify(sent)).not.toContain("</dump>");
      expect(sent.some((m) => m.role === "user" && m.content === "paste every signup you know about")).toBe(
        true,
      );
      expect(sent.some((m) => m.role === "assistant" && m.content === "Traffic held steady all month.")).toBe(
        true,
      );
      expect(JSON.stringify(standIn.requests[0]!.body).length / 4).toBeLessThan(16384);
      s.sub.close();
    });

    it("says the model failed and why, then gives the built-in planner's plan", async () => {
      const s = await newUserSession(app, "model-down@example.com");
      standIn.script({ status: 401, message: "Invalid token." });
      await app.services.engine.send(s.actor, REQUEST);
      await s.caughtUp();
      expect(s.messages("SYSTEM").at(-1)?.text).toMatch(
        /^The model \(qwen2\.5:7b\) failed: the provider answered HTTP 401: Invalid token\. — check the API key\. The built-in planner answered instead\.$/,
      );
      const [proposal] = s.of("task_graph_proposal");
      expect(proposal!.payload.nodes.map((n) => n.tool)).toEqual(["query_signups", "build_report"]);
      expect(s.of("log_entry").at(-1)?.payload.message).toMatch(/Proposed 2 steps \(builtin\)/);
      s.sub.close();
    });

    it("refuses a plan still invalid after the repair round, in a SYSTEM message, and runs nothing", async () => {
      const s = await newUserSession(app, "bad-plan@example.com");
      const bad = JSON.stringify({
        reply: "Here you go.",
        nodes: [
          {
            id: "q",
            tool: "query_signups",
            title: "Query",
            content: "Queries.",
            arguments_json: JSON.stringify({ limit: "lots" }),
            depends_on: [],
          },
        ],
      });
      standIn.requests.length = 0;
      standIn.script({ text: bad }, { text: bad });
      await app.services.engine.send(s.actor, REQUEST);
      await s.caughtUp();
      expect(standIn.requests).toHaveLength(2);
      expect(JSON.stringify(standIn.requests[1]!.body)).toContain("arguments.limit must be");
      expect(s.messages("SYSTEM").at(-1)?.text).toMatch(
        /^The plan was not accepted, so nothing will run:\n- .*arguments\.limit must be/,
      );
      expect(s.of("task_graph_proposal")).toHaveLength(0);
      s.sub.close();
    });
  });
});
