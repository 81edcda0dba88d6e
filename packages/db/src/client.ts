import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { PGlite, types } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { createListen, type Listen, notify } from "./notify.js";
import * as schema from "./schema.js";
import type { Executor } from "./transaction.js";

export type Schema = typeof schema;
/** The one drizzle API the app uses, whichever driver is underneath. */
export type Database = PgDatabase<PgQueryResultHKT, Schema>;

export const migrationsFolder = fileURLToPath(new URL("../drizzle", import.meta.url));

export interface DbHandle {
  db: Database;
  kind: "postgres" | "pglite";
  /** Raw SQL escape hatch for admin tasks (tests, dumps). */
  execute(query: string): Promise<unknown[]>;
  /**
   * Calls `onPayload` with every notification on `channel` from now on, from any process on the
   * database, until the returned function is called. Resolves once listening. See notify.ts.
   */
  listen: Listen;
  /** Notifies `channel`; through `executor` a transaction, delivered only if it commits. */
  notify(channel: string, payload: string, executor?: Executor): Promise<void>;
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
      // postgres.js listens on a connection of its own, opened on first use, re-listens after losing
      // it (calling `onlisten` again) and closes it with the pool.
      listen: createListen(async (channel, dispatch, onRelisten) => {
        let listening = false;
        await client.listen(channel, dispatch, () => {
          if (listening) onRelisten();
          listening = true;
        });
      }),
      notify: (channel, payload, executor = db) => notify(executor, channel, payload),
      ping: () => ping(db),
      close: () => client.end({ timeout: 5 }),
    };
  }
  const dataDir = options.dataDir && options.dataDir !== "memory://" ? options.dataDir : undefined;
  // Only its owner may enter the database's directory (PGlite writes its files world-readable).
  if (dataDir) mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const pglite = await PGlite.create({
    ...(dataDir ? { dataDir } : {}),
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
    parsers: DATES_AS_TEXT,
  });
  const db = drizzlePglite(drizzleClient(pglite), { schema }) as unknown as Database;
  if (runMigrations) await migratePglite(drizzlePglite(pglite, { schema }), { migrationsFolder });
  return {
    db,
    kind: "pglite",
    pglite,
    execute: async (q) => {
      const results = await pglite.exec(q);
      return results.flatMap((r) => r.rows);
    },
    // In-process: the one connection delivers its own notifications, and is never lost.
    listen: createListen(async (channel, dispatch) => {
      await pglite.listen(channel, dispatch);
    }),
    notify: (channel, payload, executor = db) => notify(executor, channel, payload),
    ping: () => ping(db),
    close: () => pglite.close(),
  };
}

/**
 * drizzle reads dates (and date arrays, numeric arrays) as text and parses them itself. Through
 * PGlite it asks for that on every query, and PGlite then merges the request into its whole parser
 * table — an entry per type, hundreds — each time: about a tenth of a millisecond on every query.
 * The instance is created with these parsers instead (as drizzle sets them once on a postgres.js
 * client, so raw queries read dates the same way on both), and `drizzleClient` drops the copy.
 */
const asText = (value: string) => value;
const NUMERIC_ARRAY = 1231;
const TIMESTAMP_ARRAY = 1115;
const TIMESTAMPTZ_ARRAY = 1185;
const INTERVAL_ARRAY = 1187;
const DATE_ARRAY = 1182;
const DATES_AS_TEXT = Object.fromEntries(
  [
    types.TIMESTAMP,
    types.TIMESTAMPTZ,
    types.INTERVAL,
    types.DATE,
    NUMERIC_ARRAY,
    TIMESTAMP_ARRAY,
    TIMESTAMPTZ_ARRAY,
    INTERVAL_ARRAY,
    DATE_ARRAY,
  ].map((oid) => [oid, asText]),
);

type Query = PGlite["query"];

/** The PGlite client drizzle is given: its queries, minus the parsers the instance already has. */
function drizzleClient(pglite: PGlite) {
  const withoutParsers =
    (query: Query): Query =>
    (text, params, options) =>
      query(text, params, options && { ...options, parsers: undefined });
  return {
    query: withoutParsers(pglite.query.bind(pglite)),
    transaction: <T>(fn: (tx: { query: Query }) => Promise<T>) =>
      pglite.transaction((tx) => fn({ query: withoutParsers(tx.query.bind(tx)) })),
  } as unknown as PGlite;
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
