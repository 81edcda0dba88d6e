import { createTestDb } from "@mcpdeck/db/testing";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { createMetrics } from "../metrics.js";
import { enforceRateLimit } from "../policy/rate-limit.js";
import { expectApiError } from "../testing/api-error.js";
import { startTestApp, type TestApp, type TestResponse } from "../testing/harness.js";
import { apiErrorOf, trpcWsClient } from "../testing/trpc-clients.js";
import { createRateLimiter, createRateLimits } from "./rate-limit.js";

type TestDb = Awaited<ReturnType<typeof createTestDb>>;

/**
 * One database for the file (creating one is the slow part); each test starts its own API
 * processes on it and begins with no counters.
 */
let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(() => db?.close());
beforeEach(async () => {
  await db.execute("delete from rate_limits");
});

/** Apps started by a test, closed after it whatever happens. */
const opened: TestApp[] = [];
afterEach(async () => {
  for (const app of opened.splice(0)) await app.close();
});

/**
 * An API process on the file's database: on PostgreSQL with a connection pool of its own (so two
 * of them are truly two clients); on PGlite, which is embedded, through the shared handle.
 */
async function start(env: Record<string, string> = {}): Promise<TestApp> {
  const app = await startTestApp(
    db.url ? { ownDatabase: true, env: { ...env, DATABASE_URL: db.url } } : { dbHandle: db, env },
  );
  opened.push(app);
  return app;
}

/** A cheap request of the `api` bucket: refused for want of a token, after the limiter counted it. */
const apiRequest = (app: TestApp) => app.request("GET", "/api/v1/user/profile");
const isLimited = (res: TestResponse) => res.status === 429;

/** What the shared counters hold, per bucket (every request in these tests comes from loopback). */
async function counters(): Promise<Record<string, number>> {
  const rows = (await db.execute("select key, points from rate_limits")) as { key: string; points: number }[];
  return Object.fromEntries(rows.map((r) => [r.key.split(":")[0]!, Number(r.points)]));
}

/** The buckets `send` was counted against, and how often: the counters' difference around it. */
async function countedBy(send: () => Promise<unknown>): Promise<Record<string, number>> {
  const before = await counters();
  await send();
  const after = await counters();
  const counted: Record<string, number> = {};
  for (const [bucket, points] of Object.entries(after)) {
    if (points !== (before[bucket] ?? 0)) counted[bucket] = points - (before[bucket] ?? 0);
  }
  return counted;
}

/** An upgrade attempt; resolves with the answer's status (101 when it opened). */
function upgrade(app: TestApp, path: string) {
  return new Promise<number>((resolve) => {
    const ws = new WebSocket(`${app.url.replace("http", "ws")}${path}`);
    ws.once("open", () => {
      ws.close();
      resolve(101);
    });
    ws.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
    ws.once("error", () => resolve(0));
  });
}

describe("which limit a request counts against", () => {
  it("puts sign-in endpoints (REST and tRPC) under auth, the rest under api, and exempts health and assets", async () => {
    const app = await start();
    const auth = { auth: 1 };
    const api = { api: 1 };
    const refresh = { body: { refresh_token: "x" } };
    expect(
      await countedBy(() =>
        app.request("POST", "/api/v1/auth/otp/request", { body: { email: "b@example.com" } }),
      ),
    ).toEqual(auth);
    expect(await countedBy(() => app.request("POST", "/api/v1/auth/refresh", refresh))).toEqual(auth);
    expect(
      await countedBy(() =>
        app.request("POST", "/trpc/auth.otpVerify", { body: { email: "b@example.com", code: "000000" } }),
      ),
    ).toEqual(auth);
    // A batch counts each of its calls once, against the call's own limit.
    expect(
      await countedBy(() =>
        app.request("POST", "/trpc/user.updateProfile,auth.refresh?batch=1", {
          body: { 0: {}, 1: { refresh_token: "x" } },
        }),
      ),
    ).toEqual({ api: 1, auth: 1 });
    expect(await countedBy(() => app.request("GET", "/api/v1/user/profile"))).toEqual(api);
    expect(await countedBy(() => app.request("GET", "/trpc/user.profile"))).toEqual(api);
    expect(await countedBy(() => upgrade(app, "/api/v1/ws/server/abc"))).toEqual(api);
    expect(await countedBy(() => app.request("GET", "/api/v1/openapi.json"))).toEqual(api);
    expect(await countedBy(() => app.request("GET", "/api/v1/no-such-route"))).toEqual(api);
    for (const path of ["/healthz", "/api/v1/healthz", "/trpc/health.healthz", "/assets/index.js"])
      expect(await countedBy(() => app.request("GET", path)), path).toEqual({});
  });
});

