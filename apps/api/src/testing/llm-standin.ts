import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { LlmProvider } from "../config/env.js";

/** What the stand-in answers one request with. */
export type ScriptedAnswer =
  | {
      /** The model's text (for a plan: the JSON object). */
      text: string;
      /** Streamed in this many pieces, `delayMs` apart (default 3 pieces, no delay). */
      chunks?: number;
      delayMs?: number;
    }
  | { status: number; message: string };

/** One request the stand-in received. */
export interface ReceivedRequest {
  path: string;
  headers: IncomingMessage["headers"];
  body: Record<string, unknown>;
  stream: boolean;
}

export interface LlmStandIn {
  provider: LlmProvider;
  /** Pass as LLM_BASE_URL. */
  baseUrl: string;
  apiKey: string;
  requests: ReceivedRequest[];
  /** Queues answers for the next requests, in order; with none queued, `fallback` answers. */
  script(...answers: ScriptedAnswer[]): void;
  close(): Promise<void>;
}

const tokensOf = (text: string) => Math.max(1, Math.ceil(text.length / 4));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pieces(text: string, n: number): string[] {
  const size = Math.max(1, Math.ceil(text.length / n));
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out.length ? out : [""];
}

/** The provider's error body for a status. */
function errorBody(provider: LlmProvider, status: number, message: string): unknown {
  if (provider === "anthropic")
    return { type: "error", error: { type: status === 401 ? "authentication_error" : "api_error", message } };
  if (provider === "google")
    return { error: { code: status, message, status: status === 401 ? "UNAUTHENTICATED" : "INTERNAL" } };
  return { error: { message, type: status === 401 ? "invalid_request_error" : "server_error", code: null } };
}

/** Whether the request asked for a JSON tool (Anthropic's structured output for models without the native mode). */
const wantsJsonTool = (body: Record<string, unknown>) =>
  Array.isArray(body.tools) && (body.tools as { name?: string }[]).some((t) => t.name === "json");

/**
 * A real HTTP server on loopback speaking one LLM provider's API — OpenAI (and OpenAI-compatible)
 * Chat Completions, Anthropic Messages, or Gemini generateContent — streamed (SSE) and not, with
 * scripted answers, so tests run the AI SDK's real provider clients end to end.
 */
