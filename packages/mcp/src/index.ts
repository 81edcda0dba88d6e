export * from "./connection.js";
export * from "./errors.js";
export * from "./net/index.js";
export * from "./pool.js";
