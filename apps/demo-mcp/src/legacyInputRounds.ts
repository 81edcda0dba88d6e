/**
 * Runs a demo tool for a 2025-era (1.x SDK) client. The tools ask for input the 2026-07-28 way —
 * they return `input_required` and read the answers when re-entered — so here each embedded request
 * becomes a real server-to-client request (`elicitation/create`, `sampling/createMessage`,
 * `roots/list`) on the session, and the tool is re-entered with the answers. (The 2.x server does the
 * same for its own legacy connections; the demo serves that era with the 1.x SDK, see README.)
 */
import { randomUUID } from "node:crypto";
import type { RequestOptions } from "@modelcontextprotocol/sdk/shared/protocol.js";
import {
  CreateMessageResultSchema,
  ElicitResultSchema,
  type CallToolResult as LegacyToolResult,
  ListRootsResultSchema,
  type ProgressToken,
} from "@modelcontextprotocol/sdk/types.js";
import {
  type ClientCapabilities,
  type InputRequest,
  isInputRequiredResult,
} from "@modelcontextprotocol/server";
import type { DemoEnv } from "./env.js";
import type { SendNotification, SessionLogger } from "./legacyLogging.js";
import { elicitationUnavailable, samplingUnavailable } from "./tools/clientSupport.js";
import { executeTool } from "./tools/execute.js";
import type { DemoTool, ToolCall, ToolResult } from "./tools/types.js";
import { toolError } from "./tools/types.js";

/** The two SDKs describe the same wire shape with separately declared types. */
const asLegacyResult = (result: ToolResult): LegacyToolResult => result as unknown as LegacyToolResult;

/** Re-entries per call before giving up (the 2.x SDK's default too). */
export const LEGACY_MAX_INPUT_ROUNDS = 8;
/** A person answers these: far above the 60 s protocol default. */
const INPUT_REQUEST_TIMEOUT_MS = 10 * 60 * 1000;

type SendRequest = (
  request: { method: string; params?: Record<string, unknown> },
  schema: typeof ElicitResultSchema | typeof CreateMessageResultSchema | typeof ListRootsResultSchema,
  options: RequestOptions,
) => Promise<unknown>;

export interface LegacyCallContext {
  signal: AbortSignal;
  clientCapabilities: ClientCapabilities | undefined;
  progressToken: ProgressToken | undefined;
  /** Sends a notification on the call's channel (its request stream, or the session once that is gone). */
  notify: SendNotification;
  sendRequest: SendRequest;
  logger: SessionLogger;
  /** Hears every progress report, progress token or not (a task shows it as its status message). */
  onProgress?(message: string): Promise<void>;
  /** Sends `notifications/elicitation/complete` for an elicitation id. */
  completeElicitation(elicitationId: string): Promise<void>;
}

const RESULT_SCHEMAS = {
  "elicitation/create": ElicitResultSchema,
  "sampling/createMessage": CreateMessageResultSchema,
  "roots/list": ListRootsResultSchema,
} as const;

function unavailableMessage(tool: string, request: InputRequest, error: unknown): string {
  const why = `the client refused the request (${error instanceof Error ? error.message : String(error)})`;
  if (request.method === "sampling/createMessage") return samplingUnavailable(tool, why);
  if (request.method === "elicitation/create") {
    return elicitationUnavailable(tool, request.params.mode === "url" ? "URL" : "form", why);
  }
  return `${tool} could not list the client's roots: ${why}.`;
}

export async function runLegacyCall(
  tool: DemoTool,
  args: unknown,
  ctx: LegacyCallContext,
  env: DemoEnv,
): Promise<LegacyToolResult> {
  let inputResponses: Record<string, unknown> | undefined;
  let requestState: string | undefined;
  /** key → elicitationId of the URL elicitations sent for this call. */
  const urlElicitations = new Map<string, string>();
  for (let round = 1; ; round++) {
    const call: ToolCall = {
      signal: ctx.signal,
      era: "legacy",
      clientCapabilities: ctx.clientCapabilities,
      inputResponses,
      requestState,
      progress: async (progress, total, message) => {
        await ctx.onProgress?.(message);
        if (ctx.progressToken === undefined) return;
        await ctx
          .notify({
            method: "notifications/progress",
            params: {
              progressToken: ctx.progressToken,
              progress,
              ...(total !== undefined && { total }),
              message,
            },
          })
          .catch(() => {});
      },
      log: (level, data) => ctx.logger.log(ctx.notify, level, tool.name, data),
      urlElicitationCompleted: async (key) => {
        const id = urlElicitations.get(key);
        if (id !== undefined) await ctx.completeElicitation(id).catch(() => {});
      },
    };
    const outcome = await executeTool(tool, args, call, env);
    if (!isInputRequiredResult(outcome)) return asLegacyResult(outcome);
    if (round > LEGACY_MAX_INPUT_ROUNDS) {
      return asLegacyResult(
        toolError(`${tool.name} asked for input more than ${LEGACY_MAX_INPUT_ROUNDS} times; giving up.`),
      );
    }
    const answers: Record<string, unknown> = {};
    for (const [key, request] of Object.entries(outcome.inputRequests ?? {})) {
      const params: Record<string, unknown> = { ...request.params };
      if (request.method === "elicitation/create" && params.mode === "url") {
        // The 2025 URL mode names each elicitation so its completion can be announced.
        const elicitationId = randomUUID();
        params.elicitationId = elicitationId;
        urlElicitations.set(key, elicitationId);
      }
      try {
        answers[key] = await ctx.sendRequest(
          { method: request.method, params },
          RESULT_SCHEMAS[request.method],
          {
            signal: ctx.signal,
            timeout: INPUT_REQUEST_TIMEOUT_MS,
            resetTimeoutOnProgress: true,
          },
        );
      } catch (error) {
        if (ctx.signal.aborted) return { content: [{ type: "text", text: `${tool.name} was cancelled.` }] };
        return asLegacyResult(toolError(unavailableMessage(tool.name, request, error)));
      }
    }
    inputResponses = answers;
    requestState = outcome.requestState;
  }
}