export async function startLlmStandIn(
  provider: LlmProvider,
  opts: { fallback?: ScriptedAnswer } = {},
): Promise<LlmStandIn> {
  const apiKey = `test-key-${randomUUID()}`;
  const requests: ReceivedRequest[] = [];
  const queue: ScriptedAnswer[] = [];
  const fallback: ScriptedAnswer = opts.fallback ?? { text: JSON.stringify({ reply: "Hello.", nodes: [] }) };

  const sse = (res: ServerResponse) => {
    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      connection: "keep-alive",
    });
    return (data: unknown, event?: string) =>
      res.write(
        `${event ? `event: ${event}\n` : ""}data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`,
      );
  };

  async function answer(req: IncomingMessage, res: ServerResponse, body: Record<string, unknown>) {
    const url = new URL(req.url ?? "/", "http://localhost");
    const stream =
      provider === "google" ? url.pathname.includes(":streamGenerateContent") : body.stream === true;
    requests.push({ path: url.pathname, headers: req.headers, body, stream });
    const scripted = queue.shift() ?? fallback;
    if ("status" in scripted) {
      res.writeHead(scripted.status, { "content-type": "application/json" });
      res.end(JSON.stringify(errorBody(provider, scripted.status, scripted.message)));
      return;
    }
    const inputTokens = tokensOf(JSON.stringify(body));
    const outputTokens = tokensOf(scripted.text);
    const parts = pieces(scripted.text, scripted.chunks ?? 3);
    const model = String(body.model ?? url.pathname.split("/models/")[1]?.split(":")[0] ?? "model");
    const id = `stand-in-${randomUUID()}`;

    if (provider === "openai" || provider === "openai-compatible") {
      if (!stream) {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            id,
            object: "chat.completion",
            created: Math.floor(Date.now() / 1000),
            model,
            choices: [
              { index: 0, message: { role: "assistant", content: scripted.text }, finish_reason: "stop" },
            ],
            usage: {
              prompt_tokens: inputTokens,
              completion_tokens: outputTokens,
              total_tokens: inputTokens + outputTokens,
            },
          }),
        );
        return;
      }
      const send = sse(res);
      const chunk = (delta: Record<string, unknown>, finish: string | null) => ({
        id,
        object: "chat.completion.chunk",
        created: Math.floor(Date.now() / 1000),
        model,
        choices: [{ index: 0, delta, finish_reason: finish }],
      });
      send(chunk({ role: "assistant", content: "" }, null));
      for (const piece of parts) {
        if (scripted.delayMs) await sleep(scripted.delayMs);
        send(chunk({ content: piece }, null));
      }
      send(chunk({}, "stop"));
      send({
        id,
        object: "chat.completion.chunk",
        created: Math.floor(Date.now() / 1000),
        model,
        choices: [],
        usage: {
          prompt_tokens: inputTokens,
          completion_tokens: outputTokens,
          total_tokens: inputTokens + outputTokens,
        },
      });
      send("[DONE]");
      res.end();
      return;
    }

    if (provider === "anthropic") {
      const tool = wantsJsonTool(body);
      const usage = { input_tokens: inputTokens, output_tokens: outputTokens };
      const content = tool
        ? [{ type: "tool_use", id: `toolu_${id}`, name: "json", input: JSON.parse(scripted.text) }]
        : [{ type: "text", text: scripted.text }];
      if (!stream) {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            id,
            type: "message",
            role: "assistant",
            model,
            content,
            stop_reason: tool ? "tool_use" : "end_turn",
            stop_sequence: null,
            usage,
          }),
        );
        return;
      }
      const send = sse(res);
      send(
        {
          type: "message_start",
          message: {
            id,
            type: "message",
            role: "assistant",
            model,
            content: [],
            stop_reason: null,
            stop_sequence: null,
            usage: { input_tokens: inputTokens, output_tokens: 1 },
          },
        },
        "message_start",
      );
      send(
        {
          type: "content_block_start",
          index: 0,
          content_block: tool
            ? { type: "tool_use", id: `toolu_${id}`, name: "json", input: {} }
            : { type: "text", text: "" },
        },
        "content_block_start",
      );
      for (const piece of parts) {
        if (scripted.delayMs) await sleep(scripted.delayMs);
        send(
          {
            type: "content_block_delta",
            index: 0,
            delta: tool
              ? { type: "input_json_delta", partial_json: piece }
              : { type: "text_delta", text: piece },
          },
          "content_block_delta",
        );
      }
      send({ type: "content_block_stop", index: 0 }, "content_block_stop");
      send(
        {
          type: "message_delta",
          delta: { stop_reason: tool ? "tool_use" : "end_turn", stop_sequence: null },
          usage: { output_tokens: outputTokens },
        },
        "message_delta",
      );
      send({ type: "message_stop" }, "message_stop");
      res.end();
      return;
    }

    // Gemini
    const usageMetadata = {
      promptTokenCount: inputTokens,
      candidatesTokenCount: outputTokens,
      totalTokenCount: inputTokens + outputTokens,
    };
    if (!stream) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          candidates: [
            { content: { role: "model", parts: [{ text: scripted.text }] }, finishReason: "STOP", index: 0 },
          ],
          usageMetadata,
          modelVersion: model,
        }),
      );
      return;
    }
    const send = sse(res);
    for (const [i, piece] of parts.entries()) {
      if (scripted.delayMs) await sleep(scripted.delayMs);
      const last = i === parts.length - 1;
      send({
        candidates: [
          {
            content: { role: "model", parts: [{ text: piece }] },
            index: 0,
            ...(last ? { finishReason: "STOP" } : {}),
          },
        ],
        ...(last ? { usageMetadata } : {}),
        modelVersion: model,
      });
    }
    res.end();
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
      } catch {
        res.writeHead(400).end();
        return;
      }
      const authorised =
        req.headers.authorization === `Bearer ${apiKey}` ||
        req.headers["x-api-key"] === apiKey ||
        req.headers["x-goog-api-key"] === apiKey ||
        provider === "openai-compatible";
      if (!authorised) {
        res.writeHead(401, { "content-type": "application/json" });
        res.end(JSON.stringify(errorBody(provider, 401, "Incorrect API key provided.")));
        return;
      }
      answer(req, res, body).catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    provider,
    baseUrl: provider === "google" ? `${origin}/v1beta` : `${origin}/v1`,
    apiKey,
    requests,
    script: (...answers) => void queue.push(...answers),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
