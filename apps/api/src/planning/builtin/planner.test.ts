import { type DemoMcpHandle, startDemoMcpServer } from "@mcpdeck/demo-mcp";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CatalogTool, checkGraph } from "../../sessions/graph.js";
import type { ChatTurn, PlanAnswer } from "../../sessions/planner.js";
import { TRACKER_TOOLS } from "../testing/catalogs.js";
import { ASK_PREFIX, createBuiltinPlanner, planRequest } from "./planner.js";

/** A Saturday; "the last 7 days" are 2026-11-21 … 2026-11-27. */
const TODAY = new Date("2026-11-28T10:00:00Z");
/** The demo tools this table was written against (others may be added to the server later). */
const DEMO_TOOL_NAMES = [
  "query_signups",
  "fetch_sample_api",
  "build_report",
  "long_running_analysis",
  "render_chart",
  "always_fails",
];

let demo: DemoMcpHandle;
let liveCatalog: CatalogTool[];
let demoTools: CatalogTool[];

beforeAll(async () => {
  demo = await startDemoMcpServer({ port: 0 });
  const client = new Client({ name: "planner-test", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(demo.url)));
  const { tools } = await client.listTools();
  await client.close();
  liveCatalog = tools as CatalogTool[];
  demoTools = liveCatalog.filter((t) => DEMO_TOOL_NAMES.includes(t.name));
});
afterAll(async () => {
  await demo?.close();
});

interface Expected {
  /** Tools of the nodes, in order. */
  tools?: string[];
  /** Arguments each node must have (a subset, by node index). */
  args?: Record<number, Record<string, unknown>>;
  /** depends_on of each node, by index (node ids). */
  deps?: Record<number, string[]>;
  /** The answer is a reply matching this. */
  reply?: RegExp;
}

type Row = [request: string, expected: Expected];

const CANNOT = /^I can't do that with this server's tools; it can: /;
/** The planner's question about what it could not find (answered by the next message). */
const asks = (detail: string) => new RegExp(`^${ASK_PREFIX}[\\s\\S]*${detail}`);