describe("per-IP rate limits", () => {
  it("allows 60 sign-in requests a minute (the default) and answers the 61st with 429 and Retry-After", async () => {
    const app = await start();
    const burst = await Promise.all(
      Array.from({ length: 60 }, () =>
        app.request("POST", "/api/v1/auth/refresh", { body: { refresh_token: "x" } }),
      ),
    );
    expect(burst.every((r) => r.status === 401)).toBe(true);
    expect(burst.every((r) => r.headers.get("ratelimit-limit") === "60")).toBe(true);
    // Each request got its own place in the window, even when they arrived together.
    const remaining = burst.map((r) => Number(r.headers.get("ratelimit-remaining"))).sort((a, b) => a - b);
    expect(remaining).toEqual(Array.from({ length: 60 }, (_, i) => i));

    const over = await app.request("POST", "/api/v1/auth/otp/request", {
      body: { email: "late@example.com" },
    });
    const body = expectApiError(over, 429, "RATE_LIMITED");
    const retryAfter = Number(over.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(body.retry_after).toBe(retryAfter);
    expect(over.headers.get("ratelimit-limit")).toBe("60");
    expect(over.headers.get("ratelimit-remaining")).toBe("0");
    expect(Number(over.headers.get("ratelimit-reset"))).toBe(retryAfter);

    // The other endpoints have their own, larger budget (120 by default).
    const other = await apiRequest(app);
    expect(other.status).toBe(401);
    expect(other.headers.get("ratelimit-limit")).toBe("120");
  });

  it("limits everything else per IP too (MCPDECK_RATE_LIMIT_API)", async () => {
    const app = await start({ MCPDECK_RATE_LIMIT_API: "10" });
    const answers = [];
    for (let i = 0; i < 11; i++) answers.push(await apiRequest(app));
    expect(answers.slice(0, 10).map((r) => r.status)).toEqual(Array(10).fill(401));
    expect(answers.slice(0, 10).map((r) => r.headers.get("ratelimit-remaining"))).toEqual([
      "9",
      "8",
      "7",
      "6",
      "5",
      "4",
      "3",
      "2",
      "1",
      "0",
    ]);
    const over = expectApiError(answers[10]!, 429, "RATE_LIMITED");
    expect(Number(answers[10]!.headers.get("retry-after"))).toBe(over.retry_after);
    // A tRPC call counts against the same budget.
    expect((await app.request("GET", "/trpc/user.profile")).status).toBe(429);
  });

  it("counts sign-in endpoints against the sign-in limit however the path is spelled", async () => {
    const app = await start({ MCPDECK_RATE_LIMIT_AUTH: "3" });
    const spellings = [
      "/api/v1/auth/refresh",
      "/api/v1/%61uth/refresh",
      "/api/v1/auth/refresh/",
      "/trpc/%61uth.refresh",
    ];
    const answers = [];
    for (const path of spellings)
      answers.push(await app.request("POST", path, { body: { refresh_token: "x" } }));
    expect(answers.map((r) => r.headers.get("ratelimit-limit"))).toEqual(["3", "3", "3", "3"]);
    expect(answers.map((r) => r.status)).toEqual([401, 401, 401, 429]);
    // A spelling no router accepts is simply not found.
    expect((await app.request("POST", "/api/v1/AUTH/refresh", { body: { refresh_token: "x" } })).status).toBe(
      404,
    );
  });

  it("never limits /healthz", async () => {
    const app = await start({ MCPDECK_RATE_LIMIT_API: "1" });
    for (let i = 0; i < 15; i++) {
      for (const path of ["/healthz", "/api/v1/healthz"]) {
        const res = await app.request("GET", path);
        expect(res.status, path).toBe(200);
        expect(res.headers.get("ratelimit-limit")).toBeNull();
      }
    }
    expect((await apiRequest(app)).status).toBe(401);
    expect((await apiRequest(app)).status).toBe(429);
  });

  it("is shared by two API processes on one database", async () => {
    const env = { MCPDECK_RATE_LIMIT_API: "10" };
    const [one, two] = [await start(env), await start(env)];
    const answers = [];
    for (let i = 0; i < 14; i++) answers.push(await apiRequest(i % 2 === 0 ? one : two));
    expect(answers.filter((r) => !isLimited(r))).toHaveLength(10);
    expect(answers.slice(10).every(isLimited)).toBe(true);
    // Both processes refuse now, each having served only five.
    expect(isLimited(await apiRequest(one))).toBe(true);
    expect(isLimited(await apiRequest(two))).toBe(true);
  });

  it("is shared by two API processes under concurrent load", async () => {
    const env = { MCPDECK_RATE_LIMIT_API: "25" };
    const [one, two] = [await start(env), await start(env)];
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, i) => apiRequest(i % 2 === 0 ? one : two)),
    );
    expect(answers.filter((r) => !isLimited(r))).toHaveLength(25);
  });

  it("survives a restart of the API on the same database", async () => {
    const env = { MCPDECK_RATE_LIMIT_API: "10" };
    const before = await start(env);
    for (let i = 0; i < 6; i++) expect((await apiRequest(before)).status).toBe(401);
    await before.close();
    opened.splice(opened.indexOf(before), 1);

    const after = await start(env);
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await apiRequest(after));
    expect(answers.map((r) => r.status)).toEqual([401, 401, 401, 401, 429]);
  });

  it("opens a fresh budget when the window ends", async () => {
    const app = await start({ MCPDECK_RATE_LIMIT_API: "2" });
    await apiRequest(app);
    await apiRequest(app);
    expect(isLimited(await apiRequest(app))).toBe(true);
    // Windows are timed by the database clock; end this one there rather than wait a minute.
    await db.execute("update rate_limits set expires_at = now() - interval '1 second'");
    const fresh = await apiRequest(app);
    expect(fresh.status).toBe(401);
    expect(fresh.headers.get("ratelimit-remaining")).toBe("1");
  });
});

