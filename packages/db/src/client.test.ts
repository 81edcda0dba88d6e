import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb } from "./client.js";
import { newId } from "./ids.js";
import { users } from "./schema.js";
import { createTestDb } from "./testing.js";

describe("createDb", () => {
  it("gives a migrated database whose data survives a restart with migrations already applied", async () => {
    if (process.env.TEST_DATABASE_URL) {
      const first = await createTestDb();
      const id = newId();
      await first.db.insert(users).values({ id, email: "a@example.com", username: "alpha" });
      // Second handle on the same database: migrations run again and are skipped.
      const second = await createDb({ databaseUrl: first.url! });
      const rows = await second.db.select().from(users).where(eq(users.id, id));
      expect(rows[0]?.username).toBe("alpha");
      await second.close();
      await first.close();
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), "mcpdeck-db-"));
    try {
      const first = await createDb({ dataDir: dir });
      const id = newId();
      await first.db.insert(users).values({ id, email: "a@example.com", username: "alpha" });
      await first.close();
      const second = await createDb({ dataDir: dir });
      const rows = await second.db.select().from(users).where(eq(users.id, id));
      expect(rows[0]?.email).toBe("a@example.com");
      expect(await second.ping()).toBe(true);
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it("isolates test databases from each other", async () => {
    const [a, b] = await Promise.all([createTestDb(), createTestDb()]);
    await a.db.insert(users).values({ id: newId(), email: "only-a@example.com", username: "only_a" });
    expect(await a.db.select().from(users)).toHaveLength(1);
    expect(await b.db.select().from(users)).toHaveLength(0);
    await Promise.all([a.close(), b.close()]);
  }, 60_000);

  it("rejects a case-insensitive duplicate username", async () => {
    const db = await createTestDb();
    await db.db.insert(users).values({ id: newId(), email: "x@example.com", username: "Neo" });
    await expect(
      db.db.insert(users).values({ id: newId(), email: "y@example.com", username: "neo" }),
    ).rejects.toThrow();
    await db.close();
  }, 60_000);
});

describe("newId", () => {
  it("is a time-ordered UUIDv7", () => {
    const a = newId(1_700_000_000_000);
    const b = newId(1_700_000_000_001);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a < b).toBe(true);
  });
});
