import { createAnthropic } from "@ai-sdk/anthropic";
import { createGoogleGenerativeAI } from "@ai-sdk/google";
import { createOpenAI } from "@ai-sdk/openai";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import type { LanguageModel } from "ai";
import type { LlmConfig } from "../../config/config.js";

/**
 * The configured model, through the AI SDK provider that speaks its API. `baseUrl` points any of
 * them elsewhere (a proxy, a regional endpoint, a stand-in in tests); the OpenAI-compatible
 * provider needs it, and is told the server takes JSON schemas (Ollama, vLLM, llama.cpp and
 * LM Studio all do) and to report token usage while streaming.
 */
export function createLanguageModel(config: LlmConfig): LanguageModel {
  const common = {
    ...(config.baseUrl ? { baseURL: config.baseUrl } : {}),
    ...(config.apiKey ? { apiKey: config.apiKey } : {}),
  };
  switch (config.provider) {
    case "openai":
      // Chat Completions: the API every OpenAI-style server also speaks.
      return createOpenAI(common).chat(config.model);
    case "anthropic":
      return createAnthropic(common)(config.model);
    case "google":
      return createGoogleGenerativeAI(common)(config.model);
    case "openai-compatible":
      return createOpenAICompatible({
        name: "openai-compatible",
        baseURL: config.baseUrl!,
        ...(config.apiKey ? { apiKey: config.apiKey } : {}),
        includeUsage: true,
        supportsStructuredOutputs: true,
      })(config.model);
  }
}
