import { expect, test } from "@playwright/test";
import { expectAccessible, freshEmail, screenshot, signIn } from "./support.js";

test("a server's form request is answered in place, checked as it is typed", async ({ page }) => {
  await signIn(page, freshEmail("form"));
  await page.getByRole("link", { name: "Open the session with demo" }).click();
  await expect(page.getByTestId("link-state")).toHaveText("● connected");
  const prompt = page.getByRole("combobox", { name: "Message or /command" });
  await prompt.fill('/call configure_report {"suggested_title": "Weekly signups"}');
  await prompt.press("Enter");
  const node = page.getByRole("group", { name: /Task graph, 1 node/ }).locator("[data-node-id]");
  await expect(node).toHaveAccessibleName(/pending/);
  await page.keyboard.press("Escape");
  await page.keyboard.press("a");
  await expect(node).toHaveAccessibleName(/needs input/);

  const request = page.getByTestId("input-request");
  await expect(request).toContainText("How should the signups report look?");
  await expect(request.getByLabel("Report title")).toHaveValue("Weekly signups");
  await expect(request.getByRole("checkbox", { name: "summary" })).toBeChecked();
  // Inline validation: a bad address is named before anything is sent.
  await request.getByLabel("Recipient email").fill("not-an-email");
  await request.getByLabel("Recipient email").blur();
  await expect(request).toContainText("Enter an email address.");
  await expect(request.getByLabel("Recipient email")).toHaveAttribute("aria-invalid", "true");
  await screenshot(page, "17-session-form-request");
  await expectAccessible(page, "form request");

  await request.getByLabel("Recipient email").fill("boss@example.com");
  await request.getByRole("checkbox", { name: "by_country" }).check();
  await request.getByRole("button", { name: "Send" }).click();
  await expect(request).toContainText("answered");
  await expect(node).toHaveAccessibleName(/succeeded/);
  await node.click();
  await expect(page.getByTestId("result-preview")).toContainText("boss@example.com");
});

test("a server's URL request is shown whole and opens only on consent", async ({ page, context }) => {
  const opened: string[] = [];
  context.on("page", (p) => opened.push(p.url()));
  await signIn(page, freshEmail("url"));
  await page.getByRole("link", { name: "Open the session with demo" }).click();
  await expect(page.getByTestId("link-state")).toHaveText("● connected");
  const prompt = page.getByRole("combobox", { name: "Message or /command" });
  const node = page.getByRole("group", { name: /Task graph, 1 node/ }).locator("[data-node-id]");
  const connect = async (source: string) => {
    await prompt.fill(`/call connect_data_source {"source": "${source}"}`);
    await prompt.press("Enter");
    await expect(node).toHaveAccessibleName(/connect_data_source pending/);
    await page.keyboard.press("Escape");
    await page.keyboard.press("a");
    await expect(node).toHaveAccessibleName(/needs input/);
    const request = page.getByTestId("input-request").last();
    await expect(request).toContainText("The server asks you to open a page");
    const url = request.locator(".url-whole code");
    // Shown whole: the full address as text, nothing clipped or elided.
    const demoOrigin = new URL(process.env.E2E_DEMO_MCP_URL!).origin.replace(/[.]/g, "\\.");
    await expect(url).toHaveText(new RegExp(`^${demoOrigin}/connect/[0-9a-f-]{36}$`));
    expect(await url.evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
    return { request, url: (await url.textContent())! };
  };

  await test.step("declined: nothing opens, the tool hears no", async () => {
    const { request } = await connect("stripe");
    await expect(request).toContainText(
      'Open this page to connect Stripe to the signups analysis, then press "Connect" there.',
    );
    await expect(request).toContainText("mcpdeck never opens this address itself.");
    await screenshot(page, "20-session-url-request");
    await expectAccessible(page, "URL request");
    await request.getByRole("button", { name: "Decline" }).click();
    await expect(request).toContainText("declined.");
    await expect(node).toHaveAccessibleName(/succeeded/);
    await node.click();
    await expect(page.getByTestId("result-preview")).toContainText("The user declined to connect Stripe.");
    expect(opened).toEqual([]);
  });

  await test.step("consented: the page opens in a new tab, and its confirmation completes the call", async () => {
    const { request, url } = await connect("google_analytics");
    expect(opened).toEqual([]);
    const [tab] = await Promise.all([
      context.waitForEvent("page"),
      request.getByRole("button", { name: "Open in a new tab" }).click(),
    ]);
    await tab.waitForLoadState();
    expect(tab.url()).toBe(url);
    await expect(request).toContainText("answered.");
    // The call waits for the page's own confirmation.
    await expect(node).toHaveAccessibleName(/running|needs input/);
    await expect(tab.getByRole("heading", { name: "Connect Google Analytics" })).toBeVisible();
    await tab.getByRole("button", { name: "Connect" }).click();
    await expect(tab.getByRole("heading", { name: "Google Analytics is connected" })).toBeVisible();
    await tab.close();
    await expect(node).toHaveAccessibleName(/succeeded/);
    await node.click();
    await expect(page.getByTestId("result-preview")).toContainText(
      `Google Analytics is connected (connection ${url.split("/").at(-1)}).`,
    );
    expect(opened).toHaveLength(1);
  });
});

test("an OAuth server is authorized: to its authorization page and back", async ({ page }) => {
  await signIn(page, freshEmail("oauth"));
  await page.getByRole("link", { name: "Add server" }).click();
  await page.getByLabel("Name").fill("guarded");
  await page.getByLabel("URL").fill(process.env.E2E_OAUTH_MCP_URL!);
  await page.getByRole("radio", { name: "OAuth" }).check();
  await page.getByRole("button", { name: "Add server" }).click();
  const row = page.getByTestId("server-guarded");
  await expect(row).toBeVisible();

  await row.getByRole("button", { name: "Authorize guarded" }).click();
  // The demo's authorization server approves at once and sends the browser back through the API.
  await expect(page).toHaveURL(/\/servers$/);
  await expect(
    page.getByRole("status").filter({ hasText: "Authorized: mcpdeck can now use guarded." }),
  ).toBeVisible();
  await row.getByRole("button", { name: "Check guarded" }).click();
  await expect(page.getByRole("status").filter({ hasText: /guarded is online/ })).toBeVisible();
  await expect(row).toContainText("online");
  await screenshot(page, "18-servers-oauth-authorized");
});
