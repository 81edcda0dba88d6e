export { type CreateDbOptions, createDb, type Database, type DbHandle, migrationsFolder } from "./client.js";
export { isUniqueViolation, rowsOf } from "./errors.js";
export { newId } from "./ids.js";
export { type ListenOptions, NOTIFY_PAYLOAD_MAX_BYTES, type Unlisten } from "./notify.js";
export * as schema from "./schema.js";
export * from "./schema.js";
export { type Executor, type Transaction, withTransaction } from "./transaction.js";
