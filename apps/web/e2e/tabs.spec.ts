import { expect, type Page, test } from "@playwright/test";
import { baseUrl, freshEmail, screenshot, signIn } from "./support.js";

/** Asks the API for a new access token, with the given refresh token or else the cookie, as the client does. */
const refreshInPage = (page: Page, refreshToken?: string) =>
  page.evaluate(async (token) => {
    const res = await fetch("/api/v1/auth/refresh", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(token ? { refresh_token: token } : {}),
    });
    return { status: res.status, body: (await res.json()) as { access_token?: string; code?: string } };
  }, refreshToken);

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

  await test.step("offline and back: a banner while down, then the stream resumes after the last event", async () => {
    // Sent by another client while this browser is offline: the resumed socket must deliver it.
    const { access_token } = await (
      await one.request.post(`${baseUrl()}/api/v1/auth/refresh`, { data: {} })
    ).json();
    const serverId = new URL(one.url()).pathname.split("/")[2]!;
    await context.setOffline(true);
    await expect(one.getByTestId("offline-banner")).toBeVisible();
    await expect(one.getByTestId("link-state")).toContainText("reconnecting");
    await screenshot(one, "19-session-offline");
    const sent = await one.request.post(`${baseUrl()}/trpc/sessions.send`, {
      data: { server_id: serverId, text: "/tools" },
      headers: { authorization: `Bearer ${access_token}` },
    });
    expect(sent.status()).toBe(200);
    await context.setOffline(false);
    await expect(one.getByTestId("link-state")).toHaveText("● connected", { timeout: 30_000 });
    await expect(one.getByTestId("offline-banner")).toBeHidden();
    const log = one.getByRole("log", { name: "Conversation" });
    await expect(log.locator('[data-sender="USER"]').last()).toContainText("/tools");
    await expect(log.locator('[data-sender="SYSTEM"]').last()).toContainText("query_signups");
    // Exactly once: the resumed stream neither lost nor repeated events.
    await expect(log.locator('[data-sender="USER"]').filter({ hasText: "/tools" })).toHaveCount(1);
  });

  await test.step("both tabs refresh at the same moment and both stay signed in", async () => {
    // Both present the refresh token the tabs share (the cookie's, which scripts cannot read; the
    // test can), so whichever arrives second finds it just rotated — however the two interleave.
    const cookie = (await context.cookies()).find((c) => c.name === "mcpdeck_refresh");
    expect(cookie?.httpOnly).toBe(true);
    expect(cookie?.sameSite).toBe("Strict");
    const [a, b] = await Promise.all([refreshInPage(one, cookie!.value), refreshInPage(two, cookie!.value)]);
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
