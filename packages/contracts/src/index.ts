export * from "./auth.js";
export * from "./common.js";
export * from "./dev.js";
export * from "./errors.js";
export * from "./health.js";
export * from "./pagination.js";
export * from "./servers.js";
export * from "./ws.js";
