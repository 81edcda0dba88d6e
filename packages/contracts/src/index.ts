export * from "./auth.js";
export * from "./common.js";
export * from "./errors.js";
export * from "./servers.js";
export * from "./ws.js";
