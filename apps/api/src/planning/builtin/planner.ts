import type { GraphSpec, GraphSpecNode } from "@mcpdeck/contracts";
import type { CatalogTool } from "../../sessions/graph.js";
import { validateAgainstSchema } from "../../sessions/json-schema.js";
import type { ChatTurn, PlanAnswer, Planner, PlanRequest } from "../../sessions/planner.js";
import { hasReference } from "../../sessions/references.js";
import { fillArguments } from "./arguments.js";
import { createToolIndex, type ToolIndex, type ToolMatch } from "./bm25.js";
import { dataSlotOf, type Param, paramsOf } from "./schema.js";
import { type Step, splitRequest } from "./split.js";
import { canonical, compatibleVerbs, isGeneric, isVerb, terms, verbClass } from "./text.js";
import { type Extracted, extractValues } from "./values.js";

/** How the built-in planner's questions begin, so it knows the next message answers one. */
export const ASK_PREFIX = "To plan that I need";

const ANALYSIS_VERBS = new Set(["analyz", "examin", "investigat", "study", "assess", "evaluat", "review"]);
const MAX_LISTED_TOOLS = 12;
const GREETING =
  /^(?:hi|hello|hey|hiya|howdy|good (?:morning|afternoon|evening)|thanks?|thank you|thx|cheers|ok(?:ay)?|cool|great)\b[\s!.,]*(?:there|again|a lot|so much)?[\s!.]*$/i;
const HELP =
  /^(?:help|\?|what can you do|what (?:tools|can this server do)|which tools|list (?:the |your |all )?tools|what do you do|how does this work)\??$/i;
