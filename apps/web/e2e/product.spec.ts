import { readFileSync } from "node:fs";
import { expect, test } from "@playwright/test";
import { baseUrl, codeFor, expectAccessible, freshEmail, screenshot, signInByApi } from "./support.js";

/**
 * A new person's first session, end to end in a real browser against the product as README
 * command 1 starts it: sign in with the emailed code, the demo server online, /tools, a plain
 * request planned into a graph, nodes approved one by one, progress and logs, the PDF downloaded,
 * a reload mid-run, the profile, a second server, sign-out. Every screen is screenshotted and
 * checked with axe-core.
 */
test("a new user's first session, from the sign-in code to sign-out", async ({ page }) => {
  const email = freshEmail("e2e");

  await test.step("sign in with the code from the development outbox", async () => {
    await page.goto(`${baseUrl()}/`);
    await expect(page).toHaveURL(/\/signin/);
    await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
    await screenshot(page, "01-sign-in");
    await expectAccessible(page, "sign-in");

    await page.getByLabel("Email").fill(email);
    await page.getByRole("button", { name: "Send code" }).click();
    await expect(page.getByLabel("Code")).toBeFocused();
    // The resend button counts down the cooldown.
    await expect(page.getByRole("button", { name: /Resend code in \d+ s/ })).toBeDisabled();
    const code = await codeFor(page.request, email);

    // A wrong code is refused precisely, with the attempts left.
    const wrong = code === "000000" ? "111111" : "000000";
    await page.getByLabel("Code").fill(wrong);
    await page.getByRole("button", { name: "Sign in" }).click();
    const alert = page.getByRole("alert");
    await expect(alert).toContainText("Wrong code");
    await expect(alert).toContainText("4 attempts left");
    await screenshot(page, "02-sign-in-code-wrong");
    await expectAccessible(page, "sign-in code");

    await page.getByLabel("Code").fill(code);
    await page.getByRole("button", { name: "Sign in" }).click();
  });

  await test.step("lands on the servers with the demo server online", async () => {
    await expect(page.getByRole("heading", { name: "Servers" })).toBeVisible();
    await expect(page.getByText("Your demo server is ready")).toBeVisible();
    const demo = page.getByTestId("server-demo");
    await expect(demo).toContainText("online");
    await expect(demo).toContainText(/\d+ ms/);
    await expect(demo).toContainText(/ago|just now/);
    await screenshot(page, "03-servers");
    await expectAccessible(page, "servers");
  });

  await test.step("opens the demo server's session and runs /tools", async () => {
    await page.getByRole("link", { name: "Open the session with demo" }).click();
    await expect(page.getByRole("heading", { name: /demo session/ })).toBeVisible();
    await expect(page.getByTestId("link-state")).toHaveText("● connected");
    await expect(page.getByLabel("Session status")).toContainText("model builtin");
    const prompt = page.getByRole("combobox", { name: "Message or /command" });
    await prompt.fill("/to");
    await expect(page.getByRole("option", { name: /\/tools/ })).toBeVisible();
    await prompt.press("Tab");
    await expect(prompt).toHaveValue("/tools");
    await prompt.press("Enter");
    const log = page.getByRole("log", { name: "Conversation" });
    await expect(log.locator('[data-sender="USER"]').last()).toContainText("/tools");
    await expect(log.locator('[data-sender="SYSTEM"]').last()).toContainText("query_signups");
    await expect(log.locator('[data-sender="SYSTEM"]').last()).toContainText("build_report");
    await expectAccessible(page, "session");
  });

  await test.step("asks in plain words for the signups report and approves the nodes one by one", async () => {
    const prompt = page.getByRole("combobox", { name: "Message or /command" });
    await prompt.fill("analyze the latest user signups and build a report");
    await prompt.press("Enter");
    const graph = page.getByRole("group", { name: /Task graph, 2 nodes/ });
    await expect(graph).toBeVisible();
    const nodes = graph.locator("[data-node-id]");
    await expect(nodes).toHaveCount(2);
    await expect(graph.locator("[data-edge]")).toHaveCount(1);
    const [first, second] = [nodes.nth(0), nodes.nth(1)];
    await expect(first).toHaveAccessibleName(/query_signups pending/);
    await expect(second).toHaveAccessibleName(/build_report pending/);
    await screenshot(page, "04-session-graph-proposed");

    await first.click();
    const detail = page.getByTestId("node-detail");
    await expect(detail).toContainText("query_signups");
    await expect(detail).toContainText("Arguments");
    await expect(detail).toContainText("read-only");
    await detail.getByRole("button", { name: /Approve/ }).click();
    await expect(first).toHaveAccessibleName(/succeeded/);
    const firstId = await first.getAttribute("data-node-id");
    await expect(page.getByTestId(`progress-${firstId}`)).toHaveAttribute("width", "200");
    await expect(detail).toContainText("Result");
    await expect(detail).toContainText(/started .* finished/);
    // The second still waits for its own approval.
    await expect(second).toHaveAccessibleName(/pending/);

    // Keyboard: from the selected node, → selects the next one; `a` approves it.
    await first.focus();
    await page.keyboard.press("ArrowRight");
    await expect(second).toBeFocused();
    await expect(detail).toContainText("build_report");
    await page.keyboard.press("a");
    await expect(second).toHaveAccessibleName(/succeeded/);
    await expect(page.getByRole("log", { name: "Conversation" })).toContainText(/signups-report|\.pdf/i);
    await screenshot(page, "05-session-graph-done");
  });

  await test.step("watches a long call's progress and logs, and reloads mid-run with the state intact", async () => {
    const prompt = page.getByRole("combobox", { name: "Message or /command" });
    await prompt.fill('/call long_running_analysis {"steps": 12, "step_ms": 500}');
    await prompt.press("Enter");
    const graph = page.getByRole("group", { name: /Task graph, 1 node/ });
    const node = graph.locator("[data-node-id]").first();
    await expect(node).toHaveAccessibleName(/pending/);
    await page.keyboard.press("Escape");
    await page.keyboard.press("a");
    await expect(node).toHaveAccessibleName(/running \d+ of 12/);

    await page.reload();
    await expect(page.getByTestId("link-state")).toHaveText("● connected");
    const again = page
      .getByRole("group", { name: /Task graph, 1 node/ })
      .locator("[data-node-id]")
      .first();
    await expect(again).toHaveAccessibleName(/long_running_analysis (running|succeeded)/);
    const log = page.getByRole("log", { name: "Conversation" });
    await expect(log).toContainText("analyze the latest user signups and build a report");
    await expect(log).toContainText("/tools");
    await expect(again).toHaveAccessibleName(/succeeded/, { timeout: 30_000 });

    await page.keyboard.press("2");
    await expect(page.getByRole("tab", { name: /Logs/ })).toHaveAttribute("aria-selected", "true");
    const logLines = page.getByRole("log", { name: "Log lines" });
    await expect(logLines).toContainText("Starting analysis");
    await page.getByLabel("Level").selectOption("warn");
    await expect(page.getByTestId("log-count")).toContainText(/^\d+ of \d+ lines$/);
    await page.getByLabel("Level").selectOption("debug");
    await screenshot(page, "06-session-logs");
    await expectAccessible(page, "session logs");
  });

  await test.step("downloads the PDF report and previews it", async () => {
    await page.keyboard.press("3");
    const files = page.getByRole("tabpanel");
    const pdf = files.getByRole("listitem").filter({ hasText: "application/pdf" });
    await expect(pdf).toHaveCount(1);
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      pdf.getByRole("button", { name: /Download/ }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/\.pdf$/);
    const bytes = readFileSync((await download.path())!);
    expect(bytes.subarray(0, 5).toString("latin1")).toBe("%PDF-");
    expect(bytes.subarray(-8).toString("latin1")).toContain("%%EOF");

    await pdf.locator("button[aria-pressed]").click();
    const preview = page.getByTestId("artifact-preview");
    await expect(preview.locator("iframe")).toHaveAttribute("src", /disposition=inline/);
    await screenshot(page, "07-session-files");
    await expectAccessible(page, "session files");
  });

  await test.step("lists the shortcuts with ? and /help", async () => {
    await page.keyboard.press("?");
    const dialog = page.getByRole("dialog", { name: "Keyboard shortcuts" });
    await expect(dialog).toBeVisible();
    await expect(dialog).toContainText("approve the selected node");
    await screenshot(page, "08-shortcuts");
    await expectAccessible(page, "shortcuts");
    await page.keyboard.press("Escape");
    await expect(dialog).toBeHidden();
    const prompt = page.getByRole("combobox", { name: "Message or /command" });
    await prompt.fill("/help");
    await prompt.press("Enter");
    const log = page.getByRole("log", { name: "Conversation" });
    await expect(log).toContainText("/approve all");
    await expect(log).toContainText("go to servers");
  });

  await test.step("edits the username, with a taken one refused inline", async () => {
    const other = await signInByApi(page.request, freshEmail("taken"));
    const takenName = `taken-${Date.now().toString(36)}`;
    const put = await page.request.put(`${baseUrl()}/api/v1/user/profile`, {
      data: { username: takenName },
      headers: { authorization: `Bearer ${other.access_token}` },
    });
    expect(put.status()).toBe(200);

    await page.getByRole("link", { name: "Profile" }).click();
    await expect(page.getByRole("heading", { name: "Profile" })).toBeVisible();
    await expect(page.getByText(email)).toBeVisible();
    const username = page.getByLabel("Username");
    await username.fill(takenName);
    await page.getByRole("button", { name: "Save username" }).click();
    await expect(page.getByRole("alert")).toContainText(/taken/i);
    await expect(username).toHaveAttribute("aria-invalid", "true");
    await screenshot(page, "09-profile-taken");
    await expectAccessible(page, "profile");

    const mine = `e2e-${Date.now().toString(36)}`;
    await username.fill(mine);
    await page.getByRole("button", { name: "Save username" }).click();
    await expect(page.getByRole("status").filter({ hasText: "Saved" })).toBeVisible();
    await expect(page.getByRole("banner")).toContainText(mine);
  });

  await test.step("adds a second server, tests its connection, sees it listed", async () => {
    await page.getByRole("link", { name: "Servers" }).click();
    await page.keyboard.press("n");
    await expect(page.getByRole("heading", { name: "Add a server" })).toBeVisible();
    await page.getByLabel("Name").fill("second");
    await page.getByLabel("URL").fill(process.env.E2E_DEMO_MCP_URL!);
    await page.getByRole("radio", { name: "API key" }).check();
    await expect(page.getByRole("textbox", { name: "Key", exact: true })).toHaveAttribute("type", "password");
    await page.getByRole("radio", { name: "None" }).check();
    await page.getByRole("button", { name: "Test connection" }).click();
    await expect(page.getByTestId("test-result")).toContainText("Connection works");
    await screenshot(page, "10-server-form");
    await expectAccessible(page, "server form");
    await page.getByRole("button", { name: "Add server" }).click();
    const row = page.getByTestId("server-second");
    await expect(row).toBeVisible();
    await expect(row).toContainText("online");

    // Delete asks first; cancelling keeps the server.
    await row.getByRole("button", { name: "Delete second" }).click();
    const confirm = page.getByRole("dialog", { name: "Delete second?" });
    await expect(confirm).toBeVisible();
    await screenshot(page, "11-server-delete-confirm");
    await expectAccessible(page, "delete confirmation");
    await confirm.getByRole("button", { name: "Cancel" }).click();
    await expect(row).toBeVisible();
  });

  await test.step("fits half a laptop screen", async () => {
    await page.setViewportSize({ width: 720, height: 900 });
    const noSideScroll = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
    await expect(page.getByTestId("server-demo")).toBeVisible();
    expect(await noSideScroll()).toBe(true);
    await screenshot(page, "15-servers-half-screen");
    await page.getByRole("link", { name: "Open the session with demo" }).click();
    await expect(page.getByTestId("link-state")).toHaveText("● connected");
    await expect(page.getByRole("combobox", { name: "Message or /command" })).toBeVisible();
    await expect(page.getByRole("tablist", { name: "Session panes" })).toBeVisible();
    expect(await noSideScroll()).toBe(true);
    await screenshot(page, "16-session-half-screen");
    await expectAccessible(page, "session, half screen");
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  await test.step("signs out", async () => {
    await page.getByRole("banner").getByRole("button", { name: "Sign out" }).click();
    await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
    await page.reload();
    await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  });
});

test("sign-in refusals say exactly what is wrong: a code asked for too soon, too many wrong codes", async ({
  page,
}) => {
  const email = freshEmail("refused");
  await page.goto(`${baseUrl()}/`);
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Send code" }).click();
  await expect(page.getByLabel("Code")).toBeFocused();
  const code = await codeFor(page.request, email);
  const alert = page.getByRole("alert");

  await test.step("another code inside the cooldown: rate limited, with the wait", async () => {
    await page.getByRole("button", { name: "Use another email" }).click();
    await expect(page.getByLabel("Email")).toHaveValue(email);
    await page.getByRole("button", { name: "Send code" }).click();
    await expect(alert.locator("strong")).toHaveText("Slow down");
    const said = alert.locator("p");
    await expect(said).toHaveText(/^A code was sent moments ago\. Wait \d+ s before asking for another\.$/);
    const wait = Number(/Wait (\d+) s/.exec((await said.textContent())!)![1]);
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(30);
    // The wait is for another code: the one already sent can still be entered.
    await expect(page.getByRole("button", { name: /^Resend code in \d+ s$/ })).toBeDisabled();
    await page.getByLabel("Code").fill(code === "000000" ? "111111" : "000000");
    await expect(page.getByRole("button", { name: "Sign in" })).toBeEnabled({ timeout: 1_000 });
  });

  await test.step("five wrong codes, then the right one is refused too: the code is dead", async () => {
    const wrong = code === "000000" ? "111111" : "000000";
    const left = ["4 attempts left.", "3 attempts left.", "2 attempts left.", "1 attempt left."];
    for (const after of [...left, "No attempts left: request a new code later."]) {
      await page.getByLabel("Code").fill(wrong);
      await page.getByRole("button", { name: "Sign in" }).click();
      await expect(alert.locator("p")).toHaveText(`That code is not correct. ${after}`);
      await expect(alert.locator("strong")).toHaveText("Wrong code");
    }
    await page.getByLabel("Code").fill(code);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(alert.locator("strong")).toHaveText("Too many attempts");
    await expect(alert.locator("p")).toHaveText(
      "Too many wrong attempts: this code no longer works. Request a new code in a few minutes.",
    );
    await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
    await screenshot(page, "21-sign-in-too-many-attempts");
    await expectAccessible(page, "sign-in, code dead");
  });
});
