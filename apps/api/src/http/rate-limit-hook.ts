import type { FastifyReply, FastifyRequest } from "fastify";
import { AppError, toApiError } from "../errors.js";
import type { AppServices } from "../services.js";
import type { RateLimitResult } from "./rate-limit.js";

const EXEMPT = new Set(["/healthz", "/api/v1/healthz"]);
let lastFailureLog = 0;

/** Which limit a request counts against: `auth` for sign-in endpoints, `api` for the rest, none for assets. */
export function rateLimitBucket(path: string): "auth" | "api" | undefined {
  if (EXEMPT.has(path)) return undefined;
  if (path.startsWith("/api/v1/auth/")) return "auth";
  if (path.startsWith("/trpc/")) {
    return path
      .slice(6)
      .split(",")
      .some((p) => p.startsWith("auth."))
      ? "auth"
      : "api";
  }
  if (path.startsWith("/api/") || path.startsWith("/trpc") || path.startsWith("/ws/")) return "api";
  return undefined;
}

/**
 * The path as the routers see it: Fastify and tRPC decode percent-escapes before matching, so
 * `/api/v1/%61uth/…` is a sign-in endpoint too and must count against the sign-in limit.
 */
function requestPath(url: string): string {
  const raw = url.split("?")[0]!;
  if (!raw.includes("%")) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

export async function applyRateLimit(services: AppServices, req: FastifyRequest, reply: FastifyReply) {
  if (req.method === "OPTIONS") return;
  const bucket = rateLimitBucket(requestPath(req.url));
  if (!bucket) return;
  const limit =
    bucket === "auth" ? services.config.rateLimits.authPerMin : services.config.rateLimits.apiPerMin;
  let result: RateLimitResult;
  try {
    result = await services.rateLimiter.consume(`${bucket}:${req.ip}`, limit, 60);
  } catch (error) {
    // The counters live in the database. When it does not answer, let the request through rather
    // than fail everything: what needs the database fails on its own, the rest (static documents,
    // health) keeps working. Logged at most every 10 s so an outage does not flood the log.
    services.metrics.inc("rate_limit_errors_total");
    const now = Date.now();
    if (now - lastFailureLog > 10_000) {
      lastFailureLog = now;
      services.log.warn(
        { err: { message: error instanceof Error ? error.message : String(error) } },
        "rate limiter unavailable: requests pass unlimited",
      );
    }
    return;
  }
  reply.header("ratelimit-limit", String(result.limit));
  reply.header("ratelimit-remaining", String(result.remaining));
  reply.header("ratelimit-reset", String(result.resetSec));
  if (!result.allowed) {
    services.metrics.inc("rate_limited_total");
    reply.header("retry-after", String(result.resetSec));
    const error = new AppError("RATE_LIMITED", `Too many requests. Try again in ${result.resetSec} s.`, {
      retryAfterSec: result.resetSec,
    });
    return reply.status(429).send(toApiError(error));
  }
}
