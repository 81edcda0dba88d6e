import { type Executor, mcpServers, newId } from "@mcpdeck/db";
import type { ServerRow } from "./service.js";

/** What a caller decides about a new server; status, check schedule and timestamps are set here. */
export type NewServer = Pick<
  typeof mcpServers.$inferInsert,
  "userId" | "name" | "url" | "authMethod" | "credentials" | "timeoutSec" | "sslVerify"
> & { id?: string };

/**
 * The one way a server row is created (the registry's `create`, the demo pre-registration), on the
 * database or inside a caller's transaction. Resolves undefined when the user already has a server of
 * that name — as a conflict the statement skips, not an error, so an open transaction stays usable.
 */
export async function insertServer(
  executor: Executor,
  server: NewServer,
  now: Date,
): Promise<ServerRow | undefined> {
  const [row] = await executor
    .insert(mcpServers)
    .values({
      id: newId(),
      ...server,
      status: "offline",
      nextCheckAt: now,
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoNothing()
    .returning();
  return row;
}
