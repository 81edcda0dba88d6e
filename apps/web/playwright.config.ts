import { defineConfig } from "@playwright/test";

/**
 * End-to-end tests against the product as README command 1 starts it (`node scripts/start.mjs`
 * over the built web client), on free ports with a fresh data dir — see e2e/global-setup.ts.
 * The browser is Debian's Chromium (`/usr/bin/chromium`, or CHROMIUM_PATH): nothing is downloaded.
 */
export default defineConfig({
  testDir: "e2e",
  globalSetup: "./e2e/global-setup.ts",
  // One product, one browser, one worker: the machine is small and the tests share the product.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 120_000,
  expect: { timeout: 20_000 },
  reporter: [["list"]],
  outputDir: "test-results/artifacts",
  use: {
    browserName: "chromium",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
    viewport: { width: 1440, height: 900 },
    acceptDownloads: true,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
  },
});
