import type { ProcedureContext, ProcedureServices, RateLimitBucket } from "../context.js";
import { AppError } from "../errors.js";

/** The limit a procedure counts against: sign-in under `auth`, health never, everything else `api`. */
export function rateLimitBucketOf(procedurePath: string): RateLimitBucket | undefined {
  if (procedurePath.startsWith("health.")) return undefined;
  return procedurePath.startsWith("auth.") ? "auth" : "api";
}

/** What the policy needs of a context: any transport's caller can provide it. */
export type RateLimitedCaller = Pick<ProcedureContext, "clientIp" | "response"> & {
  services: Pick<ProcedureServices, "rateLimits">;
};

/**
 * The per-IP rate limit, one policy for every transport: tRPC's base procedure runs it for each
 * call (REST facade, tRPC over HTTP — each call of a batch — and over WebSocket), and whatever does
 * not go through a procedure (upgrades, the few plain HTTP routes) calls it directly. Counts one
 * call, puts the RateLimit-* headers on the answer, and throws RATE_LIMITED (with `retry_after`)
 * over the limit. When the counters cannot be reached the call passes (see `createRateLimits`).
 */
export async function enforceRateLimit(caller: RateLimitedCaller, bucket: RateLimitBucket): Promise<void> {
  const result = await caller.services.rateLimits.consume(bucket, caller.clientIp);
  if (!result) return;
  const headers = caller.response.headers;
  headers["ratelimit-limit"] = String(result.limit);
  headers["ratelimit-remaining"] = String(result.remaining);
  headers["ratelimit-reset"] = String(result.resetSec);
  if (!result.allowed) {
    throw new AppError("RATE_LIMITED", `Too many requests. Try again in ${result.resetSec} s.`, {
      retryAfterSec: result.resetSec,
    });
  }
}
