import { APICallError, RetryError } from "ai";
import type { LlmConfig } from "../config/config.js";
import type { Logger } from "../logger.js";
import type { Sampler } from "../sessions/engine.js";
import type { Planner } from "../sessions/planner.js";
import { createBuiltinPlanner } from "./builtin/planner.js";
import { createLlmPlanner } from "./llm/planner.js";
import { createLanguageModel } from "./llm/providers.js";
import { createLlmSampler } from "./llm/sampler.js";

/** Anything shaped like a key in a provider's error text, so a message never carries one. */
const SECRETS = /\b(?:sk|pk|rk|key|AIza|xai|gsk|api[-_]?key)[-_:=A-Za-z0-9]{8,}|\bBearer\s+\S+/gi;

/** Why the model failed, in words a person can act on: never a stack, never a key. */
export function describeModelError(error: unknown): string {
  if (RetryError.isInstance(error)) {
    const attempts = error.errors.length;
    return `${describeModelError(error.lastError)} (after ${attempts} attempt${attempts === 1 ? "" : "s"})`;
  }
  let reason: string;
  if (APICallError.isInstance(error)) {
    const detail = (error.message || "").replace(/\s+/g, " ").trim();
    reason =
      error.statusCode !== undefined
        ? `the provider answered HTTP ${error.statusCode}${detail ? `: ${detail}` : ""}`
        : `the provider could not be reached (${detail || "no answer"})`;
    if (error.statusCode === 401 || error.statusCode === 403) reason += " — check the API key";
  } else if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
    reason = "it did not answer in time";
  } else {
    const cause = error instanceof Error ? (error.cause as { code?: string } | undefined) : undefined;
    reason = error instanceof Error ? error.message : String(error);
    if (cause?.code) reason += ` (${cause.code})`;
  }
  const clean = reason.replace(SECRETS, "[redacted]");
  return clean.length > 300 ? `${clean.slice(0, 299)}…` : clean;
}

/**
 * The model's planner, falling back to the built-in one when the model fails at run time: the
 * person gets a SYSTEM note saying the model failed and why, then the built-in planner's answer —
 * never a dead session.
 */
export function withFallback(model: Planner, builtin: Planner, log: Logger): Planner {
  return {
    name: model.name,
    contextTokens: model.contextTokens,
    async plan(request) {
      try {
        return await model.plan(request);
      } catch (error) {
        const reason = describeModelError(error);
        log.warn({ model: model.name, reason }, "the model failed to plan; the built-in planner answers");
        const answer = await builtin.plan(request);
        return {
          ...answer,
          notice: `The model (${model.name}) failed: ${reason}. The built-in planner answered instead.`,
          plannedBy: builtin.name,
        };
      }
    },
    ...(model.summarize ? { summarize: model.summarize } : {}),
  };
}

/**
 * The planner configuration asks for: the built-in offline planner without a model, else the
 * model's planner (with the built-in one behind it) and a sampler serving MCP sampling requests
 * through the same model.
 */
export function createPlanner(
  llm: LlmConfig | undefined,
  log: Logger,
  opts: { now?: () => Date; maxRetries?: number } = {},
): { planner: Planner; sampler?: Sampler } {
  const builtin = createBuiltinPlanner(opts.now ? { now: opts.now } : {});
  if (!llm) return { planner: builtin };
  // The AI SDK prints provider warnings (an unsupported setting, say) to the console: log them instead.
  globalThis.AI_SDK_LOG_WARNINGS = ({ warnings, provider, model: modelId }) => {
    if (warnings.length > 0) log.warn({ provider, model: modelId, warnings }, "the model's provider warned");
  };
  const model = createLanguageModel(llm);
  const shared = {
    model,
    modelId: llm.model,
    ...(opts.maxRetries !== undefined ? { maxRetries: opts.maxRetries } : {}),
  };
  const planner = createLlmPlanner({
    ...shared,
    contextTokens: llm.contextTokens,
    ...(opts.now ? { now: opts.now } : {}),
  });
  log.info({ provider: llm.provider, model: llm.model }, "planning with a model");
  return { planner: withFallback(planner, builtin, log), sampler: createLlmSampler(shared) };
}
