import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDb } from "@mcpdeck/db/testing";
import { expect, it } from "vitest";
import { startTestApp } from "../testing/harness.js";

it("restarts on its data dir with migrations already applied: same keys, same users, tokens still valid", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "mcpdeck-restart-"));
  // On PostgreSQL: a database of its own, migrated once here, then opened by the app itself as in
  // production. On PGlite: the app creates <dataDir>/pgdata on first start.
  const pg = process.env.TEST_DATABASE_URL ? await createTestDb() : undefined;
  const env: Record<string, string> = pg?.url ? { DATABASE_URL: pg.url } : {};
  try {
    const first = await startTestApp({ dataDir, ownDatabase: true, env });
    expect(first.services.dbHandle.kind).toBe(pg ? "postgres" : "pglite");
    const session = await first.signIn("restart@example.com");
    const keysBefore = readFileSync(join(dataDir, "keys.json"), "utf8");
    await first.close();

    const second = await startTestApp({ dataDir, ownDatabase: true, env });
    try {
      expect(readFileSync(join(dataDir, "keys.json"), "utf8")).toBe(keysBefore);
      const profile = await second.request("GET", "/api/v1/user/profile", { token: session.access_token });
      expect(profile.status).toBe(200);
      expect(profile.body).toEqual(session.user);
      const refreshed = await second.request("POST", "/api/v1/auth/refresh", {
        body: { refresh_token: session.refresh_token },
      });
      expect(refreshed.status).toBe(200);
      const rows = await second.db.execute(
        "select count(*)::int as n from users where email = 'restart@example.com'",
      );
      expect(rows).toEqual([{ n: 1 }]);
    } finally {
      await second.close();
    }
  } finally {
    await pg?.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
