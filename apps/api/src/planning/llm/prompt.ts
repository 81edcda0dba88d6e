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
/** What a message's framing (role, separators) is counted as. */
const MESSAGE_TOKENS = 4;

/**
 * The room kept for a plan's answer: up to OUTPUT_TOKENS, at most a quarter of the context, so
 * prompt and answer together never ask for more than the model holds.
 */
export const outputTokens = (contextTokens: number) => Math.min(OUTPUT_TOKENS, Math.floor(contextTokens / 4));

/** The room kept for a summary's answer: a short text, at most a quarter of the context. */
export const summaryOutputTokens = (contextTokens: number) => Math.min(1024, Math.floor(contextTokens / 4));

/** The tokens a plan prompt may take: the context less the room kept for the answer. */
export const promptBudget = (contextTokens: number) => contextTokens - outputTokens(contextTokens);

const ALSO_OFFERED = "Also offered (schemas left out for space; plan with them only if needed):";

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
  const more = (n: number) => `…and ${n} more tool${n === 1 ? "" : "s"} not shown.`;
  // Counted in characters, separators and the closing line included, so the text as joined fits.
  const limit = budgetTokens * 4 - (more(tools.length).length + 2);
  const parts: string[] = [];
  let used = 0;
  let full = 0;
  let brief = 0;
  const add = (...pieces: string[]) => {
    const cost = pieces.reduce((sum, p) => sum + p.length + (used + sum > 0 ? 2 : 0), 0);
    if (used + cost > limit) return false;
    parts.push(...pieces);
    used += cost;
    return true;
  };
  for (const tool of ordered) {
    if (brief === 0 && add(describeTool(tool, budgetTokens))) {
      full++;
      continue;
    }
    const line = `- ${tool.name}${tool.title ? ` — ${tool.title}` : ""}`;
    if (!(brief === 0 ? add(ALSO_OFFERED, line) : add(line))) break;
    brief++;
  }
  const left = tools.length - full - brief;
  return [...parts, ...(left > 0 ? [more(left)] : [])].join("\n\n");
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
 * The system prompt and messages for one request, within the model's context: the request first
 * (whole up to its limit, and never so long that the tool list has no room), then the tool list,
 * up to half the budget, then the latest turns of the conversation in what is left (each long turn
 * cut). Everything is counted as it is sent, 4 tokens a message for the framing.
 */
export function buildPlanPrompt(input: {
  request: string;
  conversation: readonly ChatTurn[];
  tools: readonly CatalogTool[];
  today: Date;
  contextTokens: number;
}): { system: string; messages: ModelMessage[]; toolsShown: string } {
  const available = promptBudget(input.contextTokens);
  const instructions = estimateTokens(systemPrompt("", input.today));
  const toolsMax = Math.floor(available * TOOLS_SHARE);
  const requestRoom =
    available - instructions - MESSAGE_TOKENS - Math.min(toolsMax, Math.floor(available / 4));
  const request = cut(input.request, Math.min(MAX_TURN_CHARS * 2, Math.max(200, requestRoom * 4)));
  const toolsBudget = Math.max(
    0,
    Math.min(toolsMax, available - instructions - estimateTokens(request) - MESSAGE_TOKENS),
  );
  const toolsShown = describeTools(input.tools, input.request, toolsBudget);
  const system = systemPrompt(toolsShown, input.today);
  const last: ModelMessage = { role: "user", content: request };
  let left = available - estimateTokens(system) - estimateTokens(request) - MESSAGE_TOKENS;
  const history: ModelMessage[] = [];
  for (const turn of [...input.conversation].reverse()) {
    const message = turnMessage(turn);
    const cost = estimateTokens(message.content as string) + MESSAGE_TOKENS;
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

const SUMMARY_SYSTEM =
  "You write the short summary a person reads when the plan they approved has finished. Use only the results given: say what was found (numbers included), what failed and why, and which files were produced. No more than 8 lines, plain text, no JSON.";
const MAX_ERROR_CHARS = 400;
const MAX_TITLE_CHARS = 200;
/** Below this, a step's result and error are left out rather than cut to nothing. */
const MIN_PREVIEW_CHARS = 40;

/**
 * What to summarise when a graph has finished: the actual outcome within half the model's context.
 * Long results and errors are cut, shorter the more steps there are; a graph too big to list whole
 * at all shows its first steps and files, and counts the rest by status.
 */
export function summaryPrompt(
  outcome: GraphOutcome,
  contextTokens: number,
): { system: string; prompt: string } {
  const budget = Math.floor(contextTokens / 2);
  const render = (shown: number, perNode: number) => {
    const nodes = outcome.nodes.slice(0, shown).map((n) => ({
      step: n.id,
      title: cut(n.title, MAX_TITLE_CHARS),
      tool: n.tool,
      status: n.status,
      ...(n.error && perNode >= MIN_PREVIEW_CHARS
        ? { error: cut(n.error, Math.min(MAX_ERROR_CHARS, perNode)) }
        : {}),
      ...(n.resultPreview && perNode >= MIN_PREVIEW_CHARS ? { result: cut(n.resultPreview, perNode) } : {}),
    }));
    const artifacts = outcome.artifacts.slice(0, shown).map((a) => ({
      name: cut(a.name, MAX_TITLE_CHARS),
      type: a.contentType,
      bytes: a.size,
      step: a.nodeId,
    }));
    const hidden = outcome.nodes.slice(shown);
    const byStatus = new Map<string, number>();
    for (const n of hidden) byStatus.set(n.status, (byStatus.get(n.status) ?? 0) + 1);
    const notShown = hidden.length
      ? { more_steps: [...byStatus].map(([status, count]) => `${count} ${status}`).join(", ") }
      : {};
    const moreFiles =
      outcome.artifacts.length > shown ? { more_files: outcome.artifacts.length - shown } : {};
    return JSON.stringify({ steps: nodes, ...notShown, files: artifacts, ...moreFiles }, null, 1);
  };
  const fits = (prompt: string) => estimateTokens(SUMMARY_SYSTEM) + estimateTokens(prompt) <= budget;
  let shown = Math.max(outcome.nodes.length, outcome.artifacts.length);
  let perNode = Math.min(MAX_PREVIEW_CHARS, Math.floor((budget * 4) / Math.max(1, outcome.nodes.length) / 2));
  let prompt = render(shown, perNode);
  // Shorter texts first, then fewer steps, until it fits.
  while (!fits(prompt) && shown > 0) {
    if (perNode >= MIN_PREVIEW_CHARS) perNode = Math.floor(perNode * 0.7);
    else shown = Math.floor(shown * 0.8);
    prompt = render(shown, perNode);
  }
  return { system: SUMMARY_SYSTEM, prompt };
}
