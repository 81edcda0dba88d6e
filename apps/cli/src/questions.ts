import {
  type GraphState,
  type InputRequest,
  McpdeckError,
  type NodeState,
  type Session,
  type SessionView,
} from "@mcpdeck/sdk";
import { describeError } from "./errors.js";
import { fieldPrompt, fieldsOf, parseField } from "./form.js";
import { dependentsFirst } from "./graph-tree.js";
import { type Answer, INTERRUPTED, type Terminal } from "./terminal.js";

/**
 * What the session waits on the person for, asked at the prompt one at a time: input requests first
 * (a running call is blocked on them), then graphs with steps waiting for approval.
 */
export type Question =
  | { kind: "input"; key: string; request: InputRequest }
  | { kind: "approval"; key: string; graph: GraphState; pending: NodeState[] };

/** A question's end: answered (or left for later), the input ended, or a line to run as a command. */
export type Outcome = "done" | null | typeof INTERRUPTED | { line: string };

export class Questions {
  /** Questions answered or put off: not asked again (an approval comes back when its steps change). */
  readonly #settled = new Set<string>();

  next(view: SessionView): Question | undefined {
    for (const request of view.inputs.values()) {
      const key = `input:${request.request_id}`;
      if (!this.#settled.has(key)) return { kind: "input", key, request };
    }
    for (const graph of view.graphs.values()) {
      const pending = graph.nodes.filter((n) => n.status === "pending");
      if (pending.length === 0) continue;
      const key = `approval:${graph.id}:${pending.map((n) => n.id).join(",")}`;
      if (!this.#settled.has(key)) return { kind: "approval", key, graph, pending };
    }
    return undefined;
  }

  /** Whether `question` is still the one to ask (not answered elsewhere, not expired). */
  stillOpen(question: Question, view: SessionView): boolean {
    return this.next(view)?.key === question.key;
  }

  settle(question: Question) {
    this.#settled.add(question.key);
  }
}

const isCommand = (line: string) => line.trim().startsWith("/");

/** Runs an action, printing its failure rather than throwing: the conversation goes on. */
async function attempt(term: Terminal, action: () => Promise<unknown>): Promise<boolean> {
  try {
    await action();
    return true;
  } catch (error) {
    term.print(describeError(error, term.style));
    return false;
  }
}

export async function askApproval(
  term: Terminal,
  session: Session,
  question: Extract<Question, { kind: "approval" }>,
  questions: Questions,
): Promise<Outcome> {
  const { style } = term;
  const graphId = question.graph.id;
  const safe = question.pending.filter((n) => !n.annotations?.destructive);
  let answer: Answer;
  if (safe.length > 0) {
    const what = safe.length === question.pending.length ? "the plan" : `${safe.length} of its steps`;
    answer = await term.ask(`${style.bold(`Approve ${what}?`)} [y]es, [n]o, step ids, or Enter for later: `);
  } else {
    const node = question.pending[0]!;
    answer = await term.ask(
      `${style.yellow(`Step ${node.id} runs ${node.tool}, which may change or delete data.`)} Approve it? [y]es, [n]o, or Enter for later: `,
    );
  }
  if (answer === null || answer === INTERRUPTED) return answer;
  if (isCommand(answer)) return { line: answer };
  const text = answer.trim();
  questions.settle(question);
  if (text === "") {
    term.print(style.dim("  Left for later: /approve STEP or /approve all when you are ready."));
    return "done";
  }
  if (/^(y|yes|a|all)$/i.test(text)) {
    const steps = safe.length > 0 ? safe : question.pending.slice(0, 1);
    for (const node of dependentsFirst(steps))
      await attempt(term, () => session.approve(node.id, { graphId }));
    return "done";
  }
  if (/^(n|no)$/i.test(text)) {
    const steps = safe.length > 0 ? question.pending : question.pending.slice(0, 1);
    for (const node of steps) await attempt(term, () => session.reject(node.id, { graphId }));
    return "done";
  }
  const chosen: NodeState[] = [];
  for (const id of text.split(/[\s,]+/).filter(Boolean)) {
    const node = question.pending.find((n) => n.id === id);
    if (node) chosen.push(node);
    else
      term.print(
        `  No step "${id}" waits for approval here; waiting: ${question.pending.map((n) => n.id).join(", ")}.`,
      );
  }
  for (const node of dependentsFirst(chosen))
    await attempt(term, () => session.approve(node.id, { graphId }));
  return "done";
}

export async function askInput(
  term: Terminal,
  session: Session,
  question: Extract<Question, { kind: "input" }>,
  questions: Questions,
): Promise<Outcome> {
  const { style } = term;
  const { request } = question;
  const respond = async (answer: Parameters<Session["respond"]>[1]): Promise<Outcome> => {
    try {
      await session.respond(request.request_id, answer);
      questions.settle(question);
    } catch (error) {
      term.print(describeError(error, style));
      // Answered elsewhere or expired: nothing left to ask. A refused answer is asked again.
      if (error instanceof McpdeckError && error.code !== "VALIDATION_FAILED") questions.settle(question);
    }
    return "done";
  };
  const refusal = (line: string): Parameters<Session["respond"]>[1] | undefined =>
    line.trim() === "/decline"
      ? { action: "decline" }
      : line.trim() === "/dismiss"
        ? { action: "cancel" }
        : undefined;

  term.print(
    `${style.cyan("?")} ${style.bold(request.node_id ? `${request.node_id} asks:` : "The server asks:")} ${request.message}`,
  );
  switch (request.kind) {
    case "form": {
      term.print(
        style.dim("  Answer each field (Enter takes the [default]); /decline or /dismiss to refuse."),
      );
      const content: Record<string, unknown> = {};
      for (const field of fieldsOf(request.schema)) {
        for (;;) {
          const line = await term.ask(fieldPrompt(field));
          if (line === null || line === INTERRUPTED) return line;
          const refused = refusal(line);
          if (refused) return respond(refused);
          if (isCommand(line)) return { line };
          const parsed = parseField(field, line);
          if (!parsed.ok) {
            term.print(style.red(`  ✗ ${String(field.schema.title ?? field.name)} ${parsed.message}.`));
            continue;
          }
          if (parsed.value !== undefined) content[field.name] = parsed.value;
          break;
        }
      }
      return respond({ action: "accept", content });
    }
    case "url": {
      term.print(`  Open this address yourself (mcpdeck never opens it): ${style.bold(request.url ?? "")}`);
      const line = await term.ask("  Press Enter once you are done there (or /decline, /dismiss): ");
      if (line === null || line === INTERRUPTED) return line;
      const refused = refusal(line);
      if (refused) return respond(refused);
      if (isCommand(line)) return { line };
      return respond({ action: "accept" });
    }
    case "sampling": {
      // All the model would be given, as the web client shows it: the instructions, the messages, the length.
      if (request.system_prompt) term.print(style.dim(`  system: ${request.system_prompt}`));
      for (const message of request.messages ?? [])
        term.print(style.dim(`  ${message.role}: ${message.text}`));
      if (request.max_tokens) term.print(style.dim(`  (an answer of at most ${request.max_tokens} tokens)`));
      const line = await term.ask("  Let the model answer this? [y]es, [n]o: ");
      if (line === null || line === INTERRUPTED) return line;
      const refused = refusal(line);
      if (refused) return respond(refused);
      if (isCommand(line)) return { line };
      return respond(/^(y|yes)$/i.test(line.trim()) ? { action: "accept" } : { action: "decline" });
    }
  }
}

export function ask(
  term: Terminal,
  session: Session,
  question: Question,
  questions: Questions,
): Promise<Outcome> {
  return question.kind === "input"
    ? askInput(term, session, question, questions)
    : askApproval(term, session, question, questions);
}
