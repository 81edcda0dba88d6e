import {
  generateText,
  type LanguageModel,
  type ModelMessage,
  Output,
  parsePartialJson,
  streamText,
} from "ai";
import { checkGraph } from "../../sessions/graph.js";
import type { PlanAnswer, Planner, PlanRequest } from "../../sessions/planner.js";
import {
  buildPlanPrompt,
  outputTokens,
  repairMessages,
  summaryOutputTokens,
  summaryPrompt,
} from "./prompt.js";
import { PlanOutput, readPlan } from "./schema.js";

/** The model's answer could not be read as a plan, even after being shown what was wrong. */
export class UnusablePlanError extends Error {
  override name = "UnusablePlanError";
}

interface Answered {
  text: string;
  /** The context after this answer, as the model counted it (input + output), when it did. */
  tokens?: number;
}

/**
 * A planner backed by a model through the AI SDK. The model answers with structured output (a
 * reply, or a reply and the steps of a plan); its reply streams as it is written. A plan that does
 * not hold — unreadable, or refused by the engine's own check — goes back once with the problems;
 * a plan that still does not hold after that is proposed as it is, so the engine says why it
 * refuses it, and an unreadable answer is an error (the caller falls back).
 */
export function createLlmPlanner(deps: {
  model: LanguageModel;
  /** The model's id: the planner's name in `connection_status.model`. */
  modelId: string;
  contextTokens: number;
  /** Retries of a failed call (429, 5xx) inside the AI SDK, with its backoff. */
  maxRetries?: number;
  now?: () => Date;
}): Planner {
  const maxRetries = deps.maxRetries ?? 2;
  const now = deps.now ?? (() => new Date());

  async function ask(
    system: string,
    messages: ModelMessage[],
    signal: AbortSignal,
    onText: ((partial: string) => void) | undefined,
  ): Promise<Answered> {
    const result = streamText({
      model: deps.model,
      system,
      messages,
      output: Output.object({
        schema: PlanOutput,
        name: "plan",
        description: "A reply, and the plan's steps if any.",
      }),
      maxOutputTokens: outputTokens(deps.contextTokens),
      maxRetries,
      abortSignal: signal,
      // Errors arrive in the stream below; the default handler would print them to the console.
      onError: () => {},
    });
    let text = "";
    let shown = "";
    for await (const part of result.fullStream) {
      if (part.type === "error") throw part.error;
      if (part.type !== "text-delta") continue;
      text += part.text;
      if (!onText) continue;
      const { value } = await parsePartialJson(text);
      const reply = (value as { reply?: unknown } | undefined)?.reply;
      if (typeof reply === "string" && reply.length > 0 && reply !== shown) {
        shown = reply;
        onText(reply);
      }
    }
    const usage = await result.usage;
    const tokens = (usage.inputTokens ?? 0) + (usage.outputTokens ?? 0);
    return { text, ...(tokens > 0 ? { tokens } : {}) };
  }

  return {
    name: deps.modelId,
    contextTokens: deps.contextTokens,

    async plan(request: PlanRequest): Promise<PlanAnswer> {
      const { system, messages } = buildPlanPrompt({
        request: request.request,
        conversation: request.conversation,
        tools: request.tools,
        today: now(),
        contextTokens: deps.contextTokens,
      });
      let answered = await ask(system, messages, request.signal, request.onText);
      let read = readPlan(answered.text);
      const problemsOf = (r: typeof read) => {
        if (!r.ok) return r.problems;
        if (!r.spec) return [];
        const checked = checkGraph(r.spec, request.tools);
        return checked.ok ? [] : checked.problems;
      };
      const problems = problemsOf(read);
      if (problems.length > 0) {
        answered = await ask(
          system,
          [...messages, ...repairMessages(answered.text, problems)],
          request.signal,
          request.onText,
        );
        read = readPlan(answered.text);
      }
      if (!read.ok) {
        throw new UnusablePlanError(
          `its answer was not a usable plan, even after one repair: ${read.problems.slice(0, 3).join(" ")}`,
        );
      }
      const counted = answered.tokens !== undefined ? { contextTokens: answered.tokens } : {};
      if (!read.spec)
        return { kind: "reply", text: read.reply || "(The model gave an empty answer.)", ...counted };
      return { kind: "graph", spec: read.spec, ...(read.reply ? { text: read.reply } : {}), ...counted };
    },

    async summarize(outcome, signal) {
      const { system, prompt } = summaryPrompt(outcome, deps.contextTokens);
      const { text } = await generateText({
        model: deps.model,
        system,
        prompt,
        maxOutputTokens: summaryOutputTokens(deps.contextTokens),
        maxRetries,
        abortSignal: signal,
      });
      if (!text.trim()) throw new Error("the model wrote an empty summary");
      return text.trim();
    },
  };
}
