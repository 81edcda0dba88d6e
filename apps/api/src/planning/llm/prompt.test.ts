import type { ModelMessage } from "ai";
import { describe, expect, it } from "vitest";
import type { CatalogTool } from "../../sessions/graph.js";
import { type ChatTurn, estimateTokens, type GraphOutcome } from "../../sessions/planner.js";
import { TRACKER_TOOLS } from "../testing/catalogs.js";
import { buildPlanPrompt, outputTokens, promptBudget, summaryOutputTokens, summaryPrompt } from "./prompt.js";

const TODAY = new Date("2026-11-28T10:00:00Z");
/** The longest a turn of the conversation is shown (the code's MAX_TURN_CHARS). */
const TURN_CHARS = 4000;
/** The longest the request itself is shown. */
const REQUEST_CHARS = 2 * TURN_CHARS;

const text = (m: ModelMessage) => m.content as string;

/** The prompt's size as the planner counts it: its estimate of each part, 4 tokens a message. */
const measure = (p: { system: string; messages: ModelMessage[] }) =>
  estimateTokens(p.system) + p.messages.reduce((sum, m) => sum + estimateTokens(text(m)) + 4, 0);

/** A long text that says where it starts and where it ends, so a cut is visible. */
const long = (tag: string, chars: number) => {
  const start = `<${tag}> `;
  const end = ` </${tag}>`;
  return (
    start + "result row ".repeat(Math.ceil(chars / 11)).slice(0, chars - start.length - end.length) + end
  );
};

const build = (request: string, conversation: ChatTurn[], contextTokens: number, tools = TRACKER_TOOLS) =>
  buildPlanPrompt({ request, conversation, tools, today: TODAY, contextTokens });

const MANY_TOOLS: CatalogTool[] = Array.from({ length: 300 }, (_, i) => ({
  name: `tool_${i}`,
  description: `Does thing number ${i}. ${"padding ".repeat(60)}`,
  inputSchema: { type: "object", properties: { value: { type: "string", description: "x".repeat(200) } } },
}));

describe("prompt and answer together within the model's context", () => {
  it("keeps room for the answer at every context size, never asking for more than the model holds", () => {
    for (const contextTokens of [1024, 2048, 4096, 8192, 16_384, 32_000, 128_000]) {
      expect(
        promptBudget(contextTokens) + outputTokens(contextTokens),
        `${contextTokens}`,
      ).toBeLessThanOrEqual(contextTokens);
      expect(outputTokens(contextTokens), `${contextTokens}`).toBeGreaterThanOrEqual(256);
      expect(summaryOutputTokens(contextTokens), `${contextTokens}`).toBeGreaterThanOrEqual(256);
    }
    expect(outputTokens(128_000)).toBe(4096);
    expect(outputTokens(4096)).toBe(1024);
  });
});

