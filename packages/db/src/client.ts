import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import * as schema from "./schema.js";

export type Schema = typeof schema;
/** The one drizzle API the app uses, whichever driver is underneath. */
export type Database = PgDatabase<PgQueryResultHKT, Schema>;

export const migrationsFolder = fileURLToPath(new URL("../drizzle", import.meta.url));

export interface DbHandle {
  db: Database;
  kind: "postgres" | "pglite";
  /** Raw SQL escape hatch for LISTEN/NOTIFY-free admin tasks (tests, dumps). */
  execute(query: string): Promise<unknown[]>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
  /** Present on PGlite: the embedded instance (tests dump it as a template). */
  pglite?: PGlite;
}

export interface CreateDbOptions {
  /** postgres:// URL; when absent, embedded PGlite is used. */
  databaseUrl?: string;
  /** PGlite data directory; `memory://` or undefined keeps it in memory. */
  dataDir?: string;
  /** Start PGlite from a dumped, already-migrated data dir (tests). */
  loadDataDir?: Blob;
  /** Postgres pool size. */
  maxConnections?: number;
  /** Run migrations (default true). Idempotent: applied ones are skipped. */
  migrate?: boolean;
}

export async function createDb(options: CreateDbOptions = {}): Promise<DbHandle> {
  const runMigrations = options.migrate ?? true;
  if (options.databaseUrl) {
    const client = postgres(options.databaseUrl, {
      max: options.maxConnections ?? 10,
      onnotice: () => {},
      connect_timeout: 10,
    });
    const db = drizzlePostgres(client, { schema }) as unknown as Database;
    if (runMigrations) {
      // One dedicated connection holding an advisory lock serialises concurrent start-ups of several
      // API processes on one database.
      const migrator = postgres(options.databaseUrl, { max: 1, onnotice: () => {}, connect_timeout: 10 });
      try {
        await migrator`select pg_advisory_lock(7318001)`;
        await migratePostgres(drizzlePostgres(migrator, { schema }), { migrationsFolder });
        await migrator`select pg_advisory_unlock(7318001)`;
      } finally {
        await migrator.end({ timeout: 5 });
      }
    }
    return {
      db,
      kind: "postgres",
      execute: async (q) => [...(await client.unsafe(q))],
      ping: () => ping(db),
      close: () => client.end({ timeout: 5 }),
    };
  }
  const dataDir = options.dataDir && options.dataDir !== "memory://" ? options.dataDir : undefined;
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const pglite = await PGlite.create({
    ...(dataDir ? { dataDir } : {}),
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
  });
  const db = drizzlePglite(pglite, { schema }) as unknown as Database;
  if (runMigrations) await migratePglite(drizzlePglite(pglite, { schema }), { migrationsFolder });
  return {
    db,
    kind: "pglite",
    pglite,
    execute: async (q) => {
      const results = await pglite.exec(q);
      return results.flatMap((r) => r.rows);
    },
    ping: () => ping(db),
    close: () => pglite.close(),
  };
}

async function ping(db: Database): Promise<boolean> {
  try {
    await Promise.race([
      db.execute(sql`select 1`),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error("database ping timed out")), 2000).unref(),
      ),
    ]);
    return true;
  } catch {
    return false;
  }
}
