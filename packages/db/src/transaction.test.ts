import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "./client.js";
import { newId } from "./ids.js";
import { users } from "./schema.js";
import { createTestDb } from "./testing.js";
import { withTransaction } from "./transaction.js";

let handle: DbHandle;
beforeAll(async () => {
  handle = await createTestDb();
}, 60_000);
afterAll(() => handle?.close());

const user = (label: string) => ({ id: newId(), email: `${label}@example.com`, username: label });
const emails = async () => (await handle.db.select({ email: users.email }).from(users)).map((r) => r.email);

describe("withTransaction", () => {
  it("commits every write of the callback and returns its value", async () => {
    const result = await withTransaction(handle.db, async (tx) => {
      await tx.insert(users).values(user("commit_a"));
      await tx.insert(users).values(user("commit_b"));
      return "done";
    });
    expect(result).toBe("done");
    expect(await emails()).toEqual(expect.arrayContaining(["commit_a@example.com", "commit_b@example.com"]));
  });

  it("rolls every write back when the callback throws, and rethrows", async () => {
    await expect(
      withTransaction(handle.db, async (tx) => {
        await tx.insert(users).values(user("rollback_a"));
        throw new Error("step two failed");
      }),
    ).rejects.toThrow("step two failed");
    expect(await emails()).not.toContain("rollback_a@example.com");
  });

  it("rolls back when a statement fails, leaving the database usable", async () => {
    const first = user("dup_first");
    await expect(
      withTransaction(handle.db, async (tx) => {
        await tx.insert(users).values(first);
        await tx.insert(users).values({ ...user("dup_second"), email: first.email });
      }),
    ).rejects.toThrow();
    expect(await emails()).not.toContain("dup_first@example.com");
    await handle.db.insert(users).values(user("after_failure"));
    expect(await emails()).toContain("after_failure@example.com");
  });

  it("nests as a savepoint: a failing inner step is undone alone and the outer one commits", async () => {
    await withTransaction(handle.db, async (tx) => {
      await tx.insert(users).values(user("outer"));
      await expect(
        withTransaction(tx, async (inner) => {
          await inner.insert(users).values(user("inner_failed"));
          throw new Error("inner step failed");
        }),
      ).rejects.toThrow("inner step failed");
      await withTransaction(tx, (inner) => inner.insert(users).values(user("inner_ok")));
    });
    const seen = await emails();
    expect(seen).toEqual(expect.arrayContaining(["outer@example.com", "inner_ok@example.com"]));
    expect(seen).not.toContain("inner_failed@example.com");
  });

  it("keeps uncommitted writes invisible outside the transaction (PostgreSQL) or queues outside work behind it (PGlite)", async () => {
    const row = user("isolated");
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    let inserted!: () => void;
    const written = new Promise<void>((r) => {
      inserted = r;
    });
    const tx = withTransaction(handle.db, async (t) => {
      await t.insert(users).values(row);
      inserted();
      await held;
    });
    await written;
    // Outside the transaction: PostgreSQL answers from another connection without the row; PGlite's
    // one connection makes the query wait until the transaction ends, then sees the row.
    const outside = handle.db.select().from(users).where(eq(users.id, row.id)).execute();
    if (handle.kind === "postgres") {
      expect(await outside).toHaveLength(0);
      release();
    } else {
      let answered = false;
      void outside.then(() => {
        answered = true;
      });
      await new Promise((r) => setImmediate(r));
      expect(answered).toBe(false);
      release();
      expect(await outside).toHaveLength(1);
    }
    await tx;
    expect(await handle.db.select().from(users).where(eq(users.id, row.id))).toHaveLength(1);
  });
});
