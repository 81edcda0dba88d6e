import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { type APIRequestContext, expect, type Page } from "@playwright/test";

export const baseUrl = () => {
  const url = process.env.E2E_BASE_URL;
  if (!url) throw new Error("E2E_BASE_URL is unset: run through playwright.config.ts (global setup)");
  return url;
};

export const SCREENSHOT_DIR = new URL("../test-results/screenshots/", import.meta.url).pathname;

/** A full-page screenshot named for the screen, kept after the run (test-results/screenshots). */
export async function screenshot(page: Page, name: string) {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOT_DIR}${name}.png`, fullPage: true });
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/**
 * Runs axe-core in the page and fails on serious or critical violations. The source is evaluated
 * through the debugging protocol, which the page's strict CSP (no inline script) does not block —
 * so the page is checked under its real policy.
 */
export async function expectAccessible(page: Page, screen: string) {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    // biome-ignore lint/suspicious/noExplicitAny: axe is injected above, untyped in the page.
    const result = await (window as any).axe.run(document, { resultTypes: ["violations"] });
    return (
      result.violations as Array<{
        id: string;
        impact: string;
        help: string;
        nodes: Array<{ target: string[]; html: string }>;
      }>
    )
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map(
        (v) =>
          `${v.impact} ${v.id}: ${v.help} — ${v.nodes
            .slice(0, 5)
            .map((n) => `${n.target.join(" ")} ${n.html.slice(0, 400)}`)
            .join(", ")}${v.nodes.length > 5 ? ` (and ${v.nodes.length - 5} more)` : ""}`,
      );
  });
  expect(violations, `axe on ${screen}`).toEqual([]);
}

/** The newest sign-in code for an address, from the development outbox. */
export async function codeFor(request: APIRequestContext, email: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const res = await request.get(`${baseUrl()}/api/v1/dev/outbox?email=${encodeURIComponent(email)}`);
    const body = (await res.json()) as { messages: Array<{ code?: string }> };
    const code = body.messages[0]?.code;
    if (code) return code;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no code in the outbox for ${email}`);
}

let n = 0;
export const freshEmail = (label: string) => `${label}-${Date.now().toString(36)}-${++n}@example.com`;

/** Signs in through the sign-in screen; lands on the servers list. */
export async function signIn(page: Page, email: string) {
  await page.goto(`${baseUrl()}/`);
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Send code" }).click();
  await expect(page.getByLabel("Code")).toBeVisible();
  await page.getByLabel("Code").fill(await codeFor(page.request, email));
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Servers" })).toBeVisible();
}

/** Signs a user in through the REST API only (for a second account in a test). */
export async function signInByApi(request: APIRequestContext, email: string) {
  await request.post(`${baseUrl()}/api/v1/auth/otp/request`, { data: { email } });
  const code = await codeFor(request, email);
  const res = await request.post(`${baseUrl()}/api/v1/auth/otp/verify`, { data: { email, code } });
  expect(res.status()).toBe(200);
  return (await res.json()) as { access_token: string; user: { id: string; username: string } };
}
