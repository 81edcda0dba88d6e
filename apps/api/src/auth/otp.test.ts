import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectApiError } from "../testing/api-error.js";
import { manualClock, startTestApp, type TestApp } from "../testing/harness.js";
import { OTP_COOLDOWN_SEC, OTP_TTL_SEC } from "./service.js";

const REQUEST = "/api/v1/auth/otp/request";
const VERIFY = "/api/v1/auth/otp/verify";

const clock = manualClock(new Date("2026-03-01T09:00:00.000Z"));
let app: TestApp;
let n = 0;
/** A fresh address per test, so one test's cooldown or attempt budget never leaks into another. */
const freshEmail = (label: string) => `${label}-${++n}@example.com`;

/** A 6-digit code that is certainly not `code`. */
const wrongCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, "0");

beforeAll(async () => {
  app = await startTestApp({
    clock,
    // The per-IP limits have their own tests; here every request comes from 127.0.0.1.
    // TRUST_PROXY lets a test play a client on another network through X-Forwarded-For.
    env: { MCPDECK_RATE_LIMIT_AUTH: "1000000", MCPDECK_RATE_LIMIT_API: "1000000", TRUST_PROXY: "127.0.0.1" },
  });
});
afterAll(() => app?.close());

async function requestCode(email: string, headers: Record<string, string> = {}) {
  const res = await app.request("POST", REQUEST, { body: { email }, headers });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return app.latestCode(email.trim().toLowerCase());
}

const verify = (email: string, code: string, headers: Record<string, string> = {}) =>
  app.request("POST", VERIFY, { body: { email, code }, headers });

describe("email OTP sign-in with the development outbox", () => {
  it("emails a 6-digit code that signs a new user in, and the tokens open the profile", async () => {
    const email = freshEmail("flow");
    const requested = await app.request("POST", REQUEST, { body: { email } });
    expect(requested.status).toBe(200);
    expect(requested.body).toEqual({ status: "sent", cooldown_sec: OTP_COOLDOWN_SEC });

    const outbox = await app.request("GET", `/api/v1/dev/outbox?email=${encodeURIComponent(email)}`);
    expect(outbox.status).toBe(200);
    const [mail] = outbox.body.messages;
    expect(mail.to).toBe(email);
    expect(mail.code).toMatch(/^\d{6}$/);
    expect(mail.subject).toContain(mail.code);
    expect(mail.text).toContain(mail.code);
    expect(mail.text).toContain("mcpdeck");
    expect(mail.text).toContain("10 minutes");
    expect(mail.text).toContain(new Date(clock.now().getTime() + OTP_TTL_SEC * 1000).toISOString());

    const verified = await verify(email, mail.code);
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ is_new_user: true, user: { email } });
    expect(typeof verified.body.access_token).toBe("string");
    expect(typeof verified.body.refresh_token).toBe("string");

    const profile = await app.request("GET", "/api/v1/user/profile", { token: verified.body.access_token });
    expect(profile.status).toBe(200);
    expect(profile.body).toEqual(verified.body.user);
  });

  it("treats the address case- and space-insensitively", async () => {
    const email = freshEmail("mixed");
    const code = await requestCode(`  ${email.toUpperCase()} `);
    const res = await verify(email, code);
    expect(res.status).toBe(200);
    expect(res.body.user.email).toBe(email);
  });

  it("keeps one code per address: a new request replaces the old code", async () => {
    const email = freshEmail("replace");
    const first = await requestCode(email);
    clock.advance(OTP_COOLDOWN_SEC * 1000);
    const second = await requestCode(email);
    if (first !== second) expectApiError(await verify(email, first), 401, "OTP_INVALID");
    expect((await verify(email, second)).status).toBe(200);
  });

  it("binds the code to the network it was requested from", async () => {
    const email = freshEmail("network");
    const code = await requestCode(email, { "x-forwarded-for": "203.0.113.5" });
    const elsewhere = expectApiError(
      await verify(email, code, { "x-forwarded-for": "198.51.100.7" }),
      401,
      "OTP_INVALID",
    );
    expect(elsewhere.message).toMatch(/different network/);
    // Another address in the same /24 (a phone changing address within its network) still works.
    expect((await verify(email, code, { "x-forwarded-for": "203.0.113.77" })).status).toBe(200);
  });
});

