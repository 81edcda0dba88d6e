/**
 * A real mcpdeck API (and the real demo MCP server) on ephemeral loopback ports, for the tests of the
 * SDK and of the CLI built on it. The API runs in this process over a fresh database (PGlite, or a
 * database of its own on PostgreSQL with TEST_DATABASE_URL); its clock can be moved forward to expire
 * tokens without waiting.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, type RunningApp, startApp } from "@mcpdeck/api";
import { createTestDb } from "@mcpdeck/db/testing";
import { type DemoMcpHandle, startDemoMcpServer } from "@mcpdeck/demo-mcp";

export interface LiveApi {
  /** The API's base URL, e.g. http://127.0.0.1:54321. */
  url: string;
  /** The demo MCP server's endpoint. */
  demoUrl: string;
  app: RunningApp;
  /** Moves the API's clock forward (its tokens expire by it). */
  advanceClock(ms: number): void;
  /** The sign-in code last mailed to `email` (the development outbox). */
  code(email: string): Promise<string>;
  close(): Promise<void>;
}

export async function startLiveApi(opts: { env?: Record<string, string> } = {}): Promise<LiveApi> {
  const dataDir = mkdtempSync(join(tmpdir(), "mcpdeck-sdk-test-"));
  const demo: DemoMcpHandle = await startDemoMcpServer({ port: 0 });
  let offset = 0;
  const db = await createTestDb();
  const app = await startApp({
    config: loadConfig({
      NODE_ENV: "test",
      PORT: "0",
      HOST: "127.0.0.1",
      MCPDECK_DATA_DIR: dataDir,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
      MCPDECK_DEMO_MCP_URL: "none",
      PUBLIC_URL: "http://127.0.0.1:3000",
      ...opts.env,
    }),
    dbHandle: db,
    clock: { now: () => new Date(Date.now() + offset) },
    statusChecks: false,
  });

  async function code(email: string): Promise<string> {
    for (let i = 0; i < 100; i++) {
      const res = await fetch(
        `${app.url}/api/v1/dev/outbox?email=${encodeURIComponent(email.toLowerCase())}`,
      );
      const body = (await res.json()) as { messages?: { code?: string }[] };
      const found = body.messages?.[0]?.code;
      if (found) return found;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no sign-in code for ${email} in the development outbox`);
  }

  return {
    url: app.url,
    demoUrl: demo.url,
    app,
    advanceClock(ms) {
      offset += ms;
    },
    code,
    async close() {
      await app.close();
      await db.close();
      await demo.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
