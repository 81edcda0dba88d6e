import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectApiError } from "../testing/api-error.js";
import { manualClock, startTestApp, type TestApp } from "../testing/harness.js";
import { REFRESH_COOKIE, REFRESH_COOKIE_PATH } from "./refresh-cookie.js";
import { REFRESH_TTL_SEC } from "./tokens.js";

const REFRESH = "/api/v1/auth/refresh";
const LOGOUT = "/api/v1/auth/logout";
const PROFILE = "/api/v1/user/profile";

const clock = manualClock(new Date("2026-05-01T08:00:00.000Z"));
let app: TestApp;
let n = 0;
const freshEmail = (label: string) => `${label}-${++n}@example.com`;
const limits = { MCPDECK_RATE_LIMIT_AUTH: "1000000", MCPDECK_RATE_LIMIT_API: "1000000" };

beforeAll(async () => {
  app = await startTestApp({ clock, env: limits });
});
afterAll(() => app?.close());

/** The Set-Cookie of a response as its value and attributes (names lower-cased). */
function setCookie(headers: Headers) {
  const raw = headers.get("set-cookie");
  if (!raw) return undefined;
  const [pair, ...attrs] = raw.split(";").map((part) => part.trim());
  const [name, value] = [pair!.slice(0, pair!.indexOf("=")), pair!.slice(pair!.indexOf("=") + 1)];
  const attributes = new Map(
    attrs.map((a) => {
      const [k, v] = a.split("=");
      return [k!.toLowerCase(), v ?? true] as const;
    }),
  );
  return { name, value, attributes };
}

const withCookie = (token: string) => ({ cookie: `other=1; ${REFRESH_COOKIE}=${token}` });

/** Signs in through the real endpoints and returns the answer and the cookie it set. */
async function signInWithCookie(email: string) {
  await app.request("POST", "/api/v1/auth/otp/request", { body: { email } });
  const code = await app.latestCode(email);
  const res = await app.request("POST", "/api/v1/auth/otp/verify", { body: { email, code } });
  expect(res.status).toBe(200);
  return { body: res.body, cookie: setCookie(res.headers)! };
}

describe("the refresh cookie", () => {
  it("is set by the sign-in: the refresh token, httpOnly, SameSite=Strict, the sign-in routes only, 7 days", async () => {
    const { body, cookie } = await signInWithCookie(freshEmail("cookie"));
    expect(cookie.name).toBe(REFRESH_COOKIE);
    expect(cookie.value).toBe(body.refresh_token);
    expect(cookie.attributes.get("httponly")).toBe(true);
    expect(cookie.attributes.get("samesite")).toBe("Strict");
    expect(cookie.attributes.get("path")).toBe(REFRESH_COOKIE_PATH);
    expect(cookie.attributes.get("max-age")).toBe(String(REFRESH_TTL_SEC));
    // PUBLIC_URL is http here: a Secure cookie would never come back.
    expect(cookie.attributes.has("secure")).toBe(false);
  });

  it("alone refreshes (no body token) and is rotated with the pair; the JSON answer stays the spec's", async () => {
    const { cookie } = await signInWithCookie(freshEmail("cookie-refresh"));
    const res = await app.request("POST", REFRESH, { headers: withCookie(cookie.value) });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(["access_token", "refresh_token"]);
    const rotated = setCookie(res.headers)!;
    expect(rotated.value).toBe(res.body.refresh_token);
    expect(rotated.value).not.toBe(cookie.value);
    expect((await app.request("GET", PROFILE, { token: res.body.access_token })).status).toBe(200);

    // The tRPC procedure reads it too.
    const trpc = await app.request("POST", "/trpc/auth.refresh", {
      body: {},
      headers: withCookie(rotated.value),
    });
    expect(trpc.status).toBe(200);
    expect(setCookie(trpc.headers)!.value).toBe(trpc.body.result.data.refresh_token);
  });

  it("gives way to a token in the body, which the spec's clients send", async () => {
    const mine = await signInWithCookie(freshEmail("cookie-body"));
    const other = await signInWithCookie(freshEmail("cookie-body-other"));
    const res = await app.request("POST", REFRESH, {
      body: { refresh_token: other.body.refresh_token },
      headers: withCookie(mine.cookie.value),
    });
    expect(res.status).toBe(200);
    const profile = await app.request("GET", PROFILE, { token: res.body.access_token });
    expect(profile.body.email).toBe(other.body.user.email);
  });

  it("is cleared when it no longer works, and left alone when a body token fails", async () => {
    const { cookie } = await signInWithCookie(freshEmail("cookie-dead"));
    const bad = await app.request("POST", REFRESH, { headers: withCookie("not-a-token") });
    expectApiError(bad, 401, "TOKEN_INVALID");
    const cleared = setCookie(bad.headers)!;
    expect(cleared.value).toBe("");
    expect(cleared.attributes.get("max-age")).toBe("0");
    expect(cleared.attributes.get("path")).toBe(REFRESH_COOKIE_PATH);

    const badBody = await app.request("POST", REFRESH, {
      body: { refresh_token: "not-a-token" },
      headers: withCookie(cookie.value),
    });
    expectApiError(badBody, 401, "TOKEN_INVALID");
    expect(badBody.headers.get("set-cookie")).toBeNull();
  });

  it("signs out alone (no body token) and is cleared; the sign-in is over", async () => {
    const { body, cookie } = await signInWithCookie(freshEmail("cookie-logout"));
    const res = await app.request("POST", LOGOUT, { headers: withCookie(cookie.value) });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: "ok" });
    const cleared = setCookie(res.headers)!;
    expect(cleared.value).toBe("");
    expect(cleared.attributes.get("max-age")).toBe("0");
    expectApiError(await app.request("GET", PROFILE, { token: body.access_token }), 401, "SESSION_REVOKED");
    const after = await app.request("POST", REFRESH, { headers: withCookie(cookie.value) });
    expect(after.status).toBe(401);
  });

  it("is missing and so is the body's token: 400 naming refresh_token", async () => {
    for (const path of [REFRESH, LOGOUT]) {
      const body = expectApiError(await app.request("POST", path, { body: {} }), 400, "VALIDATION_FAILED");
      expect(body.issues?.map((i) => i.path)).toEqual(["refresh_token"]);
    }
  });
});

describe("the refresh cookie behind https", () => {
  let secure: TestApp;
  beforeAll(async () => {
    secure = await startTestApp({ env: { ...limits, PUBLIC_URL: "https://mcpdeck.example" } });
  });
  afterAll(() => secure?.close());

  it("is Secure", async () => {
    const email = freshEmail("cookie-secure");
    await secure.request("POST", "/api/v1/auth/otp/request", { body: { email } });
    const code = await secure.latestCode(email);
    const res = await secure.request("POST", "/api/v1/auth/otp/verify", { body: { email, code } });
    expect(res.status).toBe(200);
    expect(setCookie(res.headers)!.attributes.get("secure")).toBe(true);
  });
});
