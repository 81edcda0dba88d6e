/**
 * Failure classification for MCP connections: turns whatever the SDK / undici / node threw into a
 * McpConnectionError with a stable code and a user-facing message that never contains credentials.
 */

import type { McpFailureReason } from "@mcpdeck/contracts";
import {
  OAuthError,
  ProtocolError,
  ProtocolErrorCode,
  SdkError,
  SdkErrorCode,
  SdkHttpError,
  SseError,
  UnauthorizedError,
} from "@modelcontextprotocol/client";
import { DnsError, SsrfError } from "./net/ssrf.js";

export interface McpConnectionErrorOptions {
  /** Short technical detail for logs (error code, status); already redacted. */
  detail?: string;
  httpStatus?: number;
  /** The remote session is gone (HTTP 404 on the session, transport closed, connection reset). */
  sessionLost?: boolean;
  /**
   * The request was refused because the remembered protocol era no longer fits the server (a
   * modern-era request answered like a legacy server would): nothing ran, so it is safe to connect
   * again without the remembered era and resend.
   */
  staleEra?: boolean;
}

/**
 * A classified failure. `message` is user-facing. The original error is deliberately NOT attached as
 * `cause` (SDK errors embed response bodies, which a hostile server could use to reflect credentials).
 */
export class McpConnectionError extends Error {
  readonly code: McpFailureReason;
  readonly detail: string | undefined;
  readonly httpStatus: number | undefined;
  readonly sessionLost: boolean;
  readonly staleEra: boolean;

  constructor(code: McpFailureReason, message: string, options: McpConnectionErrorOptions = {}) {
    super(message);
    this.name = "McpConnectionError";
    this.code = code;
    this.detail = options.detail;
    this.httpStatus = options.httpStatus;
    this.sessionLost = options.sessionLost ?? false;
    this.staleEra = options.staleEra ?? false;
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      detail: this.detail,
      httpStatus: this.httpStatus,
      sessionLost: this.sessionLost,
      staleEra: this.staleEra,
    };
  }
}

/** What our recording fetch saw last (connect phase). */
export interface HttpObservation {
  status: number;
  statusText: string;
  contentType: string | null;
  method: string;
}

export interface ClassifyContext {
  url: URL;
  timeoutSec: number;
  authMethod: "none" | "api_key" | "oauth";
  /** Strings that must never appear in a message (api key, bearer tokens). */
  secrets: readonly string[];
  phase: "connect" | "request";
  /** Response seen by the recording fetch for the failing attempt (connect phase only). */
  observed?: HttpObservation | undefined;
  /** The last network-level error the recording fetch saw (SSE wraps errors and loses the cause chain). */
  fetchError?: unknown;
}

const TLS_REASONS: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: "self-signed certificate",
  SELF_SIGNED_CERT_IN_CHAIN: "self-signed certificate in the chain",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "unable to verify the certificate's issuer",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "unknown certificate issuer",
  UNABLE_TO_GET_ISSUER_CERT: "unknown certificate issuer",
  CERT_HAS_EXPIRED: "certificate has expired",
  CERT_NOT_YET_VALID: "certificate is not yet valid",
  ERR_TLS_CERT_ALTNAME_INVALID: "certificate does not match the host name",
  CERT_REVOKED: "certificate revoked",
  CERT_UNTRUSTED: "certificate not trusted",
  CERT_SIGNATURE_FAILURE: "certificate signature failure",
  INVALID_CA: "invalid certificate authority",
};

const DNS_CODES = new Set(["ENOTFOUND", "EAI_AGAIN", "EAI_NONAME", "EAI_FAIL", "EAI_NODATA", "ENODATA"]);
const TIMEOUT_CODES = new Set([
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "ETIMEDOUT",
  "ETIME",
]);
const RESET_CODES = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET", "ECONNABORTED", "UND_ERR_CLOSED"]);
const UNREACHABLE_CODES = new Set(["EHOSTUNREACH", "ENETUNREACH", "EHOSTDOWN", "ENETDOWN"]);

/** The error, its `cause` chain and AggregateError members, breadth-first, at most 32 items. */
export function errorChain(err: unknown): unknown[] {
  const out: unknown[] = [];
  const queue: unknown[] = [err];
  const seen = new Set<unknown>();
  while (queue.length > 0 && out.length < 32) {
    const e = queue.shift();
    if (e === undefined || e === null || seen.has(e)) continue;
    seen.add(e);
    out.push(e);
    if (typeof e === "object") {
      const cause = (e as { cause?: unknown }).cause;
      if (cause !== undefined) queue.push(cause);
      const errors = (e as { errors?: unknown }).errors;
      if (Array.isArray(errors)) queue.push(...errors);
    }
  }
  return out;
}

