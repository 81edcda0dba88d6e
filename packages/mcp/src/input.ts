/**
 * Server requests for input, in either era, turned into one `onInputRequest` hook call:
 * - legacy era: `elicitation/create` and `sampling/createMessage` requests the server sends;
 * - modern era: the same requests embedded in an `input_required` result, which the SDK's
 *   multi-round-trip driver hands to these same handlers before retrying the call.
 * The layer never fetches an elicitation URL and never samples a model itself: it only asks the hook.
 */
import {
  type CreateMessageRequestParams,
  type ElicitRequestParams,
  type ElicitResult,
  ProtocolError,
  ProtocolErrorCode,
} from "@modelcontextprotocol/client";
import type { CallRouter, CallScope } from "./call-scope.js";
import type { InputAnswer, InputRequest, SamplingAnswer } from "./hooks.js";
import { schemaProblem } from "./json-schema.js";

/** How many times a person is asked again after an answer that does not fit the form. */
const FORM_ATTEMPTS = 3;

/** JSON-RPC code the spec suggests for a sampling request the user rejected. */
const USER_REJECTED = -1;

const NO_CALL =
  "mcpdeck cannot tell which running call this request belongs to: send it related to the call's " +
  "request (on its response stream), or while a single call that accepts input runs.";
const NO_HOOK =
  "the call that caused it has nobody to ask (it was made without a way to answer input requests).";

function answeringScope(router: CallRouter, meta: unknown, what: string): CallScope {
  const scope = router.answering(meta);
  if (!scope) throw new ProtocolError(ProtocolErrorCode.InvalidRequest, `${what}: ${NO_CALL}`);
  if (!scope.hooks.onInputRequest)
    throw new ProtocolError(ProtocolErrorCode.InvalidRequest, `${what}: ${NO_HOOK}`);
  return scope;
}

/** Asks the call's hook, with the call's timeouts paused while a person answers. */
async function ask(scope: CallScope, request: InputRequest, serverSignal: AbortSignal): Promise<InputAnswer> {
  const hook = scope.hooks.onInputRequest;
  if (!hook) throw new ProtocolError(ProtocolErrorCode.InvalidRequest, NO_HOOK);
  const resume = scope.pause();
  try {
    return await hook(request, AbortSignal.any([scope.signal, serverSignal]));
  } finally {
    resume();
  }
}

/**
 * `meta` is the request's `_meta` as it arrived (the handler context's `mcpReq._meta`): the SDK's
 * parse of the params may drop keys it does not know, the call mark among them.
 */
export async function answerElicitation(
  router: CallRouter,
  params: ElicitRequestParams,
  meta: unknown,
  serverSignal: AbortSignal,
): Promise<ElicitResult> {
  const scope = answeringScope(router, meta, "Elicitation refused");
  if (params.mode === "url") {
    const answer = await ask(
      scope,
      {
        kind: "url",
        message: params.message,
        url: params.url,
        ...(params.elicitationId ? { elicitationId: params.elicitationId } : {}),
      },
      serverSignal,
    );
    return { action: answer.action };
  }
  let invalidAnswer: string | undefined;
  for (let attempt = 0; attempt < FORM_ATTEMPTS; attempt++) {
    const answer = await ask(
      scope,
      {
        kind: "form",
        message: params.message,
        schema: params.requestedSchema,
        ...(invalidAnswer ? { invalidAnswer } : {}),
      },
      serverSignal,
    );
    if (answer.action !== "accept") return { action: answer.action };
    const content = "content" in answer ? (answer.content ?? {}) : undefined;
    invalidAnswer =
      content === undefined ? "a form needs field values" : schemaProblem(params.requestedSchema, content);
    if (invalidAnswer === undefined) return { action: "accept", content: content as ElicitResult["content"] };
  }
  // Still not a valid answer: tell the server the person dismissed the form rather than send it.
  return { action: "cancel" };
}

export async function answerSampling(
  router: CallRouter,
  params: CreateMessageRequestParams,
  meta: unknown,
  serverSignal: AbortSignal,
): Promise<SamplingAnswer> {
  const scope = answeringScope(router, meta, "Sampling refused (mcpdeck has no model of its own)");
  const answer = await ask(
    scope,
    {
      kind: "sampling",
      messages: params.messages,
      maxTokens: params.maxTokens,
      ...(params.systemPrompt !== undefined ? { systemPrompt: params.systemPrompt } : {}),
      ...(params.modelPreferences ? { modelPreferences: params.modelPreferences } : {}),
      ...(params.temperature !== undefined ? { temperature: params.temperature } : {}),
      ...(params.stopSequences ? { stopSequences: params.stopSequences } : {}),
    },
    serverSignal,
  );
  if (answer.action === "accept" && "sampling" in answer) return answer.sampling;
  throw new ProtocolError(USER_REJECTED, "The user rejected the sampling request.");
}
