import type { Executor } from "@mcpdeck/db";
import type { Clock } from "../clock.js";
import { insertServer } from "./insert.js";

export const DEMO_SERVER_NAME = "demo";

/**
 * Every new user starts with the bundled demo MCP server, so a first session needs no setup. Runs
 * inside the sign-up transaction: no account without its demo server, and no server without its account.
 */
export async function registerDemoServer(
  executor: Executor,
  clock: Clock,
  userId: string,
  url: string,
): Promise<void> {
  await insertServer(
    executor,
    { userId, name: DEMO_SERVER_NAME, url, authMethod: "none", timeoutSec: 30, sslVerify: true },
    clock.now(),
  );
}
