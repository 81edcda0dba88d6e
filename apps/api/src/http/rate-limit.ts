import { type Database, rowsOf } from "@mcpdeck/db";
import { sql } from "drizzle-orm";
import type { Config } from "../config/config.js";
import type { ProcedureServices, RateLimitResult } from "../context.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics.js";

export type { RateLimitResult };

interface Waiter {
  resolve: (r: RateLimitResult) => void;
  reject: (e: unknown) => void;
}

interface KeyState {
  limit: number;
  windowSec: number;
  /** Requests waiting for the next write. */
  waiting: Waiter[];
  /** A write for this key is on its way to the database. */
  writing: boolean;
  /** A write is scheduled for the end of this tick. */
  scheduled: boolean;
}

/**
 * Fixed-window counters stored in Postgres, so every API process on the database shares them.
 *
 * Requests for one key are added to the database in batches, one upsert per batch, each request
 * still getting its exact place in the window: a batch is everything that arrived in the same tick,
 * and while one batch is being written the next one gathers (at most one write per key in flight).
 * Under load a batch is then everything that arrived during one database round trip, which keeps
 * the cost per request low without ever letting a request through on a guess.
 */
export function createRateLimiter(db: Database) {
  const keys = new Map<string, KeyState>();

  async function write(key: string, state: KeyState): Promise<void> {
    const batch = state.waiting;
    state.waiting = [];
    state.writing = true;
    const n = batch.length;
    try {
      const result = await db.execute(sql`
        insert into rate_limits (key, points, expires_at)
        values (${key}, ${n}, now() + make_interval(secs => ${state.windowSec}))
        on conflict (key) do update set
          points = case when rate_limits.expires_at <= now() then excluded.points
                        else rate_limits.points + excluded.points end,
          expires_at = case when rate_limits.expires_at <= now() then excluded.expires_at
                            else rate_limits.expires_at end
        returning points, extract(epoch from (expires_at - now()))::float8 as ttl`);
      const row = rowsOf<{ points: number; ttl: number }>(result)[0]!;
      const resetSec = Math.max(1, Math.ceil(Number(row.ttl)));
      const first = Number(row.points) - n;
      for (let i = 0; i < n; i++) {
        const used = first + i + 1;
        batch[i]!.resolve({
          allowed: used <= state.limit,
          limit: state.limit,
          remaining: Math.max(0, state.limit - used),
          resetSec,
        });
      }
    } catch (error) {
      for (const w of batch) w.reject(error);
    } finally {
      state.writing = false;
      if (state.waiting.length > 0) void write(key, state);
      else if (!state.scheduled) keys.delete(key);
    }
  }

  return {
    consume(key: string, limit: number, windowSec = 60): Promise<RateLimitResult> {
      return new Promise((resolve, reject) => {
        let state = keys.get(key);
        if (!state) {
          state = { limit, windowSec, waiting: [], writing: false, scheduled: false };
          keys.set(key, state);
        }
        state.waiting.push({ resolve, reject });
        if (!state.writing && !state.scheduled) {
          state.scheduled = true;
          const scheduledState = state;
          setImmediate(() => {
            scheduledState.scheduled = false;
            if (!scheduledState.writing && scheduledState.waiting.length > 0) void write(key, scheduledState);
          });
        }
      });
    },
    /** Drops expired windows; called periodically. */
    async sweep(): Promise<void> {
      await db.execute(sql`delete from rate_limits where expires_at < now() - interval '1 minute'`);
    },
  };
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;

/**
 * The configured per-IP limits over the shared counters (`enforceRateLimit` applies them).
 *
 * The counters live in the database. When it does not answer, calls pass rather than everything
 * failing: what needs the database fails on its own, the rest (documents, health) keeps working.
 * Logged at most every 10 s so an outage does not flood the log.
 */
export function createRateLimits(deps: {
  limiter: RateLimiter;
  limits: Config["rateLimits"];
  metrics: Metrics;
  log: Pick<Logger, "warn">;
}): ProcedureServices["rateLimits"] {
  const { limiter, limits, metrics, log } = deps;
  let lastFailureLog = 0;
  return {
    async consume(bucket, clientIp) {
      const limit = bucket === "auth" ? limits.authPerMin : limits.apiPerMin;
      try {
        const result = await limiter.consume(`${bucket}:${clientIp}`, limit, 60);
        if (!result.allowed) metrics.rateLimited(bucket);
        return result;
      } catch (error) {
        metrics.rateLimitError();
        const now = Date.now();
        if (now - lastFailureLog > 10_000) {
          lastFailureLog = now;
          log.warn(
            { err: { message: error instanceof Error ? error.message : String(error) } },
            "rate limiter unavailable: requests pass unlimited",
          );
        }
        return undefined;
      }
    },
  };
}
