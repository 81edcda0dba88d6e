import type { ExtractTablesWithRelations } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from "drizzle-orm/pg-core";
import type * as schema from "./schema.js";

type Schema = typeof schema;

/** An open transaction (drizzle's, on either driver). */
export type Transaction = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;

/**
 * Where a query runs: the database, or a transaction opened on it. Services take one (defaulting to
 * the database) so a caller can make several services' writes one transaction.
 */
export type Executor = PgDatabase<PgQueryResultHKT, Schema> | Transaction;

/**
 * Runs `fn` in a transaction on `executor`: BEGIN … COMMIT on the database, a savepoint inside an open
 * transaction (so a failing inner step can be undone alone). A throw rolls back and rethrows.
 *
 * Every query of `fn` must go through `tx`. On PGlite, one connection serves everything: a query
 * issued on the database while the transaction is open waits for it to end, so awaiting one inside
 * `fn` never returns. On PostgreSQL it would run on another connection, outside the transaction.
 */
export function withTransaction<T>(executor: Executor, fn: (tx: Transaction) => Promise<T>): Promise<T> {
  return (executor as PgDatabase<PgQueryResultHKT, Schema>).transaction(fn);
}
