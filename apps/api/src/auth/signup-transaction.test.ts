import { authSessions, mcpServers, refreshTokens, users } from "@mcpdeck/db";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectApiError } from "../testing/api-error.js";
import { startTestApp, type TestApp } from "../testing/harness.js";

const VERIFY = "/api/v1/auth/otp/verify";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({
    statusChecks: false,
    env: {
      MCPDECK_RATE_LIMIT_AUTH: "1000000",
      MCPDECK_RATE_LIMIT_API: "1000000",
      // Registered, never dialled: status checks are off and nothing here lists tools.
      MCPDECK_DEMO_MCP_URL: "http://127.0.0.1:9/mcp",
    },
  });
});
afterAll(() => app?.close());

async function requestCode(email: string) {
  expect((await app.request("POST", "/api/v1/auth/otp/request", { body: { email } })).status).toBe(200);
  return app.latestCode(email);
}

async function rowCounts() {
  const db = app.db.db;
  return {
    users: (await db.select().from(users)).length,
    sessions: (await db.select().from(authSessions)).length,
    refreshTokens: (await db.select().from(refreshTokens)).length,
    servers: (await db.select().from(mcpServers)).length,
  };
}

describe("signing up is one transaction", () => {
  it("leaves no user, server or sign-in and the code still usable when a new-user step fails", async () => {
    const email = "half-made@example.com";
    const code = await requestCode(email);
    const before = await rowCounts();
    // After the demo server is registered (the first hook), a later step fails.
    let failures = 0;
    const failing = async () => {
      failures++;
      throw new Error("the welcome step broke");
    };
    app.services.onUserCreated.push(failing);
    try {
      const failed = expectApiError(
        await app.request("POST", VERIFY, { body: { email, code } }),
        500,
        "INTERNAL",
      );
      expect(failed.message).not.toContain("welcome step");
    } finally {
      app.services.onUserCreated.splice(app.services.onUserCreated.indexOf(failing), 1);
    }
    expect(failures).toBe(1);
    expect(await rowCounts()).toEqual(before);

    // The same code signs the user up once the step works again, with everything in place.
    const res = await app.request("POST", VERIFY, { body: { email, code } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ is_new_user: true, user: { email } });
    const userId = res.body.user.id as string;
    const servers = await app.db.db.select().from(mcpServers).where(eq(mcpServers.userId, userId));
    expect(servers.map((s) => s.name)).toEqual(["demo"]);
    const sessions = await app.db.db.select().from(authSessions).where(eq(authSessions.userId, userId));
    expect(sessions).toHaveLength(1);
    const tokens = await app.db.db
      .select()
      .from(refreshTokens)
      .where(eq(refreshTokens.sessionId, sessions[0]!.id));
    expect(tokens).toHaveLength(1);
    expectApiError(await app.request("POST", VERIFY, { body: { email, code } }), 410, "OTP_USED");
  });

  it("leaves the code unused when opening the sign-in fails, for an existing user too", async () => {
    const email = "returning@example.com";
    const first = await app.signIn(email);
    const userId = first.user.id as string;
    const sessionsBefore = await app.db.db.select().from(authSessions).where(eq(authSessions.userId, userId));

    // Make opening a sign-in fail inside the transaction: a constraint the session insert trips.
    await app.db.execute(
      "alter table auth_sessions add constraint test_no_new_sessions check (created_at < '2000-01-01') not valid",
    );
    let code: string;
    try {
      // The cooldown of the first request has to pass: reset it instead of waiting.
      await app.db.execute(`update otp_codes set requested_at = now() - interval '1 minute'`);
      code = await requestCode(email);
      expectApiError(await app.request("POST", VERIFY, { body: { email, code } }), 500, "INTERNAL");
    } finally {
      await app.db.execute("alter table auth_sessions drop constraint test_no_new_sessions");
    }
    const sessionsAfter = await app.db.db.select().from(authSessions).where(eq(authSessions.userId, userId));
    expect(sessionsAfter).toEqual(sessionsBefore);

    const res = await app.request("POST", VERIFY, { body: { email, code } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ is_new_user: false, user: { id: userId } });
  });
});
