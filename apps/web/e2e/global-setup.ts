import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../..", import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitForHealth(url: string, child: ChildProcess, log: () => string) {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the product exited (${child.exitCode}):\n${log()}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the product did not become healthy in time:\n${log()}`);
}

/**
 * Starts the product exactly as README command 1 does after its build step: `node scripts/start.mjs`
 * (demo MCP server + API serving apps/web/dist), on free loopback ports and a fresh data dir.
 * The web client must be built first (the package's `test` script builds it).
 */
export default async function globalSetup() {
  const [port, demoPort, oauthDemoPort] = [await freePort(), await freePort(), await freePort()];
  const dataDir = mkdtempSync(join(tmpdir(), "mcpdeck-e2e-"));
  const baseUrl = `http://127.0.0.1:${port}`;
  let output = "";
  const child = spawn(process.execPath, ["scripts/start.mjs"], {
    cwd: root,
    env: {
      ...process.env,
      NODE_ENV: "development",
      PORT: String(port),
      HOST: "127.0.0.1",
      PUBLIC_URL: baseUrl,
      DEMO_MCP_PORT: String(demoPort),
      MCPDECK_DATA_DIR: dataDir,
      // Many sign-ins and calls from one address in a few minutes.
      MCPDECK_RATE_LIMIT_AUTH: "10000",
      MCPDECK_RATE_LIMIT_API: "100000",
      MCPDECK_STATUS_INTERVAL_S: "5",
      LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? "warn",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
    if (process.env.E2E_VERBOSE) process.stderr.write(chunk);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  // A second demo server, protected by OAuth (its authorization server approves at once), for the
  // "authorize" round trip. An MCP server of the person's own, not part of the product.
  const oauthDemo = spawn(process.execPath, ["--import", "tsx", "apps/demo-mcp/src/main.ts"], {
    cwd: root,
    env: { ...process.env, DEMO_MCP_PORT: String(oauthDemoPort), DEMO_MCP_OAUTH: "true" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  oauthDemo.stdout!.on("data", keep);
  oauthDemo.stderr!.on("data", keep);
  await waitForHealth(baseUrl, child, () => output);
  process.env.E2E_BASE_URL = baseUrl;
  process.env.E2E_DEMO_MCP_URL = `http://127.0.0.1:${demoPort}/mcp`;
  process.env.E2E_OAUTH_MCP_URL = `http://127.0.0.1:${oauthDemoPort}/mcp`;

  return async () => {
    oauthDemo.kill("SIGTERM");
    child.kill("SIGTERM");
    await new Promise((resolve) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        resolve(undefined);
      }, 8_000);
      child.once("exit", () => {
        clearTimeout(timer);
        resolve(undefined);
      });
    });
    rmSync(dataDir, { recursive: true, force: true });
  };
}
