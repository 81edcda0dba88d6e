import { generateKeyPairSync } from "node:crypto";
import { USERNAME_PATTERN } from "@mcpdeck/contracts";
import { decodeJwt, decodeProtectedHeader, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectApiError } from "../testing/api-error.js";
import { manualClock, startTestApp, type TestApp } from "../testing/harness.js";
import { REFRESH_REUSE_LEEWAY_SEC } from "./service.js";
import { ACCESS_TTL_SEC, REFRESH_TTL_SEC } from "./tokens.js";

const PROFILE = "/api/v1/user/profile";
const REFRESH = "/api/v1/auth/refresh";
const LOGOUT = "/api/v1/auth/logout";
const ISSUER = "http://127.0.0.1:3000"; // the harness's PUBLIC_URL

const clock = manualClock(new Date("2026-04-01T12:00:00.000Z"));
let app: TestApp;
let n = 0;
const freshEmail = (label: string) => `${label}-${++n}@example.com`;

beforeAll(async () => {
  app = await startTestApp({
    clock,
    env: { MCPDECK_RATE_LIMIT_AUTH: "1000000", MCPDECK_RATE_LIMIT_API: "1000000" },
  });
});
afterAll(() => app?.close());

const profile = (token: string) => app.request("GET", PROFILE, { token });
const refresh = (refresh_token: string) => app.request("POST", REFRESH, { body: { refresh_token } });
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

describe("access tokens", () => {
  it("are EdDSA JWTs of type at+jwt carrying issuer, audience, expiry, subject and session", async () => {
    const session = await app.signIn(freshEmail("jwt"));
    expect(decodeProtectedHeader(session.access_token)).toEqual({ alg: "EdDSA", typ: "at+jwt" });
    const claims = decodeJwt(session.access_token);
    expect(claims).toMatchObject({ iss: ISSUER, aud: "mcpdeck:api", sub: session.user.id });
    expect(typeof claims.sid).toBe("string");
    expect(typeof claims.jti).toBe("string");
    expect(claims.exp! - claims.iat!).toBe(ACCESS_TTL_SEC);
    expect(claims.iat).toBe(Math.floor(clock.now().getTime() / 1000));

    expect(decodeProtectedHeader(session.refresh_token)).toEqual({ alg: "EdDSA", typ: "rt+jwt" });
    const refreshClaims = decodeJwt(session.refresh_token);
    expect(refreshClaims).toMatchObject({ iss: ISSUER, aud: "mcpdeck:refresh", sid: claims.sid });
    expect(refreshClaims.exp! - refreshClaims.iat!).toBe(REFRESH_TTL_SEC);
  });

  it("are refused without a Bearer header", async () => {
    expectApiError(await app.request("GET", PROFILE), 401, "UNAUTHENTICATED");
    const basic = await app.request("GET", PROFILE, { headers: { authorization: "Basic dXNlcjpwYXNz" } });
    expectApiError(basic, 401, "UNAUTHENTICATED");
    expectApiError(await profile("not-a-jwt"), 401, "TOKEN_INVALID");
  });

  it("are refused when signed with another key, unsigned (alg none), HMAC-signed or tampered with", async () => {
    const session = await app.signIn(freshEmail("forged"));
    const claims = decodeJwt(session.access_token);
    const header = decodeProtectedHeader(session.access_token);

    const { privateKey: otherKey } = generateKeyPairSync("ed25519");
    const otherSigned = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: "EdDSA", typ: "at+jwt" })
      .sign(otherKey);
    expectApiError(await profile(otherSigned), 401, "TOKEN_INVALID");

    const unsigned = `${b64url({ alg: "none", typ: "at+jwt" })}.${b64url(claims)}.`;
    expectApiError(await profile(unsigned), 401, "TOKEN_INVALID");

    const hmac = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: "HS256", typ: "at+jwt" })
      .sign(new TextEncoder().encode("a-guessable-shared-secret-of-32-bytes"));
    expectApiError(await profile(hmac), 401, "TOKEN_INVALID");

    const [, , signature] = session.access_token.split(".");
    const tampered = `${b64url(header)}.${b64url({ ...claims, sub: "someone-else" })}.${signature}`;
    expectApiError(await profile(tampered), 401, "TOKEN_INVALID");

    expect((await profile(session.access_token)).status).toBe(200);
  });

  it("of the wrong type are refused: a refresh token is not an access token, nor the reverse", async () => {
    const session = await app.signIn(freshEmail("typ"));
    expectApiError(await profile(session.refresh_token), 401, "TOKEN_INVALID");
    expectApiError(await refresh(session.access_token), 401, "TOKEN_INVALID");
    expectApiError(
      await app.request("POST", LOGOUT, { body: { refresh_token: session.access_token } }),
      401,
      "TOKEN_INVALID",
    );
  });

  it("expire after 15 minutes with TOKEN_EXPIRED, and a refresh brings a working one", async () => {
    const session = await app.signIn(freshEmail("expiry"));
    clock.advance(ACCESS_TTL_SEC * 1000 - 1000);
    expect((await profile(session.access_token)).status).toBe(200);
    clock.advance(2000);
    const body = expectApiError(await profile(session.access_token), 401, "TOKEN_EXPIRED");
    expect(body.message).toMatch(/refresh/);
    const renewed = await refresh(session.refresh_token);
    expect(renewed.status).toBe(200);
    expect((await profile(renewed.body.access_token)).status).toBe(200);
  });
});

