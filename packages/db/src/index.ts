export { createDb, type Database, type DbHandle, type CreateDbOptions, migrationsFolder } from "./client.js";
export { newId } from "./ids.js";
export { isUniqueViolation, rowsOf } from "./errors.js";
export * as schema from "./schema.js";
export * from "./schema.js";
