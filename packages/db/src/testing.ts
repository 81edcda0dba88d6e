import { createHash, randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { createDb, type DbHandle, migrationsFolder } from "./client.js";

/**
 * A fresh, migrated database for one test: its own database on the real PostgreSQL when
 * TEST_DATABASE_URL is set, otherwise an in-memory PGlite loaded from a migrated template
 * (initdb once per machine and migration set, not once per test).
 */
export async function createTestDb(): Promise<DbHandle & { url?: string }> {
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (adminUrl) return createPostgresTestDb(adminUrl);
  const template = await pgliteTemplate();
  return createDb({ loadDataDir: template });
}

async function createPostgresTestDb(adminUrl: string): Promise<DbHandle & { url: string }> {
  const name = `mcpdeck_test_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const handle = await createDb({ databaseUrl: url.toString(), maxConnections: 5 });
  return {
    ...handle,
    url: url.toString(),
    close: async () => {
      await handle.close();
      const dropper = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        await dropper.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await dropper.end();
      }
    },
  };
}

let templatePromise: Promise<Blob> | undefined;

function pgliteTemplate(): Promise<Blob> {
  templatePromise ??= (async () => {
    const hash = createHash("sha256");
    for (const f of readdirSync(migrationsFolder, { recursive: true }).map(String).sort()) {
      if (f.endsWith(".sql") || f.endsWith(".json"))
        hash.update(f).update(readFileSync(join(migrationsFolder, f)));
    }
    const file = join(tmpdir(), `mcpdeck-pglite-template-${hash.digest("hex").slice(0, 16)}.tar.gz`);
    if (existsSync(file)) return new Blob([readFileSync(file)]);
    const fresh = await createDb();
    const dump = await fresh.pglite!.dumpDataDir("gzip");
    await fresh.close();
    const bytes = Buffer.from(await dump.arrayBuffer());
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}`;
    writeFileSync(tmp, bytes);
    renameSync(tmp, file); // atomic: concurrent workers never read a half-written template
    return new Blob([bytes]);
  })();
  return templatePromise;
}