function codeOf(e: unknown): string | undefined {
  if (typeof e !== "object" || e === null) return undefined;
  const code = (e as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message;
  return typeof e === "string" ? e : "";
}

/**
 * Characters of a token (RFC 6750 b64token less its `=` padding, which is also how `key=value` joins):
 * what a short secret's neighbours must not be for it to stand as a whole token.
 */
const TOKEN_CHARACTER = "[A-Za-z0-9._~+/-]";
/**
 * Secrets this long are redacted wherever they appear, even glued to other text; a shorter one is too
 * likely a piece of an ordinary word for that.
 */
const FREE_REDACTION_LENGTH = 4;

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Removes every secret (and any "Bearer …" token) from `text`, whatever the secret's length. A secret
 * may come back as it was sent (a header echo), URL-encoded (a query string) or JSON-escaped (a body), so
 * each of those spellings is redacted. Long secrets go wherever they appear; a short one (a 3-character
 * key is a plain word) only where it stands as a whole token — between spaces, quotes, `=`, `:`, `&` —
 * which is how an echo shows it, so "abc" is redacted in `Bearer abc` or `"key":"abc"` but the message
 * around it is not mangled where "abc" is part of a longer word.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret) continue;
    const spellings = new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]);
    for (const spelling of [...spellings].sort((a, b) => b.length - a.length)) {
      if (spelling.length >= FREE_REDACTION_LENGTH) {
        out = out.split(spelling).join("[redacted]");
      } else {
        const bounded = new RegExp(
          `(?<!${TOKEN_CHARACTER})${escapeRegExp(spelling)}(?!${TOKEN_CHARACTER})`,
          "g",
        );
        out = out.replace(bounded, "[redacted]");
      }
    }
  }
  return out.replace(/(bearer\s+)[A-Za-z0-9._~+/=-]{4,}/gi, "$1[redacted]");
}

export function hostPort(url: URL): string {
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  return `${url.hostname}:${port}`;
}

export function timeoutMessage(timeoutSec: number): string {
  return `No response within ${timeoutSec} s (timeout)`;
}

function httpStatusOf(err: unknown): number | undefined {
  for (const e of errorChain(err)) {
    if (e instanceof SdkHttpError && e.status >= 100) return e.status;
    if (e instanceof SseError && typeof e.code === "number" && e.code >= 100) return e.code;
    // SSEClientTransport.send: "Error POSTing to endpoint (HTTP 404): ..."
    const m = /\(HTTP (\d{3})\)/.exec(messageOf(e));
    if (m?.[1]) return Number(m[1]);
  }
  return undefined;
}

/** Describes a response for a message: "HTTP 200 with text/html", "HTTP 404 (Not Found)". */
export function describeObservation(o: HttpObservation | undefined): string {
  if (!o) return "no HTTP response";
  if (o.status >= 200 && o.status < 300) {
    const ct = o.contentType ? o.contentType.split(";")[0]?.trim() : null;
    return `HTTP ${o.status} with ${ct || "no content type"}`;
  }
  return o.statusText ? `HTTP ${o.status} (${o.statusText})` : `HTTP ${o.status}`;
}

/** Network-level failures: these are never a reason to try another transport. */
export function isNetworkFailure(err: unknown): boolean {
  for (const e of errorChain(err)) {
    if (e instanceof SsrfError || e instanceof DnsError) return true;
    const code = codeOf(e);
    if (code === undefined) continue;
    if (
      DNS_CODES.has(code) ||
      TIMEOUT_CODES.has(code) ||
      UNREACHABLE_CODES.has(code) ||
      RESET_CODES.has(code) ||
      code === "ECONNREFUSED" ||
      code in TLS_REASONS ||
      code.startsWith("ERR_SSL_") ||
      code.startsWith("ERR_TLS_")
    ) {
      return true;
    }
  }
  return false;
}