const LEADING_FILLER =
  /^(?:(?:please|pls|can you|could you|would you|will you|i (?:want|need|would like|'d like) (?:you )?to|i'd like to|let's|lets|go ahead and|help me|try to|now|also|just|quickly)\s+)+/i;
const DETERMINERS = /^(?:(?:the|a|an|me|my|our|us|all|some|of|for|to)\s+)+/i;

interface Draft {
  id: string;
  tool: CatalogTool;
  params: Param[];
  step: Step;
  stepIndex: number;
  group: number;
  found: Extracted;
  subject: string;
  lead: string | undefined;
  producers: Draft[];
  after: Draft[];
  args: Record<string, unknown>;
  missing: Param[];
  title: string;
  fanValue?: string;
}

const firstSentence = (text: string | undefined, max = 300) => {
  const line = (text ?? "").trim().split("\n")[0] ?? "";
  const end = line.search(/[.!?](\s|$)/);
  return (end === -1 ? line : line.slice(0, end + 1)).slice(0, max);
};
const capitalise = (s: string) => (/^https?:/.test(s) ? s : s.charAt(0).toUpperCase() + s.slice(1));
const titleOf = (tool: CatalogTool) =>
  tool.title ??
  tool.annotations?.title ??
  capitalise(
    tool.name
      .replace(/[_-]+/g, " ")
      .replace(/([a-z])([A-Z])/g, "$1 $2")
      .toLowerCase(),
  );
const nodeIdOf = (text: string) =>
  text
    .replace(/[^A-Za-z0-9_-]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, 48) || "step";
const show = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));

/** What a step is about: its words without the leading verb and filler ("the latest user signups"). */
function subjectOf(text: string): string {
  let s = text.replace(LEADING_FILLER, "").trim();
  const [first = "", ...rest] = s.split(/\s+/);
  if (isVerb(canonical(first.toLowerCase())) || /^(show|give|get|run|do|make)$/i.test(first))
    s = rest.join(" ");
  s = s
    .replace(DETERMINERS, "")
    .replace(/[.!?]+$/, "")
    .trim();
  // "summarize it": the subject is whatever "it" is, not the word.
  return /^(?:it|them|that|this|these|those|the (?:results?|output|summary|data))\b/i.test(s)
    ? ""
    : s.slice(0, 150);
}

/** The first verb among a step's first words: what it asks to do. */
function leadVerbOf(stepTerms: string[]): string | undefined {
  return stepTerms.slice(0, 3).find((t) => isVerb(t));
}

/** A list of the server's tools for a reply (name and what it does), cut short on big servers. */
function toolList(tools: readonly CatalogTool[]): string {
  const listed = tools
    .slice(0, MAX_LISTED_TOOLS)
    .map((t) => `${t.name} (${(t.title ?? firstSentence(t.description, 80)) || "no description"})`);
  return `${listed.join(", ")}${tools.length > MAX_LISTED_TOOLS ? `, and ${tools.length - MAX_LISTED_TOOLS} more (/tools lists them)` : ""}`;
}

function describeMissing(d: Draft, p: Param): string {
  const what = firstSentence(p.description, 200);
  const choices = p.enumValues ? ` One of: ${p.enumValues.join(", ")}.` : "";
  const why = p.isDataSlot ? " Tell me which data it should work on (for example a step before it)." : "";
  return `- ${d.title} (${d.tool.name}) needs ${p.name}${what ? `: ${what}` : "."}${choices}${why}`;
}

/**
 * The built-in planner: offline and deterministic. It ranks the server's tools against each step of
 * the request (BM25 over names, titles, descriptions and arguments), fills arguments from the
 * words, joins the steps with dependencies and result references, and asks for what it cannot find.
 * It never guesses a tool: a request it cannot map is answered with what the server can do.
 */
export function createBuiltinPlanner(opts: { now?: () => Date } = {}): Planner {
  const now = opts.now ?? (() => new Date());
  return {
    name: "builtin",
    contextTokens: 0,
    async plan(request: PlanRequest): Promise<PlanAnswer> {
      return planRequest(request.request, request.conversation, request.tools, now());
    },
  };
}

/** Plans one request (exported for tests that want the answer without a session). */
export function planRequest(
  text: string,
  conversation: readonly ChatTurn[],
  tools: readonly CatalogTool[],
  today: Date,
): PlanAnswer {
  const request = text.trim();
  if (tools.length === 0)
    return { kind: "reply", text: "This server offers no tools, so there is nothing I can plan here." };
  if (GREETING.test(request))
    return {
      kind: "reply",
      text: `Hello! Tell me in plain words what you need and I'll plan it with this server's tools: ${toolList(tools)}.`,
    };
  if (HELP.test(request))
    return {
      kind: "reply",
      text: `I turn plain requests into plans of this server's tools, which run only once you approve them. It can: ${toolList(tools)}. For example: "${exampleFor(tools)}". /help lists the commands.`,
    };

  const followUp = pendingQuestion(conversation, request);
  const index = createToolIndex(tools);
  const original = followUp?.original ?? request;
  const answer = followUp ? extractValues(followUp.answer, today) : undefined;
  return buildPlan(original, tools, index, today, answer, followUp?.answer);
}

function exampleFor(tools: readonly CatalogTool[]): string {
  const t = tools[0]!;
  return `${(t.title ?? t.name.replace(/[_-]+/g, " ")).toLowerCase()}`;
}

/** When the last thing said was the planner's question, the request is its answer. */
function pendingQuestion(
  conversation: readonly ChatTurn[],
  request: string,
): { original: string; answer: string } | undefined {
  const turns = conversation.filter((t) => t.sender !== "SYSTEM");
  const answers = [request];
  let i = turns.length - 1;
  while (
    i >= 1 &&
    turns[i]!.sender === "AGENT" &&
    turns[i]!.text.startsWith(ASK_PREFIX) &&
    turns[i - 1]!.sender === "USER"
  ) {
    const asked = turns[i - 1]!.text;
    i -= 2;
    if (i >= 1 && turns[i]!.sender === "AGENT" && turns[i]!.text.startsWith(ASK_PREFIX)) {
      answers.unshift(asked);
      continue;
    }
    // An answer that starts with a verb of its own is a new request, not an answer.
    const firstWord = canonical(request.trim().split(/\s+/)[0]?.toLowerCase() ?? "");
    if (isVerb(firstWord) && request.trim().split(/\s+/).length > 2) return undefined;
    return { original: asked, answer: answers.join(". ") };
  }
  return undefined;
}

function buildPlan(
  request: string,
  tools: readonly CatalogTool[],
  index: ToolIndex,
  today: Date,
  answer: Extracted | undefined,
  answerText: string | undefined,
): PlanAnswer {
  const firstNameWords = new Set(tools.map((t) => terms(t.name)[0]).filter((w): w is string => !!w));
  const isAction = (word: string) => {
    const c = canonical(word.toLowerCase().replace(/[^a-z-]/g, ""));
    return isVerb(c) || firstNameWords.has(c);
  };

  // ---- steps → tools
  const mapped: { step: Step; match: ToolMatch | undefined }[] = [];
  for (const step of splitRequest(request, isAction, today)) {
    const match = matchStep(step.text, index, today);
    const previous = mapped.at(-1);
    if (
      step.soft &&
      previous &&
      !(match && match.tool !== previous.match?.tool && match.named.some((t) => !isVerb(t) && !isGeneric(t)))
    ) {
      previous.step = { ...previous.step, text: `${previous.step.text}${step.joiner}${step.text}` };
      previous.match = matchStep(previous.step.text, index, today);
      continue;
    }
    mapped.push({ step, match });
  }
  const unmapped = mapped.filter((m) => !m.match).map((m) => m.step.text);
  if (mapped.every((m) => !m.match)) {
    return {
      kind: "reply",
      text: `I can't do that with this server's tools; it can: ${toolList(tools)}. Ask for one of those in plain words, or use /call TOOL {json}.`,
    };
  }

  // ---- drafts, one per tool call
  let drafts: Draft[] = [];
  let group = 0;
  mapped.forEach(({ step, match }, stepIndex) => {
    if (step.link === "then") group++;
    if (!match) return;
    drafts.push(newDraft(match.tool, step, stepIndex, group, today));
  });

  // A step that needs data and names none gets the tool its words point to ("a report on signups").
  for (const d of [...drafts]) {
    const slot = dataSlotOf(d.params);
    if (!slot || !slotRequired(slot) || d.step.link !== "first") continue;
    const own = new Set([...terms(d.tool.name), ...terms(d.tool.title ?? "")]);
    const rest = terms(d.found.rest).filter((t) => !own.has(t) && !isVerb(t));
    const producer = index
      .rank(rest)
      .find(
        (m) =>
          m.tool !== d.tool &&
          !dataSlotOf(paramsOf(m.tool.inputSchema)) &&
          eligible(m, rest, undefined, index),
      );
    if (!producer) continue;
    const p = newDraft(producer.tool, d.step, d.stepIndex, d.group, today);
    p.subject = subjectOf(d.step.text.replace(/^.*?\b(?:on|about|of|for|from)\s+/i, ""));
    d.producers = [p];
    drafts.splice(drafts.indexOf(d), 0, p);
  }

  // "Analyze X": X, then the server's tool that works on results (a report), as the spec's story goes.
  for (const d of [...drafts]) {
    if (!d.lead || !ANALYSIS_VERBS.has(d.lead) || dataSlotOf(d.params)) continue;
    if (drafts.some((o) => o !== d && o.stepIndex > d.stepIndex && dataSlotOf(o.params))) continue;
    const wanted = ["report", "summariz", "analyz", ...terms(d.found.rest).filter((t) => !isVerb(t))];
    const consumer = index
      .rank(wanted)
      .find((m) => m.tool !== d.tool && dataSlotOf(paramsOf(m.tool.inputSchema)) && m.named.length > 0);
    if (!consumer) continue;
    const c = newDraft(
      consumer.tool,
      { ...d.step, link: "feeds", refersBack: true },
      d.stepIndex,
      d.group,
      today,
    );
    c.subject = d.subject;
    c.producers = [d];
    drafts.splice(drafts.indexOf(d) + 1, 0, c);
  }

  // One node per value when a step names several values of a single-valued choice.
  drafts = drafts.flatMap((d) => {
    const filled = fillArguments(d.params, d.found, { subject: d.subject });
    if (!filled.fanOut) return [d];
    return filled.fanOut.values.map((value) => ({
      ...d,
      fanValue: value,
      found: d.found,
      args: { [filled.fanOut!.param]: value },
      title: `${d.title}: ${value.replace(/_/g, " ")}`,
    }));
  });

  // ---- who runs after whom, and who works on whose results
  const consumed = new Set<Draft>();
  drafts.forEach((d, k) => {
    const earlier = drafts.slice(0, k);
    const slot = dataSlotOf(d.params);
    const previousStep = earlier.filter(
      (e) =>
        e.stepIndex ===
        Math.max(-1, ...earlier.filter((x) => x.stepIndex < d.stepIndex).map((x) => x.stepIndex)),
    );
    const previousGroup = earlier.filter((e) => e.group === d.group - 1);
    if (d.producers.length === 0 && slot) {
      if (d.step.link === "feeds" || d.step.refersBack) d.producers = previousStep;
      else if (d.step.link === "then") {
        const open = previousGroup.filter((e) => !consumed.has(e));
        d.producers = open.length > 0 ? open : previousGroup.slice(-1);
      } else if (d.step.link === "and" && slotRequired(slot))
        d.producers = earlier.filter((e) => e.group === d.group && !consumed.has(e) && !dataSlotOf(e.params));
    }
    for (const p of d.producers) consumed.add(p);
    const after = new Set<Draft>(d.producers);
    if (d.step.link === "then") for (const p of previousGroup) after.add(p);
    if ((d.step.link === "feeds" || d.step.refersBack) && !slot) for (const p of previousStep) after.add(p);
    // What a dependency already waits for need not be listed again.
    const reaches = (from: Draft, target: Draft, depth = 0): boolean =>
      depth < 50 && from.after.some((x) => x === target || reaches(x, target, depth + 1));
    d.after = [...after].filter((a) => a !== d && ![...after].some((b) => b !== a && reaches(b, a)));
  });

  // ---- ids, then arguments (references need the ids of what they use)
  const used = new Map<string, number>();
  for (const d of drafts) {
    const base = nodeIdOf(d.fanValue ? `${d.tool.name}_${d.fanValue}` : d.tool.name);
    const n = (used.get(base) ?? 0) + 1;
    used.set(base, n);
    d.id = n === 1 ? base : `${base}_${n}`;
  }
  const problems: string[] = [];
  for (const d of drafts) {
    const preset = { ...d.args, ...referencesFor(d) };
    const subject = d.producers.length > 0 ? subjectOfInputs(d) : undefined;
    let filled = fillArguments(d.params, d.found, { subject, preset });
    let issues = argumentIssues(d, filled.args);
    if (answer && (filled.missing.length > 0 || issues.length > 0)) {
      const merged = mergeFound(answer, d.found);
      const retry = fillArguments(d.params, merged, { subject, preset });
      const missing = retry.missing.filter((p) => p.type === "string" && !p.enumValues);
      if (missing.length === 1 && answerText)
        retry.args[missing[0]!.name] = answerText.trim().replace(/^["'“‘]|["'”’]$/g, "");
      filled = { ...retry, missing: retry.missing.filter((p) => retry.args[p.name] === undefined) };
      issues = argumentIssues(d, filled.args);
    }
    d.args = filled.args;
    d.missing = filled.missing;
    problems.push(...issues.map((i) => `- ${d.title} (${d.tool.name}): ${i}`));
  }

  const missing = drafts.flatMap((d) => d.missing.map((p) => describeMissing(d, p)));
  if (missing.length > 0 || problems.length > 0) {
    return {
      kind: "reply",
      text: `${ASK_PREFIX} ${missing.length > 0 ? "a few more details" : "other values"}:\n${[...missing, ...problems].join("\n")}\nReply with ${missing.length + problems.length === 1 ? "it" : "them"} and I'll plan it.`,
    };
  }

  const nodes: GraphSpecNode[] = drafts.map((d) => ({
    id: d.id,
    title: d.title.slice(0, 200),
    content: contentOf(d).slice(0, 4000),
    tool: d.tool.name,
    arguments: d.args,
    depends_on: d.after.map((a) => a.id),
  }));
  const spec: GraphSpec = { nodes };
  return { kind: "graph", spec, text: introOf(drafts, unmapped) };
}

function newDraft(tool: CatalogTool, step: Step, stepIndex: number, group: number, today: Date): Draft {
  const found = extractValues(step.text, today);
  return {
    id: "",
    tool,
    params: paramsOf(tool.inputSchema),
    step,
    stepIndex,
    group,
    found,
    subject: subjectOf(step.text),
    lead: leadVerbOf(terms(step.text)),
    producers: [],
    after: [],
    args: {},
    missing: [],
    title: titleOf(tool),
  };
}

/** What a step's inputs are about: its producers' subjects, or theirs' when they only say "it". */
function subjectOfInputs(d: Draft, depth = 0): string | undefined {
  const subjects = d.producers.map(
    (p) => p.subject || (depth < 4 ? subjectOfInputs(p, depth + 1) : undefined),
  );
  const joined = [...new Set(subjects.filter((s): s is string => !!s))].join(" and ");
  return joined || undefined;
}

const slotRequired = (slot: NonNullable<ReturnType<typeof dataSlotOf>>) => slot.param.required;

/** The best tool for a step's words that the step can be said to ask for. */
function matchStep(text: string, index: ToolIndex, today: Date): ToolMatch | undefined {
  const found = extractValues(text, today);
  const stepTerms = terms(found.rest);
  const lead = leadVerbOf(stepTerms);
  return index.rank(stepTerms).find((m) => eligible(m, stepTerms, lead, index));
}

/**
 * A tool is what a step asks for when it shares a word of substance with it (not just a verb or a
 * vague word like "data"), and does not contradict its verb (a delete request is not a read).
 */
function eligible(m: ToolMatch, stepTerms: string[], lead: string | undefined, index: ToolIndex): boolean {
  const substantive = stepTerms.filter((t) => !isVerb(t) && !isGeneric(t));
  if (substantive.length > 0) {
    if (!m.matched.some((t) => substantive.includes(t))) return false;
  } else if (!m.named.some((t) => isVerb(t) && stepTerms.includes(t))) return false;
  if (lead && !m.matched.includes(lead)) {
    const wanted = verbClass(lead)!;
    const offered = index.verbClassesOf(m.tool);
    if (offered.size > 0 && ![...offered].some((c) => compatibleVerbs(wanted, c))) return false;
    // A neighbouring verb ("export" for a tool that creates) only stands when the tool covers
    // everything else the step names ("export signups to csv" is not a chart).
    if (offered.size > 0 && !offered.has(wanted) && !substantive.every((t) => m.matched.includes(t)))
      return false;
    if (m.tool.annotations?.readOnlyHint && ["delete", "update", "send"].includes(wanted)) return false;
  }
  return true;
}

/** References to the producers' results, put where the tool takes earlier results. */
function referencesFor(d: Draft): Record<string, unknown> {
  const slot = dataSlotOf(d.params);
  if (!slot || d.producers.length === 0) return {};
  const ref = (p: Draft, param: Param) => (param.type === "string" ? `{{${p.id}.text}}` : `{{${p.id}}}`);
  const label = (p: Draft) =>
    capitalise(p.fanValue?.replace(/[_-]+/g, " ") ?? (p.subject || subjectOfInputs(p) || p.title));
  if (slot.field && slot.fields) {
    const heading = slot.fields.find((f) => f.isTitle && f.required) ?? slot.fields.find((f) => f.isTitle);
    const items = d.producers.map((p) => {
      const item: Record<string, unknown> = { [slot.field!.name]: ref(p, slot.field!) };
      if (heading) item[heading.name] = label(p).slice(0, 200);
      return item;
    });
    return { [slot.param.name]: items };
  }
  const param = slot.param;
  if (d.producers.length === 1) return { [param.name]: ref(d.producers[0]!, param) };
  if (param.type === "string")
    return { [param.name]: d.producers.map((p) => `${label(p)}:\n{{${p.id}.text}}`).join("\n\n") };
  return { [param.name]: Object.fromEntries(d.producers.map((p) => [p.id, `{{${p.id}}}`])) };
}

/** The tool's schema's complaints about arguments that hold no reference (those are checked at run time). */
function argumentIssues(d: Draft, args: Record<string, unknown>): string[] {
  const referenced = new Set(Object.keys(args).filter((k) => hasReference(args[k])));
  return validateAgainstSchema(d.tool.inputSchema, args)
    .filter((i) => !referenced.has(i.path.split(".")[0]!) && !(i.message === "is required"))
    .map(
      (i) =>
        `${i.path || "arguments"} ${i.message} (from your request: ${show(i.path ? args[i.path.split(".")[0]!] : args)})`,
    );
}

/** The answer's values first, then the request's. */
function mergeFound(answer: Extracted, found: Extracted): Extracted {
  return {
    quotes: [...answer.quotes, ...found.quotes],
    emails: [...answer.emails, ...found.emails],
    urls: [...answer.urls, ...found.urls],
    dates: [...answer.dates, ...found.dates],
    numbers: [...answer.numbers, ...found.numbers],
    countries: [...new Set([...answer.countries, ...found.countries])],
    rest: `${answer.rest} ${found.rest}`,
  };
}

function contentOf(d: Draft): string {
  const parts = [firstSentence(d.tool.description)];
  const given = Object.entries(d.args).filter(([, v]) => !hasReference(v));
  if (given.length > 0)
    parts.push(`With ${given.map(([k, v]) => `${k} = ${show(v).slice(0, 120)}`).join(", ")}.`);
  if (d.producers.length > 0)
    parts.push(
      `Works on the result${d.producers.length > 1 ? "s" : ""} of ${d.producers.map((p) => `"${p.title}" (${p.id})`).join(" and ")}.`,
    );
  const waits = d.after.filter((a) => !d.producers.includes(a));
  if (waits.length > 0) parts.push(`Runs after ${waits.map((p) => `"${p.title}" (${p.id})`).join(" and ")}.`);
  return parts.filter(Boolean).join(" ");
}

function introOf(drafts: Draft[], unmapped: string[]): string {
  const lines =
    drafts.length === 1
      ? [`Here is a one-step plan: ${drafts[0]!.title} (${drafts[0]!.tool.name}).`]
      : [
          `Here is a plan in ${drafts.length} steps:`,
          ...drafts.map((d, i) => {
            const uses =
              d.producers.length > 0
                ? ` — using the result of ${d.producers.map((p) => p.id).join(", ")}`
                : "";
            return `${i + 1}. ${d.title} (${d.tool.name})${uses}`;
          }),
        ];
  if (unmapped.length > 0)
    lines.push(
      `I left out ${unmapped.map((u) => `"${u}"`).join(" and ")}: none of this server's tools does that.`,
    );
  lines.push(
    drafts.length === 1
      ? "Nothing runs until you approve it."
      : "Nothing runs until you approve it (/approve all approves every step).",
  );
  return lines.join("\n");
}
