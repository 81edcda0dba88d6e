import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LlmConfig } from "../../config/config.js";
import type { LlmProvider } from "../../config/env.js";
import { createLogger } from "../../logger.js";
import type { PlanAnswer, Planner } from "../../sessions/planner.js";
import { type LlmStandIn, startLlmStandIn } from "../../testing/llm-standin.js";
import { createPlanner } from "../index.js";
import { TRACKER_TOOLS } from "../testing/catalogs.js";

const TODAY = new Date("2026-11-28T10:00:00Z");
const log = createLogger("silent");

const plan = (reply: string, nodes: object[]) => JSON.stringify({ reply, nodes });
const VALID = plan("I'll search for login issues, then open one to track them.", [
  {
    id: "search",
    tool: "searchIssues",
    title: "Search login issues",
    content: "Finds open issues about login failures.",
    arguments_json: JSON.stringify({ query: "login failures", state: "open" }),
    depends_on: [],
  },
  {
    id: "track",
    tool: "createIssue",
    title: "Open a tracking issue",
    content: "Opens one issue listing what the search found.",
    arguments_json: JSON.stringify({ title: "Login failures", body: "Found: {{search.text}}" }),
    depends_on: ["search"],
  },
]);
const INVALID = plan("Here is the plan.", [
  {
    id: "search",
    tool: "search_issues",
    title: "Search",
    content: "Searches.",
    arguments_json: JSON.stringify({ query: "login failures" }),
    depends_on: [],
  },
]);
const REPAIRED = plan("Here is the corrected plan.", [
  {
    id: "search",
    tool: "searchIssues",
    title: "Search",
    content: "Searches issues about login failures.",
    arguments_json: JSON.stringify({ query: "login failures" }),
    depends_on: [],
  },
]);