const DEMO_TABLE: Row[] = [
  [
    "analyze the latest user signups and build a report",
    {
      tools: ["query_signups", "build_report"],
      args: {
        1: {
          title: "Latest user signups",
          sections: [{ heading: "Latest user signups", data: "{{query_signups}}" }],
        },
      },
      deps: { 0: [], 1: ["query_signups"] },
    },
  ],
  [
    "Analyze the latest user signups.",
    {
      tools: ["query_signups", "build_report"],
      args: { 1: { sections: [{ heading: "Latest user signups", data: "{{query_signups}}" }] } },
      deps: { 1: ["query_signups"] },
    },
  ],
  [
    "query signups from Germany in the last 7 days",
    {
      tools: ["query_signups"],
      args: { 0: { country: "DE", start_date: "2026-11-21", end_date: "2026-11-27" } },
    },
  ],
  [
    "show me signups from the US on the pro plan, top 10",
    { tools: ["query_signups"], args: { 0: { country: "US", plan: "pro", limit: 10 } } },
  ],
  [
    "how many enterprise signups came from referrals?",
    { tools: ["query_signups"], args: { 0: { plan: "enterprise" } } },
  ],
  [
    "signups from ads since 2026-10-01",
    { tools: ["query_signups"], args: { 0: { source: "ads", start_date: "2026-10-01" } } },
  ],
  [
    "query signups between 2026-09-01 and 2026-09-30 and chart them",
    {
      tools: ["query_signups", "render_chart"],
      args: { 0: { start_date: "2026-09-01", end_date: "2026-09-30" } },
      deps: { 1: ["query_signups"] },
    },
  ],
  [
    "query signups from Germany in the last 7 days, then render a chart",
    { tools: ["query_signups", "render_chart"], deps: { 0: [], 1: ["query_signups"] } },
  ],
  [
    "render a chart of the last 30 days of signups for enterprise",
    { tools: ["render_chart"], args: { 0: { days: 30, plan: "enterprise" } } },
  ],
  ["plot signups in the past two weeks", { tools: ["render_chart"], args: { 0: { days: 14 } } }],
  [
    "get web traffic since 2026-10-01",
    { tools: ["fetch_sample_api"], args: { 0: { endpoint: "web_traffic", start_date: "2026-10-01" } } },
  ],
  [
    "show revenue for last month",
    {
      tools: ["fetch_sample_api"],
      args: { 0: { endpoint: "revenue", start_date: "2026-10-01", end_date: "2026-10-31" } },
    },
  ],
  [
    "fetch marketing spend and revenue for last month and build a report",
    {
      tools: ["fetch_sample_api", "fetch_sample_api", "build_report"],
      args: {
        0: { endpoint: "marketing_spend" },
        1: { endpoint: "revenue" },
        2: {
          sections: [
            { heading: "Marketing spend", data: "{{fetch_sample_api_marketing_spend}}" },
            { heading: "Revenue", data: "{{fetch_sample_api_revenue}}" },
          ],
        },
      },
      deps: { 2: ["fetch_sample_api_marketing_spend", "fetch_sample_api_revenue"] },
    },
  ],
  [
    "query signups and use them to build a report titled 'Weekly signups'",
    {
      tools: ["query_signups", "build_report"],
      args: { 1: { title: "Weekly signups" } },
      deps: { 1: ["query_signups"] },
    },
  ],
  [
    "build a report on signups from France",
    {
      tools: ["query_signups", "build_report"],
      args: { 0: { country: "FR" }, 1: { title: "Signups from France" } },
      deps: { 1: ["query_signups"] },
    },
  ],
  [
    "query signups, fetch revenue and build a report",
    {
      tools: ["query_signups", "fetch_sample_api", "build_report"],
      deps: { 0: [], 1: [], 2: ["query_signups", "fetch_sample_api"] },
    },
  ],
  [
    "run a long analysis with 5 steps of 200 ms, then chart the signups",
    {
      tools: ["long_running_analysis", "render_chart"],
      args: { 0: { steps: 5, step_ms: 200 } },
      deps: { 1: ["long_running_analysis"] },
    },
  ],
  [
    "run the long analysis with fifty steps",
    { tools: ["long_running_analysis"], args: { 0: { steps: 50 } } },
  ],
  [
    "make it fail with reason 'testing errors'",
    { tools: ["always_fails"], args: { 0: { reason: "testing errors" } } },
  ],
  ["render a chart and a report", { tools: ["render_chart", "build_report"], deps: { 1: ["render_chart"] } }],
  [
    "fetch data from the sample api",
    { reply: asks("needs endpoint[\\s\\S]*One of: marketing_spend, web_traffic, revenue") },
  ],
  ["query signups with limit 1000", { reply: asks("limit must be <= 500") }],
  ["what's the weather in Paris?", { reply: CANNOT }],
  ["delete all users", { reply: CANNOT }],
  ["send the data to my boss", { reply: CANNOT }],
  ["export signups to csv", { reply: CANNOT }],
  ["tell me a joke", { reply: CANNOT }],
  ["hello", { reply: /^Hello! .*query_signups/ }],
  ["what can you do?", { reply: /It can: query_signups \(Query user signups\)/ }],
];