function authMessage(status: number, authMethod: ClassifyContext["authMethod"]): McpConnectionError {
  if (authMethod === "none") {
    return new McpConnectionError(
      "AUTH_REQUIRED",
      `The server requires authentication (HTTP ${status}). Configure an API key or OAuth for this server.`,
      { httpStatus: status },
    );
  }
  if (authMethod === "oauth") {
    return new McpConnectionError(
      "AUTH_FAILED",
      `The server rejected the OAuth access token (HTTP ${status}). Reconnect the account to authorize again.`,
      { httpStatus: status },
    );
  }
  return new McpConnectionError(
    "AUTH_FAILED",
    `The server rejected the credentials (HTTP ${status}). Check the API key.`,
    { httpStatus: status },
  );
}

/** Network-level classification only (SSRF, DNS, TLS, refused, timeouts, resets); undefined otherwise. */
function classifyNetwork(err: unknown, ctx: ClassifyContext): McpConnectionError | undefined {
  const chain = errorChain(err);
  for (const e of chain) {
    if (e instanceof SsrfError) return new McpConnectionError("SSRF_BLOCKED", e.message, { detail: e.kind });
  }
  for (const e of chain) {
    if (e instanceof DnsError) {
      return new McpConnectionError("DNS_FAILED", e.message, { detail: e.dnsCode });
    }
    const code = codeOf(e);
    if (code && DNS_CODES.has(code)) {
      return new McpConnectionError("DNS_FAILED", `Could not resolve host ${ctx.url.hostname}`, {
        detail: code,
      });
    }
  }
  for (const e of chain) {
    const code = codeOf(e);
    if (!code) continue;
    const reason =
      TLS_REASONS[code] ??
      (code.startsWith("ERR_SSL_") || code.startsWith("ERR_TLS_") || code === "EPROTO"
        ? "TLS handshake failed"
        : undefined);
    if (reason && (code !== "EPROTO" || ctx.url.protocol === "https:")) {
      const hint =
        code in TLS_REASONS
          ? " If you trust this server, set ssl_verify to false."
          : " Check that the server speaks HTTPS on this port.";
      return new McpConnectionError("TLS_FAILED", `TLS certificate verification failed (${reason}).${hint}`, {
        detail: code,
      });
    }
  }
  for (const e of chain) {
    const code = codeOf(e);
    if (code === "ECONNREFUSED") {
      return new McpConnectionError(
        "CONNECTION_REFUSED",
        `Connection refused by ${hostPort(ctx.url)} — is the server running?`,
        { detail: code, sessionLost: ctx.phase === "request" },
      );
    }
    if (code && UNREACHABLE_CODES.has(code)) {
      return new McpConnectionError(
        "CONNECTION_REFUSED",
        `Could not reach ${hostPort(ctx.url)} (host or network unreachable).`,
        { detail: code },
      );
    }
  }
  for (const e of chain) {
    const code = codeOf(e);
    if (code && TIMEOUT_CODES.has(code)) {
      return new McpConnectionError("TIMEOUT", timeoutMessage(ctx.timeoutSec), { detail: code });
    }
    if (e instanceof SdkError && e.code === SdkErrorCode.RequestTimeout) {
      return new McpConnectionError("TIMEOUT", timeoutMessage(ctx.timeoutSec), { detail: "RequestTimeout" });
    }
  }
  for (const e of chain) {
    const code = codeOf(e);
    if (code && RESET_CODES.has(code)) {
      const hint =
        ctx.phase === "connect" && ctx.url.protocol === "http:"
          ? " If the server expects HTTPS, use an https:// URL."
          : "";
      return new McpConnectionError(
        "SERVER_ERROR",
        `The connection to ${hostPort(ctx.url)} was closed unexpectedly.${hint}`,
        { detail: code, sessionLost: true },
      );
    }
  }
  return undefined;
}

/**
 * Classifies any thrown value. Messages are built from templates, host names and HTTP statuses only;
 * server-provided text (JSON-RPC error messages) is included only after redaction.
 */
export function classifyMcpError(err: unknown, ctx: ClassifyContext): McpConnectionError {
  if (err instanceof McpConnectionError) return err;
  const result = classifyInner(err, ctx);
  return new McpConnectionError(result.code, redact(result.message, ctx.secrets), {
    detail: result.detail === undefined ? undefined : redact(result.detail, ctx.secrets),
    httpStatus: result.httpStatus,
    sessionLost: result.sessionLost,
    staleEra: result.staleEra,
  });
}