describe("malformed requests answer 400 in the one error shape", () => {
  it("refuses a malformed email, naming the field", async () => {
    for (const email of ["nope", "a@", "@example.com", "", `${"x".repeat(250)}@example.com`]) {
      const body = expectApiError(
        await app.request("POST", REQUEST, { body: { email } }),
        400,
        "VALIDATION_FAILED",
      );
      expect(body.issues?.map((i) => i.path)).toContain("email");
    }
    const missing = expectApiError(
      await app.request("POST", REQUEST, { body: {} }),
      400,
      "VALIDATION_FAILED",
    );
    expect(missing.issues?.map((i) => i.path)).toContain("email");
  });

  it("refuses a malformed code, naming the field", async () => {
    for (const code of ["12345", "1234567", "12a456", " 123456", "", 123456]) {
      const res = await app.request("POST", VERIFY, { body: { email: "someone@example.com", code } });
      const body = expectApiError(res, 400, "VALIDATION_FAILED");
      expect(body.issues?.map((i) => i.path)).toEqual(["code"]);
    }
  });

  it("refuses unknown fields (strict objects), naming them", async () => {
    const res = await app.request("POST", REQUEST, {
      body: { email: freshEmail("strict"), remember_me: true },
    });
    const body = expectApiError(res, 400, "VALIDATION_FAILED");
    expect(body.issues).toEqual([{ path: "remember_me", message: expect.any(String) }]);
    const verifyRes = await app.request("POST", VERIFY, {
      body: { email: "a@example.com", code: "123456", otp: "123456" },
    });
    expect(expectApiError(verifyRes, 400, "VALIDATION_FAILED").issues?.map((i) => i.path)).toEqual(["otp"]);
  });

  it("refuses a body that is not JSON", async () => {
    for (const raw of ["{not json", "email=a@example.com", '{"email": "a@example.com",}']) {
      const body = expectApiError(
        await app.request("POST", REQUEST, { body: raw }),
        400,
        "VALIDATION_FAILED",
      );
      expect(body.message).toMatch(/not valid JSON/);
    }
    const empty = await app.request("POST", REQUEST, {
      body: "",
      headers: { "content-type": "application/json" },
    });
    expectApiError(empty, 400, "VALIDATION_FAILED");
    const array = await app.request("POST", REQUEST, { body: [{ email: "a@example.com" }] });
    expectApiError(array, 400, "VALIDATION_FAILED");
  });

  it("refuses a body of the wrong content type", async () => {
    const json = JSON.stringify({ email: freshEmail("ctype") });
    for (const type of [
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "application/xml",
    ]) {
      const res = await app.request("POST", REQUEST, { body: json, headers: { "content-type": type } });
      const body = expectApiError(res, 400, "VALIDATION_FAILED");
      expect(body.message, type).toMatch(/application\/json/);
    }
    const none = await fetch(`${app.url}${REQUEST}`, { method: "POST", body: new Blob([json]) });
    expectApiError(
      { status: none.status, headers: none.headers, body: await none.json() },
      400,
      "VALIDATION_FAILED",
    );
  });

  it("refuses an oversized body with 413", async () => {
    const res = await app.request("POST", REQUEST, {
      body: { email: `${"a".repeat(2_000_000)}@example.com` },
    });
    expectApiError(res, 413, "PAYLOAD_TOO_LARGE");
  });
});

describe("verification outcomes", () => {
  it("answers 401 to a wrong code and says how many attempts are left", async () => {
    const email = freshEmail("wrong");
    const code = await requestCode(email);
    const body = expectApiError(await verify(email, wrongCode(code)), 401, "OTP_INVALID");
    expect(body.message).toMatch(/4 attempts left/);
  });

  it("answers 401 when no code was requested for the address", async () => {
    expectApiError(await verify(freshEmail("never"), "123456"), 401, "OTP_INVALID");
  });

  it("answers 410 to an expired code (after 10 minutes)", async () => {
    const email = freshEmail("expired");
    const code = await requestCode(email);
    clock.advance(OTP_TTL_SEC * 1000 + 1000);
    const body = expectApiError(await verify(email, code), 410, "OTP_EXPIRED");
    expect(body.message).toMatch(/expired/);
  });

  it("accepts a code just before it expires", async () => {
    const email = freshEmail("almost");
    const code = await requestCode(email);
    clock.advance(OTP_TTL_SEC * 1000 - 1000);
    expect((await verify(email, code)).status).toBe(200);
  });

  it("answers 410 to a code used once already", async () => {
    const email = freshEmail("used");
    const code = await requestCode(email);
    expect((await verify(email, code)).status).toBe(200);
    expectApiError(await verify(email, code), 410, "OTP_USED");
  });

  it("kills the code after 5 wrong attempts: the 6th attempt is 410 even with the right code", async () => {
    const email = freshEmail("exhaust");
    const code = await requestCode(email);
    const left = [];
    for (let i = 0; i < 5; i++) {
      const body = expectApiError(await verify(email, wrongCode(code)), 401, "OTP_INVALID");
      left.push(body.message);
    }
    expect(left[0]).toMatch(/4 attempts left/);
    expect(left[3]).toMatch(/1 attempt left/);
    expect(left[4]).toMatch(/No attempts left/);
    expectApiError(await verify(email, code), 410, "OTP_EXHAUSTED");
  });

  it("does not let concurrent guesses get around the 5-attempt budget", async () => {
    const email = freshEmail("burst");
    const code = await requestCode(email);
    const guesses = Array.from({ length: 20 }, (_, i) =>
      String((Number(code) + 1 + i) % 1_000_000).padStart(6, "0"),
    );
    const results = await Promise.all(guesses.map((g) => verify(email, g)));
    expect(results.every((r) => r.status === 401 || r.status === 410)).toBe(true);
    expectApiError(await verify(email, code), 410, "OTP_EXHAUSTED");
  });

  it("counts concurrent wrong guesses one after another: each answer tells the attempts truly left", async () => {
    const email = freshEmail("counted");
    const code = await requestCode(email);
    const guesses = Array.from({ length: 8 }, (_, i) =>
      String((Number(code) + 1 + i) % 1_000_000).padStart(6, "0"),
    );
    const results = await Promise.all(guesses.map((g) => verify(email, g)));
    const invalid = results.filter((r) => r.status === 401).map((r) => expectApiError(r, 401, "OTP_INVALID"));
    const left = invalid
      .map((body) => /(\d) attempts? left/.exec(body.message)?.[1])
      .filter((n) => n !== undefined)
      .map(Number)
      .sort();
    expect(left).toEqual([1, 2, 3, 4]);
    expect(invalid.filter((body) => /No attempts left/.test(body.message))).toHaveLength(1);
    const exhausted = results.filter((r) => r.status === 410);
    expect(exhausted).toHaveLength(3);
    for (const r of exhausted) expectApiError(r, 410, "OTP_EXHAUSTED");
    expectApiError(await verify(email, code), 410, "OTP_EXHAUSTED");
  });

  it("signs in exactly once when the right code is sent twice at the same moment", async () => {
    const email = freshEmail("race");
    const code = await requestCode(email);
    const results = await Promise.all([verify(email, code), verify(email, code), verify(email, code)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 410, 410]);
  });
});

