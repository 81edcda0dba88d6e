import type { ModelMessage } from "ai";
import { REFERENCE_HELP } from "../../sessions/commands.js";
import type { CatalogTool } from "../../sessions/graph.js";
import { type ChatTurn, estimateTokens, type GraphOutcome } from "../../sessions/planner.js";
import { createToolIndex } from "../builtin/bm25.js";
import { terms } from "../builtin/text.js";

/** Tokens kept free for the model's answer. */
export const OUTPUT_TOKENS = 4096;
/** Share of the budget the tool list may take; the conversation gets what is left. */
const TOOLS_SHARE = 0.5;
const MAX_DESCRIPTION_CHARS = 600;
const MAX_TURN_CHARS = 4000;
const MAX_PREVIEW_CHARS = 1500;

const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** Descriptions inside a schema, dropped when a tool's schema alone is too big to show whole. */
function withoutDescriptions(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutDescriptions);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => k !== "description" && k !== "title" && k !== "examples" && k !== "$schema")
      .map(([k, v]) => [k, withoutDescriptions(v)]),
  );
}

function describeTool(tool: CatalogTool, budgetTokens: number): string {
  const hints = [
    tool.annotations?.readOnlyHint ? "read-only" : undefined,
    !tool.annotations?.readOnlyHint && (tool.annotations?.destructiveHint ?? true)
      ? "destructive"
      : undefined,
  ].filter(Boolean);
  let schema = JSON.stringify(tool.inputSchema);
  if (estimateTokens(schema) > budgetTokens / 4)
    schema = JSON.stringify(withoutDescriptions(tool.inputSchema));
  return [
    `### ${tool.name}${tool.title ? ` — ${tool.title}` : ""}${hints.length ? ` [${hints.join(", ")}]` : ""}`,
    cut(tool.description ?? "(no description)", MAX_DESCRIPTION_CHARS),
    `input schema: ${schema}`,
  ].join("\n");
}

/**
 * The server's tools as the model sees them, within a token budget: when they do not all fit, the
 * ones the request's words point to come first in full, then as many others as fit by name only.
 */
export function describeTools(tools: readonly CatalogTool[], request: string, budgetTokens: number): string {
  const ranked = createToolIndex(tools)
    .rank(terms(request))
    .map((m) => m.tool);
  const ordered = [...ranked, ...tools.filter((t) => !ranked.includes(t))];
  const full: string[] = [];
  const brief: string[] = [];
  let used = 0;
  for (const tool of ordered) {
    const entry = describeTool(tool, budgetTokens);
    const cost = estimateTokens(entry);
    if (brief.length === 0 && used + cost <= budgetTokens) {
      full.push(entry);
      used += cost;
      continue;
    }
    const line = `- ${tool.name}${tool.title ? ` — ${tool.title}` : ""}`;
    if (used + estimateTokens(line) > budgetTokens) break;
    brief.push(line);
    used += estimateTokens(line);
  }
  const left = tools.length - full.length - brief.length;
  return [
    ...full,
    ...(brief.length
      ? ["Also offered (schemas left out for space; plan with them only if needed):", ...brief]
      : []),
    ...(left > 0 ? [`…and ${left} more tool${left === 1 ? "" : "s"} not shown.`] : []),
  ].join("\n\n");
}

