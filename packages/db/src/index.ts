export { type CreateDbOptions, createDb, type Database, type DbHandle, migrationsFolder } from "./client.js";
export { isUniqueViolation, rowsOf } from "./errors.js";
export { newId } from "./ids.js";
export * as schema from "./schema.js";
export * from "./schema.js";
