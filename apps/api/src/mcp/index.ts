export * from "./connection.js";
export * from "./errors.js";
export * from "./pool.js";