describe("refresh tokens", () => {
  it("rotate: each refresh answers a new pair and the old refresh token is spent", async () => {
    const session = await app.signIn(freshEmail("rotate"));
    const first = await refresh(session.refresh_token);
    expect(first.status).toBe(200);
    expect(Object.keys(first.body).sort()).toEqual(["access_token", "refresh_token"]);
    expect(first.body.refresh_token).not.toBe(session.refresh_token);
    expect(first.body.access_token).not.toBe(session.access_token);
    expect(decodeJwt(first.body.access_token).sid).toBe(decodeJwt(session.access_token).sid);
    expect((await profile(first.body.access_token)).status).toBe(200);

    const second = await refresh(first.body.refresh_token);
    expect(second.status).toBe(200);
    expect(second.body.refresh_token).not.toBe(first.body.refresh_token);
  });

  it("end the whole sign-in when a rotated one comes back (TOKEN_REUSED)", async () => {
    const session = await app.signIn(freshEmail("reuse"));
    const rotated = await refresh(session.refresh_token);
    expect(rotated.status).toBe(200);
    // Past the leeway a second tab's simultaneous refresh gets (below), the copy is a replay.
    clock.advance(REFRESH_REUSE_LEEWAY_SEC * 1000);

    const reused = expectApiError(await refresh(session.refresh_token), 401, "TOKEN_REUSED");
    expect(reused.message).toMatch(/Sign in again/);
    // The newest refresh token and the current access token of that sign-in are dead too.
    expectApiError(await refresh(rotated.body.refresh_token), 401, "SESSION_REVOKED");
    expectApiError(await profile(rotated.body.access_token), 401, "SESSION_REVOKED");
    expectApiError(await profile(session.access_token), 401, "SESSION_REVOKED");
    // And stay dead: the newest one was not quietly marked as used either.
    expectApiError(await refresh(rotated.body.refresh_token), 401, "SESSION_REVOKED");
  });

  it("never fork a sign-in: two simultaneous refreshes (two tabs) both get the one successor pair, which works", async () => {
    const session = await app.signIn(freshEmail("race"));
    const answers = await Promise.all([refresh(session.refresh_token), refresh(session.refresh_token)]);
    for (const res of answers) expect(res.status, JSON.stringify(res.body)).toBe(200);
    const [a, b] = answers.map((r) => r.body);
    expect(b).toEqual(a);
    expect(a.refresh_token).not.toBe(session.refresh_token);
    // Nobody was signed out, and the one successor rotates on as usual.
    expect((await profile(session.access_token)).status).toBe(200);
    expect((await profile(a.access_token)).status).toBe(200);
    const next = await refresh(a.refresh_token);
    expect(next.status).toBe(200);
    expect(next.body.refresh_token).not.toBe(a.refresh_token);
  });

  it("answer a just-rotated token with its successor pair until the leeway ends, then end the sign-in", async () => {
    const session = await app.signIn(freshEmail("leeway"));
    const first = await refresh(session.refresh_token);
    expect(first.status).toBe(200);
    clock.advance(REFRESH_REUSE_LEEWAY_SEC * 1000 - 1000);
    const again = await refresh(session.refresh_token);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect((await profile(first.body.access_token)).status).toBe(200);

    clock.advance(1000);
    expectApiError(await refresh(session.refresh_token), 401, "TOKEN_REUSED");
    expectApiError(await refresh(first.body.refresh_token), 401, "SESSION_REVOKED");
    expectApiError(await profile(first.body.access_token), 401, "SESSION_REVOKED");
  });

  it("give no successor within the leeway once the sign-in has ended", async () => {
    const session = await app.signIn(freshEmail("leeway-logout"));
    const first = await refresh(session.refresh_token);
    expect(first.status).toBe(200);
    const out = await app.request("POST", LOGOUT, { body: { refresh_token: first.body.refresh_token } });
    expect(out.status).toBe(200);
    expectApiError(await refresh(session.refresh_token), 401, "SESSION_REVOKED");
  });

  it("are refused when malformed or unknown", async () => {
    expectApiError(await refresh("garbage"), 401, "TOKEN_INVALID");
    const body = expectApiError(await app.request("POST", REFRESH, { body: {} }), 400, "VALIDATION_FAILED");
    expect(body.issues?.map((i) => i.path)).toEqual(["refresh_token"]);
  });
});

