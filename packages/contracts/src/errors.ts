import { z } from "zod";

/** Stable machine-readable error codes shared by REST, tRPC and the WebSocket protocol. */
export const errorCodes = [
  "VALIDATION_FAILED",
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "NOT_FOUND",
  "CONFLICT",
  "USERNAME_TAKEN",
  "SERVER_NAME_TAKEN",
  "RATE_LIMITED",
  "OTP_INVALID",
  "OTP_EXPIRED",
  "OTP_USED",
  "OTP_EXHAUSTED",
  "TOKEN_INVALID",
  "TOKEN_EXPIRED",
  "TOKEN_REUSED",
  "SESSION_REVOKED",
  "PAYLOAD_TOO_LARGE",
  "CONNECTION_FAILED",
  "UPSTREAM_ERROR",
  "OAUTH_FAILED",
  "INTERNAL",
] as const;
export const ErrorCode = z.enum(errorCodes);
export type ErrorCode = z.infer<typeof ErrorCode>;

/** HTTP status for each error code; REST and tRPC use the same mapping. */
export const errorStatus: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  USERNAME_TAKEN: 409,
  SERVER_NAME_TAKEN: 409,
  RATE_LIMITED: 429,
  OTP_INVALID: 401,
  OTP_EXPIRED: 410,
  OTP_USED: 410,
  OTP_EXHAUSTED: 410,
  TOKEN_INVALID: 401,
  TOKEN_EXPIRED: 401,
  TOKEN_REUSED: 401,
  SESSION_REVOKED: 401,
  PAYLOAD_TOO_LARGE: 413,
  CONNECTION_FAILED: 400,
  UPSTREAM_ERROR: 502,
  OAUTH_FAILED: 400,
  INTERNAL: 500,
};

/**
 * Why a connection to an MCP server failed: `reason` of CONNECTION_FAILED (a test) and UPSTREAM_ERROR
 * (live use) errors, and the code of the connection layer's errors.
 */
export const McpFailureReason = z
  .enum([
    "DNS_FAILED",
    "CONNECTION_REFUSED",
    "TLS_FAILED",
    "AUTH_FAILED",
    "AUTH_REQUIRED",
    "TIMEOUT",
    "NOT_MCP",
    "SSRF_BLOCKED",
    "SERVER_ERROR",
    "PROTOCOL_ERROR",
  ])
  .meta({ id: "McpFailureReason" });
export type McpFailureReason = z.infer<typeof McpFailureReason>;

export const ValidationIssue = z.object({
  path: z.string().describe("Dotted path of the offending field, e.g. `credentials.api_key`"),
  message: z.string(),
});
export type ValidationIssue = z.infer<typeof ValidationIssue>;

/** The one JSON error shape of every REST error response (and `data.error` of tRPC errors). */
export const ApiError = z
  .object({
    code: ErrorCode,
    message: z.string(),
    issues: z.array(ValidationIssue).optional(),
    reason: McpFailureReason.optional().describe(
      "Why a connection to the MCP server failed (CONNECTION_FAILED, UPSTREAM_ERROR, and a URL refused by the SSRF guard)",
    ),
    retry_after: z.number().int().optional().describe("Seconds to wait, on RATE_LIMITED"),
  })
  .meta({ id: "Error" });
export type ApiError = z.infer<typeof ApiError>;
