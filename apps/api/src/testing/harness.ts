import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DbHandle } from "@mcpdeck/db";
import { createTestDb } from "@mcpdeck/db/testing";
import { type AppOptions, type RunningApp, startApp } from "../app.js";
import type { Clock } from "../clock.js";
import { loadConfig } from "../config/config.js";

export interface TestResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface TestApp extends RunningApp {
  db: DbHandle;
  request<T = any>(
    method: string,
    path: string,
    opts?: { body?: unknown; token?: string; headers?: Record<string, string> },
  ): Promise<TestResponse<T>>;
  /** Full email-OTP sign-in through the real endpoints, reading the code from the development outbox. */
  signIn(
    email: string,
  ): Promise<{ access_token: string; refresh_token: string; user: any; is_new_user: boolean }>;
  latestCode(email: string): Promise<string>;
  /** Signs in (as `signIn`) and registers an MCP server without auth at `url` for that user. */
  signInWithServer(
    email: string,
    url: string,
    name?: string,
  ): Promise<{ token: string; refresh: string; userId: string; serverId: string }>;
}

/** A controllable clock for expiry tests. */
export function manualClock(start = new Date()): Clock & { advance(ms: number): void; set(d: Date): void } {
  let now = start.getTime();
  return {
    now: () => new Date(now),
    advance: (ms) => {
      now += ms;
    },
    set: (d) => {
      now = d.getTime();
    },
  };
}

/**
 * Starts the real API on an ephemeral loopback port over a fresh migrated database (PGlite, or a
 * database of its own on PostgreSQL when TEST_DATABASE_URL is set).
 */
export async function startTestApp(
  opts: {
    /** Run the background status checker (default true). */
    statusChecks?: boolean;
    env?: Record<string, string>;
    clock?: Clock;
    dbHandle?: DbHandle;
    mailer?: AppOptions["mailer"];
    logger?: AppOptions["logger"];
    /** Use this data dir (keys.json, PGlite) and keep it on close, e.g. to restart on it. */
    dataDir?: string;
    /** Let the app open its database from the config (DATABASE_URL, else <dataDir>/pgdata) as in production. */
    ownDatabase?: boolean;
    /** The session socket's status, liveness ping and sign-in re-check interval (default 15 s). */
    socketStatusEveryMs?: number;
  } = {},
): Promise<TestApp> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), "mcpdeck-test-"));
  const config = loadConfig({
    NODE_ENV: "test",
    PORT: "0",
    HOST: "127.0.0.1",
    MCPDECK_DATA_DIR: dataDir,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    MCPDECK_DEMO_MCP_URL: "none",
    PUBLIC_URL: "http://127.0.0.1:3000",
    ...opts.env,
  });
  const ownsDb = !opts.dbHandle && !opts.ownDatabase;
  const testDb = opts.dbHandle ?? (opts.ownDatabase ? undefined : await createTestDb());
  const app = await startApp({
    config,
    ...(testDb ? { dbHandle: testDb } : {}),
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.mailer ? { mailer: opts.mailer } : {}),
    ...(opts.logger ? { logger: opts.logger } : {}),
    ...(opts.statusChecks !== undefined ? { statusChecks: opts.statusChecks } : {}),
    ...(opts.socketStatusEveryMs !== undefined ? { socketStatusEveryMs: opts.socketStatusEveryMs } : {}),
  });
  const db = testDb ?? app.services.dbHandle;

  async function request<T>(
    method: string,
    path: string,
    o: { body?: unknown; token?: string; headers?: Record<string, string> } = {},
  ) {
    const headers: Record<string, string> = { ...o.headers };
    if (o.body !== undefined) headers["content-type"] ??= "application/json";
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    const res = await fetch(`${app.url}${path}`, {
      method,
      headers,
      ...(o.body !== undefined ? { body: typeof o.body === "string" ? o.body : JSON.stringify(o.body) } : {}),
      redirect: "manual",
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {}
    return { status: res.status, headers: res.headers, body: body as T };
  }

  async function latestCode(email: string): Promise<string> {
    for (let i = 0; i < 50; i++) {
      const res = await request<{ messages: { code?: string }[] }>(
        "GET",
        `/api/v1/dev/outbox?email=${encodeURIComponent(email)}`,
      );
      const code = res.body?.messages?.[0]?.code;
      if (code) return code;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no code in the outbox for ${email}`);
  }

  async function signIn(email: string) {
    const req = await request("POST", "/api/v1/auth/otp/request", { body: { email } });
    if (req.status !== 200) throw new Error(`otp request failed: ${req.status} ${JSON.stringify(req.body)}`);
    const code = await latestCode(email.toLowerCase());
    const res = await request<any>("POST", "/api/v1/auth/otp/verify", { body: { email, code } });
    if (res.status !== 200) throw new Error(`otp verify failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async function signInWithServer(email: string, url: string, name = "demo") {
    const signedIn = await signIn(email);
    const created = await request<{ id: string }>("POST", "/api/v1/servers", {
      token: signedIn.access_token,
      body: { name, url, auth_method: "none" },
    });
    if (created.status !== 201)
      throw new Error(`registering ${url} failed: ${created.status} ${JSON.stringify(created.body)}`);
    return {
      token: signedIn.access_token as string,
      refresh: signedIn.refresh_token as string,
      userId: signedIn.user.id as string,
      serverId: created.body.id,
    };
  }

  return {
    ...app,
    db,
    request,
    signIn,
    latestCode,
    signInWithServer,
    async close() {
      await app.close();
      if (ownsDb) await db.close();
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
