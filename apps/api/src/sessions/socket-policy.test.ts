import { createTestDb } from "@mcpdeck/db/testing";
import { type DemoMcpHandle, startDemoMcpServer } from "@mcpdeck/demo-mcp";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { generateKeyMaterial } from "../config/keys.js";
import { startTestApp, type TestApp } from "../testing/harness.js";
import { openSessionSocket, type SessionClient } from "../testing/session-client.js";
import { CLOSE, SOCKET_STATUS_EVERY_MS } from "./socket.js";

/**
 * The session socket under the process-wide policies: the per-IP rate limit it shares with REST and
 * tRPC, its own per-connection message limit, the cut of dead connections, and sign-outs reaching
 * sockets held by another API process.
 *
 * One database for the file; each test starts its own API processes on it and begins with no
 * rate-limit counters.
 */
type TestDb = Awaited<ReturnType<typeof createTestDb>>;
let db: TestDb;
let demo: DemoMcpHandle;
beforeAll(async () => {
  db = await createTestDb();
  demo = await startDemoMcpServer({ port: 0 });
});
afterAll(async () => {
  await demo?.close();
  await db?.close();
});
beforeEach(async () => {
  await db.execute("delete from rate_limits");
});

const opened: TestApp[] = [];
const sockets: SessionClient[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) await socket.close();
  for (const app of opened.splice(0)) await app.close();
});

/**
 * An API process on the file's database: on PostgreSQL with a connection pool (and LISTEN
 * connection) of its own, so two of them are truly two clients; on PGlite, which is embedded,
 * through the shared handle.
 */
async function start(env: Record<string, string> = {}, socketStatusEveryMs?: number): Promise<TestApp> {
  const app = await startTestApp({
    statusChecks: false,
    ...(db.url ? { ownDatabase: true, env: { ...env, DATABASE_URL: db.url } } : { dbHandle: db, env }),
    ...(socketStatusEveryMs !== undefined ? { socketStatusEveryMs } : {}),
  });
  opened.push(app);
  return app;
}

/** A signed-in user with the demo server registered. */
const userWithServer = (app: TestApp, email: string) => app.signInWithServer(email, demo.url);

/** A session socket, closed after the test, once its first connection_status arrived. */
async function connect(app: TestApp, serverId: string, opts: Parameters<typeof openSessionSocket>[2]) {
  const socket = await openSessionSocket(app.url, serverId, opts);
  sockets.push(socket);
  await socket.waitFor("connection_status");
  return socket;
}

/** An upgrade the server refused: its status, headers and body. */
async function refusedUpgrade(app: TestApp, serverId: string, token: string) {
  const outcome = await openSessionSocket(app.url, serverId, { token }).then(
    (socket) => {
      sockets.push(socket);
      return undefined;
    },
    (error: { status: number; headers: Record<string, string>; body: string }) => error,
  );
  if (!outcome) throw new Error("the upgrade was accepted");
  return { status: outcome.status, headers: outcome.headers, body: JSON.parse(outcome.body) };
}

/** Points the per-IP `api` counter holds (every request here comes from loopback). */
async function apiPoints(): Promise<number> {
  const rows = (await db.execute("select key, points from rate_limits where key like 'api:%'")) as {
    key: string;
    points: number;
  }[];
  expect(rows.length).toBeLessThanOrEqual(1);
  return rows.length ? Number(rows[0]!.points) : 0;
}

/** The socket is open and still served: a ping is answered with a fresh connection_status. */
async function expectServed(socket: SessionClient) {
  expect(socket.ws.readyState).toBe(socket.ws.OPEN);
  const before = socket.of("connection_status").length;
  socket.send("ping", {});
  await expect.poll(() => socket.of("connection_status").length).toBeGreaterThan(before);
}

