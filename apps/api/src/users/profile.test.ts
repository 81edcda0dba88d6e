import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectApiError } from "../testing/api-error.js";
import { manualClock, startTestApp, type TestApp } from "../testing/harness.js";

const PROFILE = "/api/v1/user/profile";
const clock = manualClock(new Date("2026-06-01T10:00:00.000Z"));
let app: TestApp;
let n = 0;
const signInFresh = (label: string) => app.signIn(`${label}-${++n}@example.com`);

beforeAll(async () => {
  app = await startTestApp({
    clock,
    env: { MCPDECK_RATE_LIMIT_AUTH: "1000000", MCPDECK_RATE_LIMIT_API: "1000000" },
  });
});
afterAll(() => app?.close());

const update = (token: string, body: unknown) => app.request("PUT", PROFILE, { token, body });

describe("GET /user/profile", () => {
  it("answers the signed-in user in the User shape", async () => {
    const session = await signInFresh("reader");
    const res = await app.request("GET", PROFILE, { token: session.access_token });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(["created_at", "email", "id", "updated_at", "username"]);
    expect(res.body.email).toBe(`reader-${n}@example.com`);
    expect(res.body.created_at).toBe(clock.now().toISOString());
  });

  it("needs a token", async () => {
    expectApiError(await app.request("GET", PROFILE), 401, "UNAUTHENTICATED");
  });
});

describe("PUT /user/profile", () => {
  it("changes the username and stamps updated_at", async () => {
    const session = await signInFresh("renamer");
    clock.advance(60_000);
    const res = await update(session.access_token, { username: "terminal_user-01" });
    expect(res.status).toBe(200);
    expect(res.body.username).toBe("terminal_user-01");
    expect(res.body.updated_at).toBe(clock.now().toISOString());
    expect(res.body.created_at).toBe(session.user.created_at);
    const read = await app.request("GET", PROFILE, { token: session.access_token });
    expect(read.body).toEqual(res.body);
  });

  it("refuses usernames outside 3–32 of a–z, 0–9, _ and -, naming the field", async () => {
    const session = await signInFresh("rules");
    for (const username of [
      "ab",
      "x".repeat(33),
      "with space",
      "émile",
      "dot.ted",
      "",
      "semi;colon",
      42,
      null,
    ]) {
      const body = expectApiError(await update(session.access_token, { username }), 400, "VALIDATION_FAILED");
      expect(
        body.issues?.map((i) => i.path),
        String(username),
      ).toEqual(["username"]);
    }
    expect((await update(session.access_token, { username: "abc" })).status).toBe(200);
    expect((await update(session.access_token, { username: "z".repeat(32) })).status).toBe(200);
  });

  it("refuses fields that cannot be changed here, naming them", async () => {
    const session = await signInFresh("strict");
    const body = expectApiError(
      await update(session.access_token, { email: "other@example.com" }),
      400,
      "VALIDATION_FAILED",
    );
    expect(body.issues?.map((i) => i.path)).toEqual(["email"]);
  });

  it("answers 409 USERNAME_TAKEN when another user has the name, ignoring case", async () => {
    const alice = await signInFresh("alice");
    const bob = await signInFresh("bob");
    expect((await update(alice.access_token, { username: "alice" })).status).toBe(200);
    for (const username of ["alice", "ALICE", " Alice "]) {
      const body = expectApiError(await update(bob.access_token, { username }), 409, "USERNAME_TAKEN");
      expect(body.message).toContain("alice");
      expect(body.issues).toEqual([{ path: "username", message: expect.any(String) }]);
    }
    const bobNow = await app.request("GET", PROFILE, { token: bob.access_token });
    expect(bobNow.body.username).toBe(bob.user.username);
  });

  it("stores capitals lower-case", async () => {
    const session = await signInFresh("caps");
    const res = await update(session.access_token, { username: "Caps_Lock" });
    expect(res.status).toBe(200);
    expect(res.body.username).toBe("caps_lock");
  });

  it("treats the unchanged username, in any case, and an empty update as no-ops", async () => {
    const session = await signInFresh("same");
    const named = await update(session.access_token, { username: "steady" });
    clock.advance(60_000);
    for (const body of [{ username: "steady" }, { username: "STEADY" }, {}]) {
      const res = await update(session.access_token, body);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(named.body);
    }
  });

  it("lets a name freed by one user be taken by another", async () => {
    const first = await signInFresh("first");
    const second = await signInFresh("second");
    expect((await update(first.access_token, { username: "handover" })).status).toBe(200);
    expect((await update(first.access_token, { username: "handover-2" })).status).toBe(200);
    expect((await update(second.access_token, { username: "handover" })).status).toBe(200);
  });

  it("needs a token and a JSON body", async () => {
    expectApiError(
      await app.request("PUT", PROFILE, { body: { username: "nobody" } }),
      401,
      "UNAUTHENTICATED",
    );
    const session = await signInFresh("json");
    expectApiError(
      await app.request("PUT", PROFILE, { token: session.access_token, body: "{oops" }),
      400,
      "VALIDATION_FAILED",
    );
  });
});