describe("logout", () => {
  it("ends that sign-in only: its tokens stop working, another sign-in of the same user carries on", async () => {
    const email = freshEmail("logout");
    const laptop = await app.signIn(email);
    clock.advance(30_000); // the request cooldown
    const phone = await app.signIn(email);

    const res = await app.request("POST", LOGOUT, { body: { refresh_token: laptop.refresh_token } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: "ok" });

    expectApiError(await profile(laptop.access_token), 401, "SESSION_REVOKED");
    const refused = await refresh(laptop.refresh_token);
    expect(refused.status).toBe(401);
    expect(["SESSION_REVOKED", "TOKEN_REUSED"]).toContain(refused.body.code);

    expect((await profile(phone.access_token)).status).toBe(200);
    const phoneRefresh = await refresh(phone.refresh_token);
    expect(phoneRefresh.status).toBe(200);
    expect((await profile(phoneRefresh.body.access_token)).status).toBe(200);
  });

  it("refuses a token that is not a refresh token of ours", async () => {
    expectApiError(
      await app.request("POST", LOGOUT, { body: { refresh_token: "garbage" } }),
      401,
      "TOKEN_INVALID",
    );
  });
});

describe("accounts", () => {
  it("are created at the first sign-in only (is_new_user true, then false) with a valid generated username", async () => {
    const email = freshEmail("Jane.Doe+mcp");
    const first = await app.signIn(email);
    expect(first.is_new_user).toBe(true);
    expect(first.user.username).toMatch(USERNAME_PATTERN);
    expect(first.user.username).toMatch(/^janedoemcp-\d+-[0-9a-f]{6}$/);

    clock.advance(30_000);
    const second = await app.signIn(email);
    expect(second.is_new_user).toBe(false);
    expect(second.user).toEqual(first.user);
  });

  it("generate a valid username from any local part", async () => {
    for (const local of ["x", "+++", "x.y", "a".repeat(60), "under_score-dash"]) {
      const session = await app.signIn(`${local}@example.org`);
      expect(session.user.username, local).toMatch(USERNAME_PATTERN);
    }
  });
});