describe("the same limit on every transport", () => {
  // Sign-in requests, two a minute. Each uses its own address: the OTP cooldown is per address and
  // answers RATE_LIMITED too, so only a distinct address shows the per-IP limit at work.
  const env = { MCPDECK_RATE_LIMIT_AUTH: "2" };
  const address = (transport: string, i: number) => `${transport}-${i}@example.com`;

  it("limits the REST facade", async () => {
    const app = await start(env);
    const answers = [];
    for (let i = 0; i < 3; i++)
      answers.push(
        await app.request("POST", "/api/v1/auth/otp/request", { body: { email: address("rest", i) } }),
      );
    expect(answers.map((r) => r.status)).toEqual([200, 200, 429]);
    const body = expectApiError(answers[2]!, 429, "RATE_LIMITED");
    expect(answers[2]!.headers.get("ratelimit-limit")).toBe("2");
    expect(Number(answers[2]!.headers.get("retry-after"))).toBe(body.retry_after);
  });

  it("limits tRPC over HTTP, call by call and each call of a batch", async () => {
    const app = await start(env);
    const answers = [];
    for (let i = 0; i < 3; i++)
      answers.push(
        await app.request("POST", "/trpc/auth.otpRequest", { body: { email: address("trpc", i) } }),
      );
    expect(answers.map((r) => r.status)).toEqual([200, 200, 429]);
    const refused = answers[2]!;
    expect(refused.body.error.data.error).toMatchObject({ code: "RATE_LIMITED" });
    expect(refused.body.error.data.error.retry_after).toBe(Number(refused.headers.get("retry-after")));
    expect(refused.body.error.data).not.toHaveProperty("stack");
    expect(refused.headers.get("ratelimit-limit")).toBe("2");
    expect(refused.headers.get("ratelimit-remaining")).toBe("0");

    await db.execute("delete from rate_limits");
    const batch = await app.request("POST", "/trpc/auth.otpRequest,auth.otpRequest,auth.otpRequest?batch=1", {
      body: Object.fromEntries([3, 4, 5].map((i, index) => [index, { email: address("trpc", i) }])),
    });
    const results = batch.body as {
      result?: { data: { status: string } };
      error?: { data: { error: { code: string } } };
    }[];
    expect(results.filter((r) => r.result?.data.status === "sent")).toHaveLength(2);
    expect(results.filter((r) => r.error?.data.error.code === "RATE_LIMITED")).toHaveLength(1);
  });

  it("limits tRPC over WebSocket: every call counts, not only the upgrade", async () => {
    const app = await start(env);
    const socket = trpcWsClient(app);
    const outcomes: string[] = [];
    try {
      for (let i = 0; i < 10; i++) {
        try {
          outcomes.push((await socket.client.auth.otpRequest.mutate({ email: address("ws", i) })).status);
        } catch (cause) {
          const error = apiErrorOf(cause).data?.error;
          expect(error?.retry_after).toBeGreaterThanOrEqual(1);
          outcomes.push(error?.code ?? "no code");
        }
      }
    } finally {
      socket.close();
    }
    expect(outcomes).toEqual(["sent", "sent", ...Array(8).fill("RATE_LIMITED")]);
    expect(await app.services.metrics.total("mcpdeck_rate_limited_total")).toBe(8);
  });
});

describe("when the counters cannot be reached", () => {
  it("lets calls through, counts the failures and warns at most every 10 s", async () => {
    const gone = await createTestDb();
    await gone.close();
    const metrics = createMetrics();
    const warnings: string[] = [];
    const rateLimits = createRateLimits({
      limiter: createRateLimiter(gone.db),
      limits: { authPerMin: 1, apiPerMin: 1 },
      metrics,
      log: { warn: (_details: unknown, message: string) => warnings.push(message) } as never,
    });
    const caller = { services: { rateLimits }, clientIp: "127.0.0.1", response: { headers: {} } };
    for (let i = 0; i < 3; i++) await expect(enforceRateLimit(caller, "api")).resolves.toBeUndefined();
    expect(caller.response.headers).toEqual({});
    expect(await metrics.total("mcpdeck_rate_limit_errors_total")).toBe(3);
    expect(await metrics.total("mcpdeck_rate_limited_total")).toBe(0);
    expect(warnings).toEqual(["rate limiter unavailable: requests pass unlimited"]);
  });
});
