/**
 * Which call a server message belongs to, decided at the connection's fetch (the one place that
 * sees every byte both ways, since the SDK's transports do not say which stream a message came on):
 *
 * - a call marks its requests with `_meta["dev.mcpdeck/call"] = <call id>`; the fetch removes the
 *   mark before the request leaves (servers never see it) and remembers it for that exchange;
 * - every message on that request's answer (its event stream, or its JSON body) that the client
 *   will dispatch gets the mark put back: server-to-client requests and notifications (`_meta` of
 *   their params), and the input requests embedded in a modern-era `input_required` result;
 * - marks a server wrote itself are removed everywhere, so a server cannot claim another call.
 *
 * Handlers then read the mark from the message's `_meta` (call-scope.ts `CallRouter.related`).
 * Answers of unmarked requests and the long-lived streams (legacy standalone stream, legacy
 * HTTP+SSE, modern `subscriptions/listen`) carry no mark: their messages belong to no call.
 */
import type { GuardedFetch } from "./net/ssrf.js";

export const CALL_MARK = "dev.mcpdeck/call";

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Removes the mark from one outgoing message; returns the call id it carried. */
function takeMark(message: unknown): number | undefined {
  if (!isObject(message) || !isObject(message.params) || !isObject(message.params._meta)) return undefined;
  const meta = message.params._meta;
  const id = meta[CALL_MARK];
  if (id === undefined) return undefined;
  delete meta[CALL_MARK];
  if (Object.keys(meta).length === 0) delete message.params._meta;
  return typeof id === "number" ? id : undefined;
}

function setMark(params: unknown, call: number | undefined): unknown {
  if (!isObject(params)) return call === undefined ? params : { _meta: { [CALL_MARK]: call } };
  const meta = isObject(params._meta) ? { ...params._meta } : {};
  delete meta[CALL_MARK];
  if (call !== undefined) meta[CALL_MARK] = call;
  const { _meta: _previous, ...rest } = params;
  return Object.keys(meta).length > 0 ? { ...rest, _meta: meta } : rest;
}

/** Puts `call`'s mark on (or, with undefined, removes any mark from) what the client will dispatch. */
function stamp(message: unknown, call: number | undefined): unknown {
  if (!isObject(message)) return message;
  if (typeof message.method === "string") return { ...message, params: setMark(message.params, call) };
  const result = message.result;
  if (isObject(result) && result.resultType === "input_required" && isObject(result.inputRequests)) {
    const inputRequests: Json = {};
    for (const [key, request] of Object.entries(result.inputRequests)) {
      inputRequests[key] = isObject(request)
        ? { ...request, params: setMark(request.params, call) }
        : request;
    }
    return { ...message, result: { ...result, inputRequests } };
  }
  return message;
}

/** Whether a message text may need stamping (a request, a notification, input requests, or a mark). */
const mayNeedStamp = (text: string) =>
  text.includes('"method"') || text.includes("input_required") || text.includes(CALL_MARK);

function restamp(json: string, call: number | undefined): string {
  if (!mayNeedStamp(json)) return json;
  try {
    const parsed: unknown = JSON.parse(json);
    return JSON.stringify(Array.isArray(parsed) ? parsed.map((m) => stamp(m, call)) : stamp(parsed, call));
  } catch {
    return json; // not JSON: the SDK reports it
  }
}

/**
 * Re-stamps the `data` of each event of an event stream, one event at a time as it completes
 * (`id`, `event` and `retry` lines kept, comments passed through). Line ends become `\n`; a `\r`
 * at the end of a chunk waits for the next one, which may continue it as `\r\n`.
 */
function restampEvents(call: number | undefined): TransformStream<Uint8Array, Uint8Array> {
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let buffer = "";
  const emit = (controller: TransformStreamDefaultController<Uint8Array>, final: boolean) => {
    let text = buffer;
    let held = "";
    if (!final && text.endsWith("\r")) {
      held = "\r";
      text = text.slice(0, -1);
    }
    text = text.replace(/\r\n?/g, "\n");
    const end = final ? text.length : text.lastIndexOf("\n\n") + 2;
    if (end <= 1) {
      buffer = text + held;
      return;
    }
    const complete = text.slice(0, end);
    buffer = text.slice(end) + held;
    const out = complete
      .split("\n\n")
      .map((event) => rewriteEvent(event, call))
      .join("\n\n");
    if (out.length > 0) controller.enqueue(encoder.encode(out));
  };
  return new TransformStream({
    transform(chunk, controller) {
      buffer += decoder.decode(chunk, { stream: true });
      emit(controller, false);
    },
    flush(controller) {
      buffer += decoder.decode();
      emit(controller, true);
    },
  });
}

function rewriteEvent(event: string, call: number | undefined): string {
  if (!mayNeedStamp(event)) return event;
  const lines = event.split("\n");
  const data: string[] = [];
  const others: string[] = [];
  for (const line of lines) {
    if (line.startsWith("data:")) data.push(line.slice(line.startsWith("data: ") ? 6 : 5));
    else others.push(line);
  }
  if (data.length === 0) return event;
  return [...others, `data: ${restamp(data.join("\n"), call)}`].join("\n");
}

/** The answer to an exchange, with its messages stamped for `call` (or cleared of marks). */
async function stampedResponse(response: Response, call: number | undefined): Promise<Response> {
  const type = response.headers.get("content-type") ?? "";
  if (!response.body || !(response.status >= 200 && response.status < 300)) return response;
  const headers = new Headers(response.headers);
  headers.delete("content-length");
  let body: ReadableStream<Uint8Array> | string;
  if (type.includes("text/event-stream")) {
    body = response.body.pipeThrough(restampEvents(call));
  } else if (type.includes("json")) {
    body = restamp(await response.text(), call);
  } else {
    return response;
  }
  const stamped = new Response(body, { status: response.status, statusText: response.statusText, headers });
  Object.defineProperty(stamped, "url", { value: response.url });
  return stamped;
}

/** A fetch for the SDK's transports that carries call marks across the wire as described above. */
export function attributingFetch(base: GuardedFetch): GuardedFetch {
  return async (input, init) => {
    let call: number | undefined;
    let request = init;
    if (typeof init?.body === "string" && init.body.includes(CALL_MARK)) {
      try {
        const parsed: unknown = JSON.parse(init.body);
        for (const message of Array.isArray(parsed) ? parsed : [parsed]) call ??= takeMark(message);
        request = { ...init, body: JSON.stringify(parsed) };
      } catch {
        /* not JSON: sent as it is */
      }
    }
    return stampedResponse(await base(input, request), call);
  };
}

/** The call id a dispatched message was stamped with, if any. */
export function callMarkOf(meta: unknown): number | undefined {
  if (!isObject(meta)) return undefined;
  const id = meta[CALL_MARK];
  return typeof id === "number" ? id : undefined;
}
