import { generateText, type LanguageModel } from "ai";
import type { Sampler } from "../../sessions/engine.js";

/**
 * Answers an MCP server's sampling request (once the person has approved it) with the configured
 * model: the server's messages and system prompt as given, at most the tokens it asked for.
 */
export function createLlmSampler(deps: {
  model: LanguageModel;
  modelId: string;
  maxRetries?: number;
}): Sampler {
  return {
    model: deps.modelId,
    async sample(request, signal) {
      const { text } = await generateText({
        model: deps.model,
        ...(request.systemPrompt ? { system: request.systemPrompt } : {}),
        messages: request.messages.map((m) => ({ role: m.role, content: m.text })),
        maxOutputTokens: request.maxTokens,
        maxRetries: deps.maxRetries ?? 2,
        abortSignal: signal,
      });
      return { model: deps.modelId, text };
    },
  };
}