describe("the plan prompt within the model's context", () => {
  /** A conversation of 45 turns: short questions, very long answers and notes (pasted tool results). */
  const conversation: ChatTurn[] = Array.from({ length: 45 }, (_, i) => {
    const sender = (["USER", "AGENT", "SYSTEM"] as const)[i % 3]!;
    return {
      sender,
      text: sender === "USER" ? `question ${i}: what did step ${i} find?` : long(`t${i}`, 12_000),
    };
  });
  const REQUEST = "now build a PDF report of the login failures found above, one section per label";

  it.each([8192, 32_000, 128_000])(
    "keeps the newest turns whole or cut with a marker, the request whole, within %i tokens",
    (contextTokens) => {
      const prompt = build(REQUEST, conversation, contextTokens);
      expect(measure(prompt)).toBeLessThanOrEqual(promptBudget(contextTokens));

      // The newest request is the last message, exactly as typed.
      expect(prompt.messages.at(-1)).toEqual({ role: "user", content: REQUEST });

      // What comes before it is the newest stretch of the conversation, in order, none skipped.
      const history = prompt.messages.slice(0, -1);
      expect(history.length).toBeGreaterThan(0);
      const kept = conversation.slice(conversation.length - history.length);
      for (const [i, message] of history.entries()) {
        const turn = kept[i]!;
        expect(message.role).toBe(turn.sender === "AGENT" ? "assistant" : "user");
        const shown = text(message);
        if (turn.sender === "USER") {
          expect(shown).toBe(turn.text);
          continue;
        }
        // A long answer or note: its beginning, cut at the limit, with the marker; its end gone.
        const body = turn.sender === "SYSTEM" ? shown.replace(/^\[mcpdeck note\] /, "") : shown;
        if (turn.sender === "SYSTEM") expect(shown).toMatch(/^\[mcpdeck note\] /);
        expect(body).toHaveLength(TURN_CHARS);
        expect(body.endsWith("…")).toBe(true);
        expect(turn.text.startsWith(body.slice(0, -1))).toBe(true);
        expect(body).not.toMatch(/<\/t\d+>/);
      }
      // The budget, not a fixed count, decides how far back it reaches.
      if (contextTokens < 128_000) {
        expect(history.length).toBeLessThan(conversation.length);
        expect(JSON.stringify(prompt.messages)).not.toContain("question 0:");
      } else {
        expect(history.length).toBe(conversation.length);
      }
    },
  );

  it("reaches further back with a bigger context", () => {
    const small = build(REQUEST, conversation, 8192).messages.length;
    const medium = build(REQUEST, conversation, 32_000).messages.length;
    expect(medium).toBeGreaterThan(small);
  });

  it("survives a single huge earlier result: cut to the turn limit when it fits, left out when it does not", () => {
    const huge = long("huge", 5_000_000);
    const turns: ChatTurn[] = [
      { sender: "USER", text: "export every signup" },
      { sender: "AGENT", text: huge },
    ];
    const roomy = build(REQUEST, turns, 32_000);
    expect(measure(roomy)).toBeLessThanOrEqual(promptBudget(32_000));
    expect(roomy.messages.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    expect(text(roomy.messages[1]!)).toHaveLength(TURN_CHARS);
    expect(text(roomy.messages[1]!).endsWith("…")).toBe(true);
    expect(text(roomy.messages[1]!)).toMatch(/^<huge> result row/);
    expect(roomy.messages.at(-1)).toEqual({ role: "user", content: REQUEST });

    // A context with no room for even the cut result: the older turns go, the request stays whole.
    const tight = build(REQUEST, turns, 2048);
    expect(measure(tight)).toBeLessThanOrEqual(promptBudget(2048));
    expect(tight.messages).toEqual([{ role: "user", content: REQUEST }]);
  });

  it("keeps a long request whole ahead of the conversation and the tool list", () => {
    const request = long("request", 7000);
    for (const contextTokens of [4096, 8192, 32_000]) {
      const prompt = build(request, conversation, contextTokens, [...MANY_TOOLS, ...TRACKER_TOOLS]);
      expect(measure(prompt), `context ${contextTokens}`).toBeLessThanOrEqual(promptBudget(contextTokens));
      expect(prompt.messages.at(-1)).toEqual({ role: "user", content: request });
    }
  });

  it("cuts a request longer than the limit with a marker", () => {
    const request = long("request", 50_000);
    const prompt = build(request, conversation, 128_000);
    expect(measure(prompt)).toBeLessThanOrEqual(promptBudget(128_000));
    const shown = text(prompt.messages.at(-1)!);
    expect(shown).toHaveLength(REQUEST_CHARS);
    expect(shown.endsWith("…")).toBe(true);
    expect(request.startsWith(shown.slice(0, -1))).toBe(true);
    // Counted as sent, not as typed: the cut request leaves the conversation its room.
    expect(prompt.messages.length).toBe(build("short", conversation, 128_000).messages.length);
  });

  it.each([
    [1024, 400, "whole"],
    [1024, 2000, "cut"],
    [2048, 2000, "whole"],
    [2048, 40_000, "cut"],
    [4096, 12_000, "cut"],
    [8192, 40_000, "cut"],
  ])(
    "fits a context of %i tokens with a %i-character request (%s), the tool list making room",
    (contextTokens, chars, expected) => {
      const request = long("request", chars);
      const prompt = build(request, conversation, contextTokens, [...MANY_TOOLS, ...TRACKER_TOOLS]);
      expect(measure(prompt)).toBeLessThanOrEqual(promptBudget(contextTokens));
      const shown = text(prompt.messages.at(-1)!);
      if (expected === "whole") expect(shown).toBe(request);
      else {
        expect(shown.endsWith("…")).toBe(true);
        expect(request.startsWith(shown.slice(0, -1))).toBe(true);
        // As much of the request as the room allows, never just a stub (a quarter of the budget at least).
        expect(shown.length).toBeGreaterThan(Math.min(1000, promptBudget(contextTokens)));
      }
      // The tool list shrank rather than pushing the prompt over, and says so; it still names tools.
      expect(prompt.toolsShown).toMatch(/more tools not shown/);
      expect(prompt.toolsShown).toMatch(/tool_\d+|searchIssues/);
    },
  );

  it("keeps a big tool list within its half of the budget", () => {
    for (const contextTokens of [4096, 8192, 32_000]) {
      const prompt = build("convert 10 EUR to USD", conversation, contextTokens, [
        ...MANY_TOOLS,
        ...TRACKER_TOOLS,
      ]);
      expect(estimateTokens(prompt.toolsShown)).toBeLessThanOrEqual(
        Math.floor(promptBudget(contextTokens) / 2),
      );
      expect(prompt.toolsShown).toMatch(/more tools not shown/);
      expect(measure(prompt)).toBeLessThanOrEqual(promptBudget(contextTokens));
    }
  });
});

describe("the summary prompt within the model's context", () => {
  const parse = (prompt: string) =>
    JSON.parse(prompt) as { steps: { step: string; status: string; result?: string; error?: string }[] };

  it("cuts each long result and error with a marker, within half the context", () => {
    const outcome: GraphOutcome = {
      nodes: Array.from({ length: 6 }, (_, i) => ({
        id: `step${i}`,
        title: `Step ${i}`,
        tool: "query_signups",
        status: i === 5 ? "failed" : "succeeded",
        resultPreview: long(`r${i}`, 20_000),
        ...(i === 5 ? { error: long("error", 5000) } : {}),
      })),
      artifacts: [{ name: "report.pdf", contentType: "application/pdf", size: 1234, nodeId: "step4" }],
    };
    for (const contextTokens of [8192, 32_000]) {
      const { system, prompt } = summaryPrompt(outcome, contextTokens);
      expect(estimateTokens(system) + estimateTokens(prompt)).toBeLessThanOrEqual(contextTokens / 2);
      const { steps } = parse(prompt);
      expect(steps.map((s) => s.step)).toEqual(["step0", "step1", "step2", "step3", "step4", "step5"]);
      for (const [i, step] of steps.entries()) {
        expect(step.result!.endsWith("…")).toBe(true);
        expect(step.result!.length).toBeLessThanOrEqual(1500);
        expect(step.result!.startsWith(`<r${i}> result row`)).toBe(true);
        expect(step.result).not.toContain(`</r${i}>`);
      }
      expect(steps[5]!.error).toHaveLength(400);
      expect(steps[5]!.error!.endsWith("…")).toBe(true);
    }
  });

  it("survives a single huge result", () => {
    const { prompt } = summaryPrompt(
      {
        nodes: [
          {
            id: "dump",
            title: "Dump",
            tool: "export",
            status: "succeeded",
            resultPreview: long("dump", 5_000_000),
          },
        ],
        artifacts: [],
      },
      8192,
    );
    const [step] = parse(prompt).steps;
    expect(step!.result).toHaveLength(1500);
    expect(step!.result!.endsWith("…")).toBe(true);
    expect(estimateTokens(prompt)).toBeLessThan(8192 / 2);
  });

  it("stays within half the context for the biggest graph, counting the steps it cannot list", () => {
    const outcome: GraphOutcome = {
      nodes: Array.from({ length: 200 }, (_, i) => ({
        id: `step${i}`,
        title: `Step number ${i} of the big plan`,
        tool: "query_signups",
        status: i % 2 ? "failed" : "succeeded",
        resultPreview: long(`r${i}`, 500),
        ...(i % 2 ? { error: long("error", 2000) } : {}),
      })),
      artifacts: Array.from({ length: 200 }, (_, i) => ({
        name: `chart-${i}.png`,
        contentType: "image/png",
        size: 1000 + i,
        nodeId: `step${i}`,
      })),
    };
    for (const contextTokens of [8192, 32_000, 128_000]) {
      const { system, prompt } = summaryPrompt(outcome, contextTokens);
      expect(estimateTokens(system) + estimateTokens(prompt), `context ${contextTokens}`).toBeLessThanOrEqual(
        contextTokens / 2,
      );
      const parsed = JSON.parse(prompt) as {
        steps: { step: string; result?: string }[];
        more_steps?: string;
        files: unknown[];
        more_files?: number;
      };
      const listed = parsed.steps.length;
      expect(listed).toBeGreaterThan(10);
      expect(parsed.steps.map((s) => s.step)).toEqual(outcome.nodes.slice(0, listed).map((n) => n.id));
      if (listed < 200) {
        const hidden = outcome.nodes.slice(listed);
        const failed = hidden.filter((n) => n.status === "failed").length;
        expect(parsed.more_steps).toBe(
          `${hidden.length - failed} succeeded, ${failed} failed`.replace(/^0 succeeded, /, ""),
        );
        expect(parsed.files.length + parsed.more_files!).toBe(200);
      } else {
        expect(parsed.more_steps).toBeUndefined();
        expect(parsed.files).toHaveLength(200);
      }
      // With room enough, every step's result is there whole (500 characters, as the engine keeps it).
      if (contextTokens === 128_000) {
        for (const step of parsed.steps) expect(step.result).toHaveLength(500);
      }
    }
  });
});
