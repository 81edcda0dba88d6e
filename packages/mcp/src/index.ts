export * from "./change-feed.js";
export * from "./connection.js";
export * from "./era.js";
export * from "./errors.js";
export * from "./hooks.js";
export * from "./net/index.js";
export * from "./pool.js";