const TRACKER_TABLE: Row[] = [
  [
    "search issues about login failures",
    { tools: ["searchIssues"], args: { 0: { query: "login failures", state: "open", maxResults: 20 } } },
  ],
  [
    "find closed security bugs about tokens created since 2026-11-01, top 5",
    {
      tools: ["searchIssues"],
      args: {
        0: {
          query: "tokens",
          state: "closed",
          labels: ["security", "bug"],
          createdAfter: "2026-11-01",
          maxResults: 5,
        },
      },
    },
  ],
  ["find open security bugs", { reply: asks("searchIssues\\) needs query") }],
  [
    "create an issue titled 'Checkout page crashes' with high priority due 2026-12-05 and assign it to ana@example.com",
    {
      tools: ["createIssue"],
      args: {
        0: {
          title: "Checkout page crashes",
          priority: "high",
          dueDate: "2026-12-05",
          assignee: "ana@example.com",
        },
      },
    },
  ],
  ["create an issue", { reply: asks("createIssue\\) needs title") }],
  ["delete issue 42", { tools: ["deleteIssue"], args: { 0: { issueId: 42 } } }],
  [
    "convert 250 EUR to USD",
    { tools: ["convertCurrency"], args: { 0: { amount: 250, from: "EUR", to: "USD" } } },
  ],
  [
    "how much is 99.5 GBP in JPY",
    { tools: ["convertCurrency"], args: { 0: { amount: 99.5, from: "GBP", to: "JPY" } } },
  ],
  [
    "fetch https://example.com/changelog and summarize it in 50 words",
    {
      tools: ["fetch-web-page", "summarizeText"],
      args: {
        0: { url: "https://example.com/changelog" },
        1: { text: "{{fetch-web-page.text}}", maxWords: 50 },
      },
      deps: { 1: ["fetch-web-page"] },
    },
  ],
  [
    "download https://example.com/a.html with a timeout of 10 seconds",
    { tools: ["fetch-web-page"], args: { 0: { url: "https://example.com/a.html", timeoutSeconds: 10 } } },
  ],
  [
    "fetch https://example.com/news, summarize it, then email the summary to bob@example.com and cara@example.com",
    {
      tools: ["fetch-web-page", "summarizeText", "send-email"],
      args: { 2: { to: ["bob@example.com", "cara@example.com"], body: "{{summarizeText.text}}" } },
      deps: { 0: [], 1: ["fetch-web-page"], 2: ["summarizeText"] },
    },
  ],
  [
    "schedule a meeting about the Q4 roadmap with ana@example.com and li@example.com on 2026-12-03",
    {
      tools: ["schedule-meeting"],
      args: {
        0: {
          topic: "Q4 roadmap",
          attendees: ["ana@example.com", "li@example.com"],
          start: "2026-12-03T00:00:00Z",
          durationMinutes: 30,
        },
      },
    },
  ],
  ["schedule a meeting with ana@example.com tomorrow", { reply: asks("schedule-meeting\\) needs topic") }],
  [
    "schedule a meeting about hiring with ana@example.com tomorrow for 45 minutes and don't send invites",
    {
      tools: ["schedule-meeting"],
      args: { 0: { start: "2026-11-29T00:00:00Z", durationMinutes: 45, sendInvites: false } },
    },
  ],
  [
    "list archived private repositories",
    { tools: ["listRepositories"], args: { 0: { visibility: "private", includeArchived: true } } },
  ],
  [
    "list repositories without archived ones",
    { tools: ["listRepositories"], args: { 0: { includeArchived: false } } },
  ],
  [
    "show closed issues about payments and create an issue titled 'Payment follow-up'",
    {
      tools: ["searchIssues", "createIssue"],
      args: { 0: { query: "payments", state: "closed" }, 1: { title: "Payment follow-up" } },
      deps: { 0: [], 1: [] },
    },
  ],
  ["book a flight to Paris", { reply: CANNOT }],
  ["delete all repositories", { reply: CANNOT }],
  ["summarize the weather", { reply: CANNOT }],
  ["play some music", { reply: CANNOT }],
];

function check(answer: PlanAnswer, expected: Expected, tools: CatalogTool[]) {
  if (expected.reply) {
    expect(answer.kind).toBe("reply");
    expect((answer as { text: string }).text).toMatch(expected.reply);
    return;
  }
  expect(answer.kind, answer.kind === "reply" ? answer.text : "").toBe("graph");
  if (answer.kind !== "graph") return;
  const nodes = answer.spec.nodes;
  if (expected.tools) expect(nodes.map((n) => n.tool)).toEqual(expected.tools);
  for (const [i, args] of Object.entries(expected.args ?? {}))
    expect(nodes[Number(i)]!.arguments).toMatchObject(args);
  for (const [i, deps] of Object.entries(expected.deps ?? {}))
    expect([...nodes[Number(i)]!.depends_on].sort()).toEqual([...deps].sort());
  // Whatever the planner proposes passes the engine's own check, as any proposal must.
  const checked = checkGraph(answer.spec, tools);
  expect(checked.ok, checked.ok ? "" : checked.problems.join("\n")).toBe(true);
  for (const node of nodes) {
    expect(node.title).toBeTruthy();
    expect(node.content).toBeTruthy();
  }
  expect(answer.text).toMatch(/Nothing runs until you approve it/);
}

