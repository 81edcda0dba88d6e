import { type Database, rowsOf } from "@mcpdeck/db";
import { sql } from "drizzle-orm";

export interface RateLimitResult {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window resets. */
  resetSec: number;
}

interface Pending {
  limit: number;
  windowSec: number;
  waiters: { resolve: (r: RateLimitResult) => void; reject: (e: unknown) => void }[];
}

/**
 * Fixed-window counters stored in Postgres, so every API process on the database shares them.
 * Requests for one key that arrive in the same tick are added with one upsert (each still gets its
 * exact position in the window), which keeps the per-request cost low under load.
 */
export function createRateLimiter(db: Database) {
  let pending = new Map<string, Pending>();
  let scheduled = false;

  async function flushKey(key: string, p: Pending): Promise<void> {
    const n = p.waiters.length;
    try {
      const result = await db.execute(sql`
        insert into rate_limits (key, points, expires_at)
        values (${key}, ${n}, now() + make_interval(secs => ${p.windowSec}))
        on conflict (key) do update set
          points = case when rate_limits.expires_at <= now() then excluded.points
                        else rate_limits.points + excluded.points end,
          expires_at = case when rate_limits.expires_at <= now() then excluded.expires_at
                            else rate_limits.expires_at end
        returning points, extract(epoch from (expires_at - now()))::float8 as ttl`);
      const row = rowsOf<{ points: number; ttl: number }>(result)[0]!;
      const resetSec = Math.max(1, Math.ceil(Number(row.ttl)));
      const first = Number(row.points) - n;
      p.waiters.forEach((w, i) => {
        const used = first + i + 1;
        w.resolve({ allowed: used <= p.limit, limit: p.limit, remaining: Math.max(0, p.limit - used), resetSec });
      });
    } catch (error) {
      for (const w of p.waiters) w.reject(error);
    }
  }

  function flush() {
    scheduled = false;
    const batch = pending;
    pending = new Map();
    for (const [key, p] of batch) void flushKey(key, p);
  }

  return {
    consume(key: string, limit: number, windowSec = 60): Promise<RateLimitResult> {
      return new Promise((resolve, reject) => {
        let p = pending.get(key);
        if (!p) {
          p = { limit, windowSec, waiters: [] };
          pending.set(key, p);
        }
        p.waiters.push({ resolve, reject });
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
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
