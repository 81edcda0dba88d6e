import { type Database, isUniqueViolation, mcpServers, newId } from "@mcpdeck/db";
import type { Clock } from "../clock.js";

export const DEMO_SERVER_NAME = "demo";

/** Every new user starts with the bundled demo MCP server, so a first session needs no setup. */
export async function registerDemoServer(
  db: Database,
  clock: Clock,
  userId: string,
  url: string,
): Promise<void> {
  const now = clock.now();
  try {
    await db.insert(mcpServers).values({
      id: newId(),
      userId,
      name: DEMO_SERVER_NAME,
      url,
      authMethod: "none",
      timeoutSec: 30,
      sslVerify: true,
      status: "offline",
      nextCheckAt: now,
      createdAt: now,
      updatedAt: now,
    });
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
  }
}
