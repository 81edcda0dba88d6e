import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One `POST /emails` the stand-in received with a valid key and a well-formed body. */
export interface ResendMessage {
  /** The id answered (also set when the stand-in was told to fail: the message is still recorded). */
  id: string;
  from: string;
  to: string[];
  subject: string;
  text?: string;
  html?: string;
  /** HTTP status the stand-in answered. */
  status: number;
  receivedAt: Date;
}

/** Resend's error body: `{ statusCode, name, message }`. */
export interface ResendFailure {
  status: 500 | 422 | 429 | 503;
  name: string;
  message: string;
}

export interface ResendStandIn {
  /** Pass as RESEND_BASE_URL (the SDK appends `/emails`). */
  url: string;
  apiKey: string;
  /** Every well-formed, authenticated send, oldest first (including the ones answered with a failure). */
  messages: ResendMessage[];
  /** Answer every following send with this error until called with null. */
  failWith(failure: ResendFailure | null): void;
  /** Resolves with the first message to `to` received at or after `since` (polls; rejects after `timeoutMs`). */
  waitForMessage(to: string, opts?: { since?: Date; timeoutMs?: number }): Promise<ResendMessage>;
  close(): Promise<void>;
}

export const RESEND_SERVER_ERROR: ResendFailure = {
  status: 500,
  name: "application_error",
  message: "An unexpected error occurred, please try again later.",
};

export const RESEND_VALIDATION_ERROR: ResendFailure = {
  status: 422,
  name: "validation_error",
  message: "The `to` field must be a valid email address.",
};

/**
 * A real HTTP server on loopback speaking the part of Resend's API mcpdeck uses (`POST /emails`),
 * so tests run the production Resend client end to end and read what it would have delivered.
 */
export async function startResendStandIn(opts: { apiKey?: string } = {}): Promise<ResendStandIn> {
  const apiKey = opts.apiKey ?? `re_test_${randomUUID().replaceAll("-", "")}`;
  const messages: ResendMessage[] = [];
  let failure: ResendFailure | null = null;

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent)
        sendJson(res, 500, { statusCode: 500, name: "application_error", message: "stand-in failed" });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const body = await readBody(req);
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "POST" || path !== "/emails") {
      return sendJson(res, 404, {
        statusCode: 404,
        name: "not_found",
        message: "The requested endpoint does not exist.",
      });
    }
    const auth = req.headers.authorization;
    if (!auth) {
      return sendJson(res, 401, {
        statusCode: 401,
        name: "missing_api_key",
        message: "Missing API key in the authorization header.",
      });
    }
    if (auth !== `Bearer ${apiKey}`) {
      return sendJson(res, 403, { statusCode: 403, name: "invalid_api_key", message: "API key is invalid" });
    }
    let payload: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(body);
      if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("not an object");
      payload = parsed as Record<string, unknown>;
    } catch {
      return sendJson(res, 422, { statusCode: 422, name: "validation_error", message: "Invalid JSON body." });
    }
    const to = typeof payload.to === "string" ? [payload.to] : payload.to;
    const missing = ["from", "subject"].filter((f) => typeof payload[f] !== "string" || payload[f] === "");
    if (!Array.isArray(to) || to.length === 0 || !to.every((t) => typeof t === "string")) missing.push("to");
    if (typeof payload.text !== "string" && typeof payload.html !== "string") missing.push("text or html");
    if (missing.length > 0) {
      return sendJson(res, 422, {
        statusCode: 422,
        name: "missing_required_field",
        message: `Missing \`${missing.join("`, `")}\` field.`,
      });
    }
    const id = randomUUID();
    const status = failure?.status ?? 200;
    messages.push({
      id,
      from: payload.from as string,
      to: to as string[],
      subject: payload.subject as string,
      ...(typeof payload.text === "string" ? { text: payload.text } : {}),
      ...(typeof payload.html === "string" ? { html: payload.html } : {}),
      status,
      receivedAt: new Date(),
    });
    if (failure)
      return sendJson(res, failure.status, {
        statusCode: failure.status,
        name: failure.name,
        message: failure.message,
      });
    return sendJson(res, 200, { id });
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    messages,
    failWith(next) {
      failure = next;
    },
    async waitForMessage(to, { since, timeoutMs = 5_000 } = {}) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = messages.find((m) => m.to.includes(to) && (!since || m.receivedAt >= since));
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`the Resend stand-in received no message to ${to}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