/** Each provider, and for Anthropic both ways it asks for structured output. */
const CASES: { label: string; provider: LlmProvider; model: string; asks?: RegExp }[] = [
  {
    label: "OpenAI",
    provider: "openai",
    model: "gpt-4o-mini",
    asks: /"response_format":\{"type":"json_schema"/,
  },
  {
    label: "Anthropic (native structured output)",
    provider: "anthropic",
    model: "claude-sonnet-4-5",
    asks: /"output_config":\{"format":\{"type":"json_schema"/,
  },
  {
    label: "Anthropic (JSON tool)",
    provider: "anthropic",
    model: "claude-3-haiku-20240307",
    asks: /"tools":\[\{"name":"json"/,
  },
  {
    label: "Google Gemini",
    provider: "google",
    model: "gemini-2.5-flash",
    asks: /"responseMimeType":"application\/json","responseSchema":/,
  },
  {
    label: "OpenAI-compatible",
    provider: "openai-compatible",
    model: "llama3.1:8b",
    asks: /"response_format":\{"type":"json_schema"/,
  },
];

describe.each(CASES)("the $label planner through its real AI SDK provider", ({ provider, model, asks }) => {
  let standIn: LlmStandIn;
  let planner: Planner;
  let sampler: ReturnType<typeof createPlanner>["sampler"];

  beforeAll(async () => {
    standIn = await startLlmStandIn(provider);
    const config: LlmConfig = {
      provider,
      model,
      baseUrl: standIn.baseUrl,
      ...(provider === "openai-compatible" ? {} : { apiKey: standIn.apiKey }),
      contextTokens: 32_000,
    };
    ({ planner, sampler } = createPlanner(config, log, { now: () => TODAY, maxRetries: 0 }));
  });
  afterAll(async () => {
    await standIn.close();
  });

  const ask = async (request: string, partials: string[] = []): Promise<PlanAnswer> =>
    planner.plan({
      request,
      conversation: [
        { sender: "USER", text: "hi" },
        { sender: "AGENT", text: "Hello! What do you need?" },
      ],
      tools: TRACKER_TOOLS,
      signal: AbortSignal.timeout(20_000),
      onText: (t) => void partials.push(t),
    });

  it("is named after its model", () => {
    expect(planner.name).toBe(model);
    expect(planner.contextTokens).toBe(32_000);
  });

  it("turns a request into a valid plan, sending the model the tools and the request", async () => {
    standIn.requests.length = 0;
    standIn.script({ text: VALID });
    const partials: string[] = [];
    const answer = await ask("find login failures and open an issue to track them", partials);
    expect(answer.kind).toBe("graph");
    if (answer.kind !== "graph") return;
    expect(answer.text).toBe("I'll search for login issues, then open one to track them.");
    expect(answer.spec.nodes).toEqual([
      expect.objectContaining({
        id: "search",
        tool: "searchIssues",
        arguments: { query: "login failures", state: "open" },
      }),
      expect.objectContaining({
        id: "track",
        tool: "createIssue",
        title: "Open a tracking issue",
        content: "Opens one issue listing what the search found.",
        arguments: { title: "Login failures", body: "Found: {{search.text}}" },
        depends_on: ["search"],
      }),
    ]);
    expect(answer.notice).toBeUndefined();
    expect(answer.contextTokens).toBeGreaterThan(0);
    expect(partials.at(-1)).toBe("I'll search for login issues, then open one to track them.");

    expect(standIn.requests).toHaveLength(1);
    const sent = JSON.stringify(standIn.requests[0]!.body);
    for (const tool of TRACKER_TOOLS) expect(sent).toContain(tool.name);
    expect(sent).toContain("find login failures and open an issue to track them");
    expect(sent).toContain("Hello! What do you need?");
    expect(standIn.requests[0]!.stream).toBe(true);
    // Structured output, the way this provider (and model) takes a schema.
    if (asks) expect(sent).toMatch(asks);
    expect(sent).toContain("arguments_json");
  });

  it("sends an invalid plan back once with the engine's problems, and uses the repaired one", async () => {
    standIn.requests.length = 0;
    standIn.script({ text: INVALID }, { text: REPAIRED });
    const answer = await ask("find login failures");
    expect(answer.kind === "graph" && answer.spec.nodes.map((n) => n.tool)).toEqual(["searchIssues"]);
    expect(standIn.requests).toHaveLength(2);
    const repair = JSON.stringify(standIn.requests[1]!.body);
    expect(repair).toContain("That plan cannot be used");
    expect(repair).toContain('uses tool \\"search_issues\\", which this server does not offer');
  });

  it("answers in words when the model replies without a plan", async () => {
    standIn.script({ text: plan("This server tracks issues; it cannot book flights.", []) });
    const answer = await ask("book me a flight");
    expect(answer).toMatchObject({
      kind: "reply",
      text: "This server tracks issues; it cannot book flights.",
    });
  });

  it("falls back to the built-in planner with a note when the provider fails", async () => {
    standIn.script({ status: 500, message: "The server had an error while processing your request." });
    const answer = await ask("delete issue 42");
    expect(answer.notice).toMatch(
      new RegExp(
        `^The model \\(${model.replace(/[.]/g, "\\.")}\\) failed: the provider answered HTTP 500.*The built-in planner answered instead\\.$`,
      ),
    );
    expect(answer.plannedBy).toBe("builtin");
    expect(answer.kind === "graph" && answer.spec.nodes.map((n) => [n.tool, n.arguments])).toEqual([
      ["deleteIssue", { issueId: 42 }],
    ]);
  });

  it("streams a slow answer piece by piece", async () => {
    const reply =
      "Searching every open issue that mentions login failures, then reporting back on what turns up.";
    standIn.script({ text: plan(reply, []), chunks: 8, delayMs: 20 });
    const partials: string[] = [];
    const answer = await ask("what about login failures?", partials);
    expect(answer).toMatchObject({ kind: "reply", text: reply });
    expect(partials.length).toBeGreaterThanOrEqual(3);
    for (const [i, p] of partials.entries()) {
      expect(reply.startsWith(p)).toBe(true);
      if (i > 0) expect(p.length).toBeGreaterThan(partials[i - 1]!.length);
    }
  });

  it("writes the end-of-graph summary and serves sampling requests through the same model", async () => {
    standIn.requests.length = 0;
    standIn.script(
      { text: "Found 3 login issues and opened #57 to track them." },
      { text: "Signups rose 12%." },
    );
    const summary = await planner.summarize!(
      {
        nodes: [
          {
            id: "search",
            title: "Search",
            tool: "searchIssues",
            status: "succeeded",
            resultPreview: "3 issues",
          },
        ],
        artifacts: [],
      },
      AbortSignal.timeout(10_000),
    );
    expect(summary).toBe("Found 3 login issues and opened #57 to track them.");
    expect(JSON.stringify(standIn.requests[0]!.body)).toContain("3 issues");

    const sampled = await sampler!.sample(
      {
        kind: "sampling",
        message: "The server asks the model",
        messages: [{ role: "user", text: "Summarise the signups trend in one line." }],
        systemPrompt: "Be brief.",
        maxTokens: 50,
      },
      AbortSignal.timeout(10_000),
    );
    expect(sampled).toEqual({ model, text: "Signups rose 12%." });
    const body = JSON.stringify(standIn.requests[1]!.body);
    expect(body).toContain("Summarise the signups trend in one line.");
    expect(body).toContain("Be brief.");
  });
});

describe("model failures the person can act on", () => {
  let standIn: LlmStandIn;
  beforeAll(async () => {
    standIn = await startLlmStandIn("openai");
  });
  afterAll(async () => {
    await standIn.close();
  });

  it("names a refused key without repeating it, and an unusable answer after the repair round", async () => {
    const { planner } = createPlanner(
      {
        provider: "openai",
        model: "gpt-4o-mini",
        baseUrl: standIn.baseUrl,
        apiKey: "sk-wrongwrongwrong1234",
        contextTokens: 8192,
      },
      log,
      { now: () => TODAY, maxRetries: 0 },
    );
    const request = {
      request: "delete issue 7",
      conversation: [],
      tools: TRACKER_TOOLS,
      signal: AbortSignal.timeout(10_000),
    };
    const refused = await planner.plan(request);
    expect(refused.notice).toMatch(
      /failed: the provider answered HTTP 401: Incorrect API key provided\. — check the API key/,
    );
    expect(refused.notice).not.toContain("sk-wrongwrongwrong1234");

    const { planner: good } = createPlanner(
      {
        provider: "openai",
        model: "gpt-4o-mini",
        baseUrl: standIn.baseUrl,
        apiKey: standIn.apiKey,
        contextTokens: 8192,
      },
      log,
      { now: () => TODAY, maxRetries: 0 },
    );
    standIn.script({ text: "not json at all" }, { text: "{still not json" });
    const unusable = await good.plan(request);
    expect(unusable.notice).toMatch(/failed: its answer was not a usable plan, even after one repair/);
    expect(unusable.kind === "graph" && unusable.spec.nodes[0]!.tool).toBe("deleteIssue");
  });

  it("says when the provider cannot be reached", async () => {
    const gone = await startLlmStandIn("openai-compatible");
    await gone.close();
    const { planner } = createPlanner(
      { provider: "openai-compatible", model: "llama3.1:8b", baseUrl: gone.baseUrl, contextTokens: 8192 },
      log,
      { now: () => TODAY, maxRetries: 0 },
    );
    const answer = await planner.plan({
      request: "delete issue 7",
      conversation: [],
      tools: TRACKER_TOOLS,
      signal: AbortSignal.timeout(10_000),
    });
    expect(answer.notice).toMatch(
      /^The model \(llama3\.1:8b\) failed: the provider could not be reached \(.+\)\./,
    );
    expect(answer.kind === "graph" && answer.spec.nodes[0]!.tool).toBe("deleteIssue");
  });

  it("keeps a big tool list within the model's budget, the request's tools first", async () => {
    const many = Array.from({ length: 400 }, (_, i) => ({
      name: `tool_${i}`,
      description: `Does thing number ${i} with a long description. ${"padding ".repeat(60)}`,
      inputSchema: {
        type: "object",
        properties: { value: { type: "string", description: "x".repeat(200) } },
      },
    }));
    const { planner } = createPlanner(
      {
        provider: "openai",
        model: "gpt-4o-mini",
        baseUrl: standIn.baseUrl,
        apiKey: standIn.apiKey,
        contextTokens: 8192,
      },
      log,
      { now: () => TODAY, maxRetries: 0 },
    );
    standIn.requests.length = 0;
    standIn.script({ text: plan("ok", []) });
    await planner.plan({
      request: "convert 10 EUR to USD",
      conversation: Array.from({ length: 40 }, (_, i) => ({
        sender: "USER" as const,
        text: `turn ${i} ${"words ".repeat(300)}`,
      })),
      tools: [...many, ...TRACKER_TOOLS],
      signal: AbortSignal.timeout(10_000),
    });
    const sent = JSON.stringify(standIn.requests[0]!.body);
    expect(sent.length / 4).toBeLessThan(8192);
    expect(sent).toContain("### convertCurrency");
    expect(sent).toMatch(/more tools? not shown/);
    expect(sent).toContain("convert 10 EUR to USD");
    expect(sent).toContain("turn 39");
    expect(sent).not.toContain("turn 0 ");
  });
});
