import {
  type ApiError,
  type ErrorCode,
  errorStatus,
  type McpFailureReason,
  type NotFoundIssueParams,
  type ValidationIssue,
} from "@mcpdeck/contracts";
import { TRPCError } from "@trpc/server";
import { ZodError } from "zod";

/** A failure a user can act on: a stable code, a message without secrets, optional details. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly issues?: ValidationIssue[];
  readonly reason?: McpFailureReason;
  readonly retryAfterSec?: number;

  constructor(
    code: ErrorCode,
    message: string,
    extra: {
      issues?: ValidationIssue[];
      reason?: McpFailureReason;
      retryAfterSec?: number;
      cause?: unknown;
    } = {},
  ) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = "AppError";
    this.code = code;
    if (extra.issues) this.issues = extra.issues;
    if (extra.reason) this.reason = extra.reason;
    if (extra.retryAfterSec !== undefined) this.retryAfterSec = extra.retryAfterSec;
  }

  get status(): number {
    return errorStatus[this.code];
  }
}

const trpcCodeFor: Record<number, TRPCError["code"]> = {
  400: "BAD_REQUEST",
  401: "UNAUTHORIZED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  409: "CONFLICT",
  410: "BAD_REQUEST",
  413: "PAYLOAD_TOO_LARGE",
  429: "TOO_MANY_REQUESTS",
  500: "INTERNAL_SERVER_ERROR",
  502: "BAD_GATEWAY",
};

/** Wraps an AppError for tRPC so procedures can simply `throw appError(...)`. */
export function toTRPCError(error: AppError): TRPCError {
  return new TRPCError({
    code: trpcCodeFor[error.status] ?? "INTERNAL_SERVER_ERROR",
    message: error.message,
    cause: error,
  });
}

type ZodIssue = ZodError["issues"][number];

function issuesOf(issue: ZodIssue, prefix: PropertyKey[]): ValidationIssue[] {
  const path = [...prefix, ...issue.path].map(String);
  // Strict objects: name each unknown field itself, so the client knows what to remove.
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => ({
      path: [...path, key].join("."),
      message: "Unknown field: remove it.",
    }));
  }
  // A union none of whose shapes fit: when exactly one shape knows every field sent, the client meant
  // that one, so name what is wrong inside it rather than answering "Invalid input".
  if (issue.code === "invalid_union" && issue.errors.length > 0) {
    const meant = issue.errors.filter(
      (errors) => !errors.some((e) => e.path.length === 0 && e.code === "unrecognized_keys"),
    );
    if (meant.length === 1) return meant[0]!.flatMap((inner) => issuesOf(inner, [...prefix, ...issue.path]));
  }
  return [{ path: path.join(".") || "(body)", message: issue.message }];
}

/** The resource a malformed id names (see `entityId` in contracts), when that is the issue. */
function notFoundResource(issue: ZodIssue): string | undefined {
  if (issue.code !== "custom") return undefined;
  return (issue.params as Partial<NotFoundIssueParams> | undefined)?.notFound;
}

/**
 * A validation failure as an AppError. A malformed id names nothing, so it is answered exactly like a
 * missing one (404) — unless something else in the request is invalid too, which is the 400 a missing
 * id would get as well.
 */
function fromZod(error: ZodError): AppError {
  const invalid = error.issues.filter((issue) => notFoundResource(issue) === undefined);
  if (invalid.length === 0) return notFound(notFoundResource(error.issues[0]!)!);
  return new AppError("VALIDATION_FAILED", "The request is invalid: see issues for the fields to fix.", {
    issues: invalid.flatMap((issue) => issuesOf(issue, [])),
  });
}

const tRPCCodeMap: Partial<Record<TRPCError["code"], ErrorCode>> = {
  UNAUTHORIZED: "UNAUTHENTICATED",
  FORBIDDEN: "FORBIDDEN",
  NOT_FOUND: "NOT_FOUND",
  CONFLICT: "CONFLICT",
  TOO_MANY_REQUESTS: "RATE_LIMITED",
  PAYLOAD_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  BAD_REQUEST: "VALIDATION_FAILED",
  PARSE_ERROR: "VALIDATION_FAILED",
  UNSUPPORTED_MEDIA_TYPE: "VALIDATION_FAILED",
  METHOD_NOT_SUPPORTED: "NOT_FOUND",
};

/** Fastify's own request errors (body parsing, media type), before any route runs. */
function fromFastifyError(error: { code?: unknown; statusCode?: unknown; message: string }) {
  switch (error.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new AppError("PAYLOAD_TOO_LARGE", "The request body is too large.");
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return new AppError("VALIDATION_FAILED", "The request body is not valid JSON.");
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return new AppError("VALIDATION_FAILED", "The request body is empty: send a JSON object.");
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new AppError("VALIDATION_FAILED", "Send the request body as application/json.");
  }
  if (typeof error.statusCode === "number" && error.statusCode >= 400 && error.statusCode < 500)
    return new AppError("VALIDATION_FAILED", `The request could not be read: ${error.message}`);
  return undefined;
}

/** Finds the AppError (or zod error) behind any thrown value. */
export function resolveAppError(error: unknown): AppError {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    if (current instanceof AppError) return current;
    if (current instanceof ZodError) return fromZod(current);
    current = (current as { cause?: unknown }).cause;
  }
  if (error instanceof Error && !(error instanceof TRPCError)) {
    const fastify = fromFastifyError(error as Error & { code?: unknown; statusCode?: unknown });
    if (fastify) return fastify;
  }
  if (error instanceof TRPCError) {
    const code = tRPCCodeMap[error.code];
    if (code) {
      const message =
        error.code === "PARSE_ERROR"
          ? "The request body is not valid JSON."
          : error.code === "UNSUPPORTED_MEDIA_TYPE"
            ? "Send the request body as application/json."
            : error.message;
      return new AppError(code, message);
    }
  }
  return new AppError("INTERNAL", "Something went wrong on our side. Try again; if it persists, report it.");
}

function toApiError(error: AppError): ApiError {
  return {
    code: error.code,
    message: error.message,
    ...(error.issues ? { issues: error.issues } : {}),
    ...(error.reason ? { reason: error.reason } : {}),
    ...(error.retryAfterSec !== undefined ? { retry_after: error.retryAfterSec } : {}),
  };
}

/** An error as an answer: HTTP status, headers and the one JSON body. */
export interface ShapedError {
  status: number;
  headers: Record<string, string>;
  body: ApiError;
}

/**
 * The one error shaper, for every transport: REST bodies, tRPC's `error.data.error`, Fastify's own
 * errors, the not-found answer and refused upgrades all come from here. Only the code, message and
 * details of an AppError leave the process — never a stack, a cause or an unexpected error's text.
 */
export function shapeError(error: unknown): ShapedError {
  const appError = resolveAppError(error);
  return {
    status: appError.status,
    headers: appError.retryAfterSec !== undefined ? { "retry-after": String(appError.retryAfterSec) } : {},
    body: toApiError(appError),
  };
}

export const notFound = (what: string) => new AppError("NOT_FOUND", `${what} not found.`);
