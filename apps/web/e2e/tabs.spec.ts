import { expect, type Page, test } from "@playwright/test";
import { baseUrl, freshEmail, screenshot, signIn } from "./support.js";

/** Asks the API for a new access token with the refresh cookie, as the client does. */
const refreshInPage = (page: Page) =>
  page.evaluate(async () => {
    const res = await fetch("/api/v1/auth/refresh", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    return { status: res.status, body: (await res.json()) as { access_token?: string; code?: string } };
  });

test("two tabs on one session stay in sync, refresh at the same moment without signing out, and sign out together", async ({
  browser,
}) => {
  const context = await browser.newContext();
  const one = await context.newPage();
  await signIn(one, freshEmail("tabs"));
  await one.getByRole("link", { name: "Open the session with demo" }).click();
  await expect(one.getByTestId("link-state")).toHaveText("● connected");

  // The second tab signs in from the cookie alone: the access token lives in each tab's memory.
  const two = await context.newPage();
  await two.goto(one.url());
  await expect(two.getByTestId("link-state")).toHaveText("● connected");

  await test.step("what one tab does, the other sees", async () => {
    const prompt = one.getByRole("combobox", { name: "Message or /command" });
    await prompt.fill('/call wait {"ms": 300}');
    await prompt.press("Enter");
    const node = (page: Page) =>
      page.getByRole("group", { name: /Task graph, 1 node/ }).locator("[data-node-id]");
    await expect(node(two)).toHaveAccessibleName(/wait pending/);
    // Approved in the second tab, seen running and done in the first.
    await node(two).click();
    await two
      .getByTestId("node-detail")
      .getByRole("button", { name: /Approve/ })
      .click();
    await expect(node(one)).toHaveAccessibleName(/succeeded/);
    await expect(one.getByRole("log", { name: "Conversation" })).toContainText("Done: all 1 step succeeded");
    await screenshot(two, "12-second-tab");
  });

  await test.step("both tabs refresh at the same moment and both stay signed in", async () => {
    const [a, b] = await Promise.all([refreshInPage(one), refreshInPage(two)]);
    expect(a.status, JSON.stringify(a.body)).toBe(200);
    expect(b.status, JSON.stringify(b.body)).toBe(200);
    // One rotation: the second got the same successor pair within the API's leeway.
    expect(b.body.access_token).toBe(a.body.access_token);

    // Both reload at once (each signs in again with the shared cookie): nobody is signed out.
    await Promise.all([one.reload(), two.reload()]);
    await expect(one.getByTestId("link-state")).toHaveText("● connected");
    await expect(two.getByTestId("link-state")).toHaveText("● connected");
    const profile = await one.request.get(`${baseUrl()}/api/v1/user/profile`, {
      headers: { authorization: `Bearer ${(await refreshInPage(one)).body.access_token}` },
    });
    expect(profile.status()).toBe(200);
  });

  await test.step("signing out in one tab signs the other out too", async () => {
    await one.getByRole("banner").getByRole("button", { name: "Sign out" }).click();
    await expect(one.getByRole("heading", { name: "Sign in" })).toBeVisible();
    await expect(two.getByRole("heading", { name: "Sign in" })).toBeVisible();
  });
  await context.close();
});