/** `promise`, or a failure naming `what` once `ms` passed. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

const ghostApproval = { node_id: "ghost" };
const noGhost = { code: "NOT_FOUND", message: 'There is no node "ghost" in this conversation.' };
const RETRY = /^Too many requests\. Try again in \d+ s\.$/;

describe("the session socket under the per-IP rate limit (MCPDECK_RATE_LIMIT_API)", () => {
  it("counts each socket opened against the limit REST and tRPC use, and refuses an upgrade over it with 429", async () => {
    const app = await start({ MCPDECK_RATE_LIMIT_API: "3" });
    const { token, serverId } = await userWithServer(app, "upgrades@example.com");
    await db.execute("delete from rate_limits");

    const open: SessionClient[] = [];
    for (let i = 1; i <= 3; i++) {
      open.push(await connect(app, serverId, { token }));
      expect(await apiPoints()).toBe(i);
    }
    const refused = await refusedUpgrade(app, serverId, token);
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ code: "RATE_LIMITED", message: expect.stringMatching(RETRY) });
    expect(refused.body.retry_after).toBeGreaterThanOrEqual(1);
    expect(refused.body.retry_after).toBeLessThanOrEqual(60);
    expect(Number(refused.headers["retry-after"])).toBe(refused.body.retry_after);
    expect(refused.headers["ratelimit-limit"]).toBe("3");
    expect(refused.headers["ratelimit-remaining"]).toBe("0");
    // The sockets spent the budget REST draws on too.
    const rest = await app.request("GET", "/api/v1/servers", { token });
    expect(rest.status).toBe(429);
    expect(rest.body.code).toBe("RATE_LIMITED");
    expect(await apiPoints()).toBe(5);
    // The sockets already open are not cut, and their pings cost nothing.
    for (const socket of open) await expectServed(socket);
    expect(await apiPoints()).toBe(5);

    // And the other way round: a budget spent over REST refuses the next socket.
    await db.execute("delete from rate_limits");
    for (let i = 0; i < 3; i++)
      expect((await app.request("GET", "/api/v1/servers", { token })).status).toBe(200);
    expect((await refusedUpgrade(app, serverId, token)).status).toBe(429);
  });

  it("counts every message that reaches a procedure against the same budget, and answers RATE_LIMITED on the open socket once it is spent", async () => {
    const app = await start({ MCPDECK_RATE_LIMIT_API: "6" });
    const { token, serverId } = await userWithServer(app, "budget@example.com");
    await db.execute("delete from rate_limits");

    const socket = await connect(app, serverId, { token }); // 1
    socket.send("chat_message", { text: "/help" }); // 2
    await socket.waitFor("chat_message", (m) => m.payload.sender === "SYSTEM");
    expect(await apiPoints()).toBe(2);
    const remaining = [];
    for (let i = 0; i < 3; i++) {
      const listed = await app.request("GET", "/api/v1/servers", { token }); // 3, 4, 5
      expect(listed.status).toBe(200);
      remaining.push(listed.headers.get("ratelimit-remaining"));
    }
    expect(remaining).toEqual(["3", "2", "1"]);
    socket.send("approve_task", ghostApproval); // 6: the last one, answered
    await expect.poll(() => socket.of("error").length).toBe(1);
    expect(socket.of("error")[0]!.payload).toEqual(noGhost);

    socket.send("chat_message", { text: "over the limit" }); // 7: refused
    await expect.poll(() => socket.of("error").length).toBe(2);
    expect(socket.of("error")[1]!.payload).toEqual({
      code: "RATE_LIMITED",
      message: expect.stringMatching(RETRY),
    });
    // The socket spent the last unit: REST is refused now too.
    const rest = await app.request("GET", "/api/v1/servers", { token }); // 8
    expect(rest.status).toBe(429);
    expect(rest.body.code).toBe("RATE_LIMITED");
    expect(await apiPoints()).toBe(8);

    // The connection stays, pings still answered (and not counted); the refused message was not kept.
    await expectServed(socket);
    expect(await apiPoints()).toBe(8);
    expect(socket.of("chat_message").map((m) => m.payload.text)).not.toContain("over the limit");

    // A new window: the same socket works again, and the conversation holds exactly what was accepted.
    await db.execute("delete from rate_limits");
    socket.send("chat_message", { text: "/help" });
    await expect
      .poll(() => socket.of("chat_message").filter((m) => m.payload.sender === "SYSTEM").length)
      .toBe(2);
    const users = (s: SessionClient) =>
      s.of("chat_message").flatMap((m) => (m.payload.sender === "USER" ? [m.payload.text] : []));
    expect(users(socket)).toEqual(["/help", "/help"]);
    const sessionId = (await app.request("GET", `/api/v1/servers/${serverId}/sessions`, { token })).body
      .sessions[0].id;
    const reloaded = await connect(app, serverId, { token, query: { session_id: sessionId } });
    await expect.poll(() => reloaded.lastEventId()).toBe(socket.lastEventId());
    expect(users(reloaded)).toEqual(["/help", "/help"]);
    expect(reloaded.of("chat_message").filter((m) => m.payload.sender === "SYSTEM")).toHaveLength(2);
  });
});

describe("the session socket's own message limit (MCPDECK_WS_MESSAGES_PER_MIN)", () => {
  it("answers RATE_LIMITED past the limit, keeps the connection up to twice over it, then closes it with 4429", async () => {
    expect(CLOSE.abusive).toBe(4429);
    const app = await start({ MCPDECK_WS_MESSAGES_PER_MIN: "3" });
    const { token, serverId } = await userWithServer(app, "chatty@example.com");
    await db.execute("delete from rate_limits");
    const socket = await connect(app, serverId, { token });

    for (let i = 0; i < 3; i++) socket.send("approve_task", ghostApproval);
    await expect.poll(() => socket.of("error").length).toBe(3);
    expect(socket.of("error").map((e) => e.payload)).toEqual([noGhost, noGhost, noGhost]);

    socket.send("approve_task", ghostApproval);
    await expect.poll(() => socket.of("error").length).toBe(4);
    const limited = socket.of("error")[3]!.payload;
    expect(limited.code).toBe("RATE_LIMITED");
    expect(limited.message).toMatch(
      /^Too many messages on this connection \(at most 3 a minute\)\. Try again in \d+ s\.$/,
    );
    const wait = Number(/in (\d+) s/.exec(limited.message)![1]);
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(60);
    // Pings are not counted: still answered past the limit.
    await expectServed(socket);

    // Up to twice the limit the connection stays, every extra message refused.
    socket.send("chat_message", { text: "/help" });
    socket.send("approve_task", ghostApproval);
    await expect.poll(() => socket.of("error").length).toBe(6);
    expect(
      socket
        .of("error")
        .slice(3)
        .map((e) => e.payload.code),
    ).toEqual(["RATE_LIMITED", "RATE_LIMITED", "RATE_LIMITED"]);
    await expectServed(socket);

    // One more and the client is cut off.
    for (let i = 0; i < 5; i++) socket.send("approve_task", ghostApproval);
    expect(await socket.closed).toEqual({ code: 4429, reason: "too many messages" });
    expect(socket.of("error")).toHaveLength(6);
    expect(socket.of("chat_message")).toHaveLength(0);
    // Refused messages never reached a procedure: only the upgrade and the three answered counted.
    expect(await apiPoints()).toBe(4);

    // The limit is the connection's: another socket of the same sign-in is served.
    const other = await connect(app, serverId, { token });
    other.send("approve_task", ghostApproval);
    await expect.poll(() => other.of("error").length).toBe(1);
    expect(other.of("error")[0]!.payload).toEqual(noGhost);
  });

  it("counts invalid frames too: a client flooding malformed, unknown or binary frames is cut off with 4429", async () => {
    const app = await start({ MCPDECK_WS_MESSAGES_PER_MIN: "3" });
    const { token, serverId } = await userWithServer(app, "garbage@example.com");
    const socket = await connect(app, serverId, { token });
    socket.sendRaw("{not json");
    socket.sendRaw(JSON.stringify({ type: "teleport", payload: {} }));
    socket.sendRaw(Buffer.from([1, 2, 3]));
    await expect.poll(() => socket.of("error").length).toBe(3);
    expect(socket.of("error").map((e) => e.payload.code)).toEqual([
      "VALIDATION_FAILED",
      "VALIDATION_FAILED",
      "VALIDATION_FAILED",
    ]);
    // Past the limit an invalid frame is refused as one too many, before it is even read.
    socket.sendRaw("{still not json");
    await expect.poll(() => socket.of("error").length).toBe(4);
    expect(socket.of("error")[3]!.payload.code).toBe("RATE_LIMITED");
    await expectServed(socket);
    for (let i = 0; i < 5; i++) socket.sendRaw("{flood");
    expect(await socket.closed).toEqual({ code: 4429, reason: "too many messages" });
  });
});

describe("dead session sockets", () => {
  it("are terminated when they stop answering pings, while a live client stays", async () => {
    expect(SOCKET_STATUS_EVERY_MS).toBe(15_000);
    const every = 200;
    const app = await start({}, every);
    const { token, serverId } = await userWithServer(app, "silent@example.com");
    const live = await connect(app, serverId, { token });
    const dead = await connect(app, serverId, { token, autoPong: false });
    const sessionSockets = () => app.services.metrics.probes.sessionSockets!();
    expect(sessionSockets()).toBe(2);

    // Pinged at the next tick, cut at the one after: no close frame, the connection is dropped.
    const closed = await within(every * 15, "the dead socket's termination", dead.closed);
    expect(closed.code).toBe(1006);
    await expect.poll(() => sessionSockets()).toBe(1);

    // The live client answers every ping and stays, getting connection_status every interval.
    const before = live.of("connection_status").length;
    await new Promise((r) => setTimeout(r, every * 5));
    expect(live.ws.readyState).toBe(live.ws.OPEN);
    expect(live.of("connection_status").length).toBeGreaterThanOrEqual(before + 2);
    expect(sessionSockets()).toBe(1);
    await expectServed(live);
  });
});

describe("a sign-out reaching session sockets", () => {
  it("closes a socket held by another API process (4401) as soon as the sign-in ends there, with a SESSION_REVOKED error", async () => {
    // Two processes of one deployment: one database, the same keys.
    const keys = generateKeyMaterial();
    const env = {
      MCPDECK_JWT_PRIVATE_KEY: keys.jwt_private_key,
      MCPDECK_ENCRYPTION_KEYS: keys.encryption_keys,
      MCPDECK_HMAC_SECRET: keys.hmac_secret,
    };
    const a = await start(env);
    // B re-checks sign-ins only every 10 minutes: only the notification can close its socket in time.
    const b = await start(env, 10 * 60_000);
    const { token, refresh, serverId } = await userWithServer(a, "two-processes@example.com");
    const leaving = await connect(b, serverId, { token });
    // Another sign-in's socket on B is not closed.
    const staying = await userWithServer(a, "stays@example.com");
    const kept = await connect(b, staying.serverId, { token: staying.token });

    const logout = await a.request("POST", "/api/v1/auth/logout", { body: { refresh_token: refresh } });
    expect(logout.status).toBe(200);
    const closed = await within(5_000, "the signed-out socket's close", leaving.closed);
    expect(closed).toEqual({ code: 4401, reason: "sign in again" });
    expect(leaving.of("error").map((e) => e.payload)).toEqual([
      { code: "SESSION_REVOKED", message: "This sign-in has ended. Sign in again." },
    ]);
    const refused = await b.request("GET", "/api/v1/servers", { token });
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe("SESSION_REVOKED");

    await expectServed(kept);
    expect(kept.of("error")).toHaveLength(0);
    expect((await b.request("GET", "/api/v1/servers", { token: staying.token })).status).toBe(200);
  });

  it("closes a socket whose sign-in ended unannounced at the next periodic re-check", async () => {
    const every = 200;
    const app = await start({}, every);
    const { token, serverId } = await userWithServer(app, "unannounced@example.com");
    const socket = await connect(app, serverId, { token });
    const { sessionId } = await app.services.auth.authenticate(token);
    // Revoked behind the API's back: no notification, as if it had been missed.
    await db.execute(
      `update auth_sessions set revoked_at = now(), revoked_reason = 'test' where id = '${sessionId}'`,
    );
    const closed = await within(every * 15, "the revoked socket's close", socket.closed);
    expect(closed).toEqual({ code: 4401, reason: "sign in again" });
    expect(socket.of("error").map((e) => e.payload)).toEqual([
      { code: "SESSION_REVOKED", message: "This sign-in has ended. Sign in again." },
    ]);
  });
});
