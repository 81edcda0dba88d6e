import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../logger.js";
import { expectApiError } from "../testing/api-error.js";
import { manualClock, startTestApp, type TestApp } from "../testing/harness.js";
import {
  RESEND_SERVER_ERROR,
  RESEND_VALIDATION_ERROR,
  type ResendStandIn,
  startResendStandIn,
} from "../testing/resend-standin.js";
import { OTP_COOLDOWN_SEC } from "./service.js";

const REQUEST = "/api/v1/auth/otp/request";
const clock = manualClock(new Date("2026-05-01T08:00:00.000Z"));
let resend: ResendStandIn;
let app: TestApp;
const logLines: string[] = [];
let n = 0;
const freshEmail = (label: string) => `${label}-${++n}@example.net`;
const METRICS_TOKEN = "metrics-token-for-the-resend-test-0123456789";

beforeAll(async () => {
  resend = await startResendStandIn();
  app = await startTestApp({
    clock,
    env: {
      RESEND_API_KEY: resend.apiKey,
      RESEND_BASE_URL: resend.url,
      MCPDECK_RATE_LIMIT_AUTH: "1000000",
      MCPDECK_RATE_LIMIT_API: "1000000",
      MCPDECK_METRICS_TOKEN: METRICS_TOKEN,
    },
    logger: createLogger("info", { write: (line: string) => void logLines.push(line) }),
  });
});
afterAll(async () => {
  await app?.close();
  await resend?.close();
});
afterEach(() => resend.failWith(null));

async function mailFor(email: string) {
  const since = new Date();
  const res = await app.request("POST", REQUEST, { body: { email } });
  expect(res.status).toBe(200);
  const message = await resend.waitForMessage(email, { since });
  const code = /\b(\d{6})\b/.exec(message.text ?? "")?.[1];
  if (!code) throw new Error(`no code in: ${message.text}`);
  return { message, code };
}

/** The code as a number of its own (not six digits inside a timestamp). */
const asWholeNumber = (code: string) => new RegExp(`(?<!\\d)${code}(?!\\d)`);

async function metric(name: string): Promise<number> {
  const res = await app.request("GET", "/metrics", { token: METRICS_TOKEN });
  expect(res.status).toBe(200);
  const line = String(res.body)
    .split("\n")
    .find((l) => l.startsWith(`mcpdeck_${name} `));
  return line ? Number(line.split(" ")[1]) : 0;
}

async function waitFor(check: () => Promise<boolean>, what: string) {
  const deadline = Date.now() + 5_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("sign-in email through Resend", () => {
  it("sends text and HTML parts with the code, the expiry and the app name, and the code signs in", async () => {
    const email = freshEmail("resend");
    const { message, code } = await mailFor(email);
    expect(app.services.mailer.kind).toBe("resend");
    expect(message.status).toBe(200);
    expect(message.to).toEqual([email]);
    expect(message.from).toBe("mcpdeck <onboarding@resend.dev>");
    expect(message.subject).toContain(code);
    const expiry = new Date(clock.now().getTime() + 10 * 60_000).toISOString();
    for (const part of [message.text, message.html]) {
      expect(part).toContain(code);
      expect(part).toContain("mcpdeck");
      expect(part).toContain("10 minutes");
      expect(part).toContain(expiry);
    }
    expect(message.html).toMatch(/^<!doctype html>/i);

    const verified = await app.request("POST", "/api/v1/auth/otp/verify", { body: { email, code } });
    expect(verified.status).toBe(200);
    expect(verified.body.is_new_user).toBe(true);
  });

  it("has no development outbox: 404 in the one error shape", async () => {
    await mailFor(freshEmail("no-outbox"));
    expectApiError(await app.request("GET", "/api/v1/dev/outbox"), 404, "NOT_FOUND");
  });

  it("never puts the code in the logs", async () => {
    const { code } = await mailFor(freshEmail("quiet"));
    expect(logLines.join("")).not.toMatch(asWholeNumber(code));
  });
});

describe("when Resend fails", () => {
  for (const failure of [RESEND_SERVER_ERROR, RESEND_VALIDATION_ERROR]) {
    it(`answers the same 200 (Resend ${failure.status}), counts the failure and logs it without the code`, async () => {
      const member = freshEmail("member");
      const { code: memberCode } = await mailFor(member);
      expect(
        (await app.request("POST", "/api/v1/auth/otp/verify", { body: { email: member, code: memberCode } }))
          .status,
      ).toBe(200);
      clock.advance(OTP_COOLDOWN_SEC * 1000);

      const before = await metric("mail_send_failures_total");
      const logsBefore = logLines.length;
      resend.failWith(failure);
      const answers = [];
      for (const email of [member, freshEmail("stranger")]) {
        const since = new Date();
        const res = await app.request("POST", REQUEST, { body: { email } });
        answers.push({ status: res.status, body: res.body });
        const attempted = await resend.waitForMessage(email, { since });
        expect(attempted.status).toBe(failure.status);
      }
      expect(answers[0]).toEqual({ status: 200, body: { status: "sent", cooldown_sec: OTP_COOLDOWN_SEC } });
      expect(answers[1]).toEqual(answers[0]);

      await waitFor(
        async () => (await metric("mail_send_failures_total")) === before + 2,
        "the failure counter",
      );
      const failures = logLines
        .slice(logsBefore)
        .map((l) => JSON.parse(l) as { msg: string; level: number })
        .filter((l) => l.msg === "sign-in email could not be sent");
      expect(failures).toHaveLength(2);
      expect(failures.every((l) => l.level >= 50)).toBe(true);
      const sentCodes = resend.messages
        .filter((m) => m.status !== 200)
        .map((m) => /\b(\d{6})\b/.exec(m.text ?? "")?.[1]);
      expect(sentCodes).toHaveLength(resend.messages.filter((m) => m.status !== 200).length);
      for (const sent of sentCodes) expect(logLines.join("")).not.toMatch(asWholeNumber(sent!));
    });
  }
});