describe("request cooldown and attempt budget", () => {
  it("answers 429 with Retry-After to a second request within 30 s, then accepts one after it", async () => {
    const email = freshEmail("cooldown");
    await requestCode(email);
    clock.advance(10_000);
    const res = await app.request("POST", REQUEST, { body: { email } });
    const body = expectApiError(res, 429, "RATE_LIMITED");
    expect(res.headers.get("retry-after")).toBe("20");
    expect(body.retry_after).toBe(20);
    clock.advance(20_000);
    expect((await app.request("POST", REQUEST, { body: { email } })).status).toBe(200);
  });

  it("does not reset the attempt budget when a new code is requested within the window", async () => {
    const email = freshEmail("budget");
    const first = await requestCode(email);
    for (let i = 0; i < 4; i++) expectApiError(await verify(email, wrongCode(first)), 401, "OTP_INVALID");
    clock.advance(OTP_COOLDOWN_SEC * 1000);
    const second = await requestCode(email);
    const last = expectApiError(await verify(email, wrongCode(second)), 401, "OTP_INVALID");
    expect(last.message).toMatch(/No attempts left/);
    expectApiError(await verify(email, second), 410, "OTP_EXHAUSTED");
    // Asking again inside the window still buys no more guesses.
    clock.advance(OTP_COOLDOWN_SEC * 1000);
    const third = await requestCode(email);
    expectApiError(await verify(email, third), 410, "OTP_EXHAUSTED");
  });

  it("resets the attempt budget once the 10-minute window has passed", async () => {
    const email = freshEmail("window");
    const first = await requestCode(email);
    for (let i = 0; i < 5; i++) expectApiError(await verify(email, wrongCode(first)), 401, "OTP_INVALID");
    expectApiError(await verify(email, first), 410, "OTP_EXHAUSTED");
    clock.advance(OTP_TTL_SEC * 1000 + 1000);
    const fresh = await requestCode(email);
    const wrong = expectApiError(await verify(email, wrongCode(fresh)), 401, "OTP_INVALID");
    expect(wrong.message).toMatch(/4 attempts left/);
    expect((await verify(email, fresh)).status).toBe(200);
  });
});

describe("the request endpoint does not reveal whether an address has an account", () => {
  const headerNames = (h: Headers) =>
    [...h.keys()].filter((k) => !["date", "ratelimit-remaining", "ratelimit-reset"].includes(k)).sort();

  it("answers an existing account and a never-seen address identically", async () => {
    const existing = freshEmail("member");
    await app.signIn(existing);
    const timings = { existing: [] as number[], unknown: [] as number[] };
    let reference: { status: number; body: unknown; headers: string[] } | undefined;
    for (let i = 0; i < 10; i++) {
      clock.advance(OTP_COOLDOWN_SEC * 1000);
      for (const [kind, email] of [
        ["existing", existing],
        ["unknown", freshEmail("stranger")],
      ] as const) {
        const started = performance.now();
        const res = await app.request("POST", REQUEST, { body: { email } });
        timings[kind].push(performance.now() - started);
        const seen = { status: res.status, body: res.body, headers: headerNames(res.headers) };
        reference ??= seen;
        expect(seen, kind).toEqual(reference);
      }
    }
    expect(reference?.status).toBe(200);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const [a, b] = [median(timings.existing), median(timings.unknown)];
    // Coarse on purpose: the same work is done either way, so only noise separates them.
    expect(Math.abs(a - b) < 25 || Math.max(a, b) / Math.min(a, b) < 3, `medians ${a} vs ${b} ms`).toBe(true);
  });
});
