/**
 * A real mcpdeck API (and the real demo MCP server) on ephemeral loopback ports, for the tests of the
 * SDK and of the CLI built on it: the API's own test harness (`startTestApp`, a fresh database —
 * PGlite, or a database of its own on PostgreSQL with TEST_DATABASE_URL), with a clock that can be
 * moved forward to expire tokens without waiting.
 */
import { startTestApp, type TestApp } from "@mcpdeck/api/testing/harness";
import { startDemoMcpServer } from "@mcpdeck/demo-mcp";

export interface LiveApi {
  /** The API's base URL, e.g. http://127.0.0.1:54321. */
  url: string;
  /** The demo MCP server's endpoint. */
  demoUrl: string;
  app: TestApp;
  /** Moves the API's clock forward (its tokens expire by it). */
  advanceClock(ms: number): void;
  /** The sign-in code last mailed to `email` (the development outbox). */
  code(email: string): Promise<string>;
  close(): Promise<void>;
}

export async function startLiveApi(
  opts: {
    env?: Record<string, string>;
    /** How often session sockets send their status and re-check the sign-in (default 15 s). */
    socketStatusEveryMs?: number;
  } = {},
): Promise<LiveApi> {
  const demo = await startDemoMcpServer({ port: 0 });
  let offset = 0;
  const app = await startTestApp({
    ...opts,
    clock: { now: () => new Date(Date.now() + offset) },
    statusChecks: false,
  });
  return {
    url: app.url,
    demoUrl: demo.url,
    app,
    advanceClock(ms) {
      offset += ms;
    },
    code: (email) => app.latestCode(email.toLowerCase()),
    async close() {
      await app.close();
      await demo.close();
    },
  };
}