function systemPrompt(tools: string, today: Date): string {
  return `You are the planner inside mcpdeck, a client for one MCP server. A person types requests in plain words. You answer with a short chat reply, or with a plan: a task graph of calls to the server's tools. Nothing runs until the person approves each step, so propose freely but precisely.

Answer with one JSON object and nothing else: {"reply": string, "nodes": [...]}.
- A question you can answer, a greeting, or something the tools cannot do: answer in "reply" and leave "nodes" empty. Say plainly when the tools cannot do something. Never invent a tool.
- A task: "reply" introduces the plan in one or two sentences; "nodes" lists the tool calls:
  - "id": short and unique (letters, digits, _ or -), e.g. "query", "report".
  - "tool": exactly one of the tool names below.
  - "title": a few words; "content": one or two sentences on what the step does and why.
  - "arguments_json": the arguments as a JSON object inside a string, valid against the tool's input schema.
  - "depends_on": ids of steps that must finish before this one.
- Fill arguments from the request and the conversation. Never make up a required value the person did not give: ask for it in "reply" with "nodes" empty.
- ${REFERENCE_HELP} A string that is exactly one reference becomes that value; referencing a step makes it a dependency.

Today is ${today.toISOString().slice(0, 10)} (UTC).

The server's tools:
${tools}`;
}

function turnMessage(turn: ChatTurn): ModelMessage {
  const text = cut(turn.text, MAX_TURN_CHARS);
  if (turn.sender === "AGENT") return { role: "assistant", content: text };
  return { role: "user", content: turn.sender === "SYSTEM" ? `[mcpdeck note] ${text}` : text };
}

/**
 * The system prompt and messages for one request, within the model's context: the tool list gets
 * up to half the budget, the latest turns of the conversation what is left (each long turn cut).
 */
export function buildPlanPrompt(input: {
  request: string;
  conversation: readonly ChatTurn[];
  tools: readonly CatalogTool[];
  today: Date;
  contextTokens: number;
}): { system: string; messages: ModelMessage[]; toolsShown: string } {
  const available = Math.max(1024, input.contextTokens - Math.min(OUTPUT_TOKENS, input.contextTokens / 4));
  const toolsShown = describeTools(input.tools, input.request, Math.floor(available * TOOLS_SHARE));
  const system = systemPrompt(toolsShown, input.today);
  const last: ModelMessage = { role: "user", content: cut(input.request, MAX_TURN_CHARS * 2) };
  let left = available - estimateTokens(system) - estimateTokens(input.request);
  const history: ModelMessage[] = [];
  for (const turn of [...input.conversation].reverse()) {
    const message = turnMessage(turn);
    const cost = estimateTokens(message.content as string) + 4;
    if (cost > left) break;
    history.unshift(message);
    left -= cost;
  }
  return { system, messages: [...history, last], toolsShown };
}

/** The message that sends an unusable plan back once, with what was wrong with it. */
export function repairMessages(answer: string, problems: string[]): ModelMessage[] {
  return [
    { role: "assistant", content: cut(answer, MAX_TURN_CHARS * 2) },
    {
      role: "user",
      content: `That plan cannot be used:\n${problems
        .slice(0, 20)
        .map((p) => `- ${p}`)
        .join("\n")}\nAnswer again with the whole corrected JSON object.`,
    },
  ];
}

/** What to summarise when a graph has finished: the actual outcome, long results cut. */
export function summaryPrompt(
  outcome: GraphOutcome,
  contextTokens: number,
): { system: string; prompt: string } {
  const budget = Math.max(1024, contextTokens / 2);
  const perNode = Math.max(
    200,
    Math.min(MAX_PREVIEW_CHARS, Math.floor((budget * 4) / Math.max(1, outcome.nodes.length) / 2)),
  );
  const nodes = outcome.nodes.map((n) => ({
    step: n.id,
    title: n.title,
    tool: n.tool,
    status: n.status,
    ...(n.error ? { error: cut(n.error, 400) } : {}),
    ...(n.resultPreview ? { result: cut(n.resultPreview, perNode) } : {}),
  }));
  const artifacts = outcome.artifacts.map((a) => ({
    name: a.name,
    type: a.contentType,
    bytes: a.size,
    step: a.nodeId,
  }));
  return {
    system:
      "You write the short summary a person reads when the plan they approved has finished. Use only the results given: say what was found (numbers included), what failed and why, and which files were produced. No more than 8 lines, plain text, no JSON.",
    prompt: JSON.stringify({ steps: nodes, files: artifacts }, null, 1),
  };
}