function classifyInner(err: unknown, ctx: ClassifyContext): McpConnectionError {
  const net =
    classifyNetwork(err, ctx) ?? (ctx.fetchError ? classifyNetwork(ctx.fetchError, ctx) : undefined);
  if (net) return net;

  const chain = errorChain(err);
  if (chain.some((e) => e instanceof UnauthorizedError)) {
    return new McpConnectionError(
      "AUTH_REQUIRED",
      "Authorization required: connect this server's OAuth account (sign in) and try again.",
      { detail: "UnauthorizedError" },
    );
  }

  const status = httpStatusOf(err) ?? (ctx.phase === "connect" ? ctx.observed?.status : undefined);
  if (status === 401 || status === 403) return authMessage(status, ctx.authMethod);

  if (ctx.phase === "request" && status !== undefined) {
    const text = chain.map(messageOf).join(" ");
    if (status === 404 || (status === 400 && /session/i.test(text))) {
      return new McpConnectionError(
        "SERVER_ERROR",
        `The MCP server no longer knows this session (HTTP ${status}).`,
        { httpStatus: status, sessionLost: true },
      );
    }
  }

  for (const e of chain) {
    if (e instanceof OAuthError) {
      return new McpConnectionError(
        "AUTH_FAILED",
        `The authorization server refused the request (${truncate(e.code, 60)}). Reconnect the account to authorize again.`,
        { detail: `OAuth ${truncate(e.code, 60)}` },
      );
    }
  }

  for (const e of chain) {
    if (e instanceof SdkError && e.code === SdkErrorCode.ClientHttpUnexpectedContent) {
      return new McpConnectionError(
        "NOT_MCP",
        `The URL answered ${describeObservation(ctx.observed)}, which is not an MCP endpoint (expected JSON or an event stream).`,
        { detail: "unexpected content type" },
      );
    }
  }

  if (status !== undefined && status >= 500) {
    return new McpConnectionError("SERVER_ERROR", `The MCP server failed with HTTP ${status}.`, {
      httpStatus: status,
    });
  }
  if (status !== undefined && status >= 400) {
    return new McpConnectionError(
      ctx.phase === "connect" ? "NOT_MCP" : "PROTOCOL_ERROR",
      ctx.phase === "connect"
        ? `The URL answered HTTP ${status}, which is not an MCP endpoint. Check the URL path (often /mcp or /sse).`
        : `The MCP server answered HTTP ${status}.`,
      { httpStatus: status },
    );
  }

  for (const e of chain) {
    if (
      e instanceof SdkError &&
      (e.code === SdkErrorCode.ConnectionClosed || e.code === SdkErrorCode.NotConnected)
    ) {
      return new McpConnectionError("SERVER_ERROR", "The connection to the MCP server was closed.", {
        detail: e.code,
        sessionLost: true,
      });
    }
    if (e instanceof ProtocolError) {
      if (e.code === ProtocolErrorCode.UnsupportedProtocolVersion) {
        return new McpConnectionError(
          "PROTOCOL_ERROR",
          `The MCP server does not support the protocol version mcpdeck offered: ${truncate(e.message, 200)}`,
          { detail: `JSON-RPC ${e.code}` },
        );
      }
      return new McpConnectionError(
        "PROTOCOL_ERROR",
        `The MCP server returned an error: ${truncate(e.message, 300)}`,
        { detail: `JSON-RPC ${e.code}` },
      );
    }
  }

  for (const e of chain) {
    const message = messageOf(e);
    if (message === "Not connected") {
      return new McpConnectionError("SERVER_ERROR", "The connection to the MCP server was closed.", {
        detail: "Not connected",
        sessionLost: true,
      });
    }
    const name = e instanceof Error ? e.name : "";
    if (name === "ZodError" || name === "SyntaxError" || name === "$ZodError") {
      if (ctx.phase === "connect") {
        return new McpConnectionError(
          "NOT_MCP",
          `The URL answered ${describeObservation(ctx.observed)}, but the body is not a JSON-RPC message, so it is not an MCP endpoint.`,
          { detail: name },
        );
      }
      return new McpConnectionError("PROTOCOL_ERROR", "The MCP server sent a malformed message.", {
        detail: name,
      });
    }
    if (message.startsWith("Server's protocol version is not supported")) {
      return new McpConnectionError("PROTOCOL_ERROR", truncate(message, 200), { detail: "protocol version" });
    }
  }

  const first = chain[0];
  return new McpConnectionError(
    "PROTOCOL_ERROR",
    `Unexpected error talking to the MCP server: ${truncate(messageOf(first) || String(first), 300)}`,
    { detail: first instanceof Error ? first.name : typeof first },
  );
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
