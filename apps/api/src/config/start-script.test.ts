import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../../..", import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function answers(url: string): Promise<number | undefined> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2000) })).status;
  } catch {
    return undefined;
  }
}

const dataDir = mkdtempSync(join(tmpdir(), "mcpdeck-start-"));
let product: ChildProcess | undefined;
afterAll(() => {
  if (product?.exitCode === null) product.kill("SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
});

describe("scripts/start.mjs (README command 1's supervisor)", () => {
  it("restarts the demo MCP server when it dies, keeps the API up, and stops both on SIGTERM", async () => {
    const [apiPort, demoPort] = [await freePort(), await freePort()];
    product = spawn(process.execPath, ["scripts/start.mjs"], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? tmpdir(),
        PORT: String(apiPort),
        HOST: "127.0.0.1",
        DEMO_MCP_PORT: String(demoPort),
        MCPDECK_DATA_DIR: dataDir,
        MCPDECK_RESTART_BACKOFF_MS: "100",
        LOG_LEVEL: "warn",
        ...(process.env.TEST_DATABASE_URL ? { DATABASE_URL: process.env.TEST_DATABASE_URL } : {}),
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    product.stderr!.on("data", (d) => (stderr += d));
    const demoPids = () =>
      [...stderr.matchAll(/demo MCP server started \(pid (\d+)\)/g)].map((m) => Number(m[1]));
    const api = `http://127.0.0.1:${apiPort}/healthz`;
    const demo = `http://127.0.0.1:${demoPort}/`;

    await expect.poll(() => answers(api), { timeout: 45_000, interval: 200 }).toBe(200);
    await expect.poll(() => answers(demo), { timeout: 15_000, interval: 100 }).toBe(200);
    expect(demoPids()).toHaveLength(1);

    process.kill(demoPids()[0]!, "SIGKILL");
    await expect.poll(() => demoPids().length, { timeout: 15_000, interval: 100 }).toBe(2);
    expect(stderr).toMatch(/demo MCP server exited \(SIGKILL\); restarting in \d+ ms/);
    // The API never went down, and the restarted demo server answers again.
    expect(await answers(api)).toBe(200);
    await expect.poll(() => answers(demo), { timeout: 15_000, interval: 100 }).toBe(200);
    expect(product.exitCode).toBeNull();

    const exited = new Promise<number | null>((resolve) => product!.on("exit", (code) => resolve(code)));
    product.kill("SIGTERM");
    expect(await exited).toBe(0);
    await expect.poll(() => answers(api), { timeout: 10_000 }).toBeUndefined();
    await expect.poll(() => answers(demo), { timeout: 10_000 }).toBeUndefined();
  });
});