describe("the built-in planner", () => {
  it("covers at least 40 requests across two differently styled servers", () => {
    expect(DEMO_TABLE.length + TRACKER_TABLE.length).toBeGreaterThanOrEqual(40);
  });

  describe("against the demo server's tools", () => {
    it.each(DEMO_TABLE)("%s", (request, expected) => {
      check(planRequest(request, [], demoTools, TODAY), expected, demoTools);
    });
  });

  describe("against a camelCase/kebab-case tracker", () => {
    it.each(TRACKER_TABLE)("%s", (request, expected) => {
      check(planRequest(request, [], TRACKER_TOOLS, TODAY), expected, TRACKER_TOOLS);
    });
  });

  it("plans the spec's story against everything the demo server offers today", () => {
    const answer = planRequest("analyze the latest user signups and build a report", [], liveCatalog, TODAY);
    expect(answer.kind).toBe("graph");
    if (answer.kind !== "graph") return;
    expect(answer.spec.nodes.map((n) => n.tool)).toEqual(["query_signups", "build_report"]);
    expect(checkGraph(answer.spec, liveCatalog).ok).toBe(true);
  });

  it("takes the answer to its question and plans the original request with it", () => {
    const asked = planRequest("fetch data from the sample api for last month", [], demoTools, TODAY);
    expect(asked.kind).toBe("reply");
    const conversation: ChatTurn[] = [
      { sender: "USER", text: "fetch data from the sample api for last month" },
      { sender: "AGENT", text: (asked as { text: string }).text },
    ];
    const answer = planRequest("web traffic", conversation, demoTools, TODAY);
    expect(answer.kind).toBe("graph");
    if (answer.kind !== "graph") return;
    expect(answer.spec.nodes[0]).toMatchObject({
      tool: "fetch_sample_api",
      arguments: { endpoint: "web_traffic", start_date: "2026-10-01", end_date: "2026-10-31" },
    });

    const free = planRequest("find open security bugs", [], TRACKER_TOOLS, TODAY);
    const followed = planRequest(
      "crash on startup",
      [
        { sender: "USER", text: "find open security bugs" },
        { sender: "AGENT", text: (free as { text: string }).text },
      ],
      TRACKER_TOOLS,
      TODAY,
    );
    expect(followed.kind === "graph" && followed.spec.nodes[0]!.arguments).toMatchObject({
      query: "crash on startup",
      labels: ["security", "bug"],
    });
  });

  it("treats a new request after its question as a new request", () => {
    const asked = planRequest("fetch data from the sample api", [], demoTools, TODAY);
    const answer = planRequest(
      "render a chart of the last 30 days",
      [
        { sender: "USER", text: "fetch data from the sample api" },
        { sender: "AGENT", text: (asked as { text: string }).text },
      ],
      demoTools,
      TODAY,
    );
    expect(answer.kind === "graph" && answer.spec.nodes.map((n) => [n.tool, n.arguments])).toEqual([
      ["render_chart", { days: 30 }],
    ]);
  });

  it("says so when the server has no tools, and names itself builtin", async () => {
    const planner = createBuiltinPlanner({ now: () => TODAY });
    expect(planner.name).toBe("builtin");
    const answer = await planner.plan({
      request: "query signups",
      conversation: [],
      tools: [],
      signal: AbortSignal.timeout(1000),
    });
    expect(answer).toEqual({ kind: "reply", text: expect.stringMatching(/offers no tools/) });
  });

  it("is deterministic", () => {
    const a = planRequest(
      "fetch marketing spend and revenue for last month and build a report",
      [],
      demoTools,
      TODAY,
    );
    const b = planRequest(
      "fetch marketing spend and revenue for last month and build a report",
      [],
      demoTools,
      TODAY,
    );
    expect(a).toEqual(b);
  });
});
