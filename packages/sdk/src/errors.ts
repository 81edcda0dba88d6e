import { TRPCClientError } from "@trpc/client";
import type { ApiErrorBody, ErrorCode, McpFailureReason, ValidationIssue } from "./types.js";

/**
 * Codes only a client can see: the API did not answer (`API_UNREACHABLE`), or answered with
 * something that is not mcpdeck's error shape (`BAD_RESPONSE`, e.g. a proxy's HTML page).
 */
export type ClientErrorCode = "API_UNREACHABLE" | "BAD_RESPONSE";

/**
 * Every failure of the SDK, from REST, tRPC or a session alike: the API's stable `code`, its message
 * (written for a person), and the details the API gave — field `issues` of a validation failure, the
 * `reason` an MCP server could not be reached, the seconds to wait when rate limited.
 */
export class McpdeckError extends Error {
  override readonly name = "McpdeckError";
  readonly code: ErrorCode | ClientErrorCode;
  /** The HTTP status the API answered with, when it answered. */
  readonly status: number | undefined;
  readonly issues: ValidationIssue[] | undefined;
  readonly reason: McpFailureReason | undefined;
  /** Seconds to wait before trying again (RATE_LIMITED). */
  readonly retryAfter: number | undefined;

  constructor(
    body: { code: ErrorCode | ClientErrorCode; message: string } & Partial<
      Pick<ApiErrorBody, "issues" | "reason" | "retry_after">
    >,
    opts: { status?: number; cause?: unknown } = {},
  ) {
    super(body.message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = body.code;
    this.status = opts.status;
    this.issues = body.issues;
    this.reason = body.reason;
    this.retryAfter = body.retry_after;
  }

  /** Whether signing in again is the only way on (the sign-in ended, or the refresh token is spent). */
  get signInRequired(): boolean {
    return SIGN_IN_AGAIN.has(this.code);
  }
}

const SIGN_IN_AGAIN = new Set<McpdeckError["code"]>([
  "UNAUTHENTICATED",
  "TOKEN_INVALID",
  "TOKEN_EXPIRED",
  "TOKEN_REUSED",
  "SESSION_REVOKED",
]);

/** Whether a body is mcpdeck's error shape. */
function isApiErrorBody(value: unknown): value is ApiErrorBody {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { code?: unknown }).code === "string" &&
    typeof (value as { message?: unknown }).message === "string"
  );
}

function unreachable(baseUrl: string, cause: unknown): McpdeckError {
  const detail = cause instanceof Error ? (cause.cause instanceof Error ? cause.cause : cause).message : "";
  return new McpdeckError(
    {
      code: "API_UNREACHABLE",
      message: `Could not reach the mcpdeck API at ${baseUrl}${detail ? ` (${detail})` : ""}. Is it running, and is the address right?`,
    },
    { cause },
  );
}

/** Any failure of a tRPC call or a fetch as an McpdeckError. */
export function toMcpdeckError(error: unknown, baseUrl: string): McpdeckError {
  if (error instanceof McpdeckError) return error;
  if (error instanceof TRPCClientError) {
    const data = error.data as { error?: unknown; httpStatus?: number } | undefined;
    if (isApiErrorBody(data?.error)) return new McpdeckError(data.error, { status: data.httpStatus });
    const response = (error.meta as { response?: { status?: number } } | undefined)?.response;
    if (response) {
      return new McpdeckError(
        {
          code: "BAD_RESPONSE",
          message: `${baseUrl} answered ${response.status ?? "something"} that is not the mcpdeck API's: is this the right address?`,
        },
        { ...(response.status ? { status: response.status } : {}), cause: error },
      );
    }
    return unreachable(baseUrl, error.cause ?? error);
  }
  if (error instanceof TypeError) return unreachable(baseUrl, error);
  return new McpdeckError(
    { code: "INTERNAL", message: error instanceof Error ? error.message : String(error) },
    { cause: error },
  );
}

/** A non-2xx REST response as an McpdeckError (its body is the API's error shape). */
export async function errorFromResponse(response: Response, baseUrl: string): Promise<McpdeckError> {
  const text = await response.text().catch(() => "");
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {}
  if (isApiErrorBody(body)) return new McpdeckError(body, { status: response.status });
  return new McpdeckError(
    {
      code: "BAD_RESPONSE",
      message: `${baseUrl} answered ${response.status} without an mcpdeck error: is this the right address?`,
    },
    { status: response.status },
  );
}
