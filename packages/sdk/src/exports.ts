/** What both entry points (Node and browser) export besides `createClient`. */
export type { ClientOptions, DownloadedArtifact, McpdeckClient } from "./client.js";
export { type ClientErrorCode, McpdeckError } from "./errors.js";
export { Session, type SessionOptions } from "./session.js";
export { memoryTokenStore, type TokenStore } from "./tokens.js";
export type * from "./types.js";
export { type GraphState, graphDone, type NodeState, SessionView, TERMINAL_STATUSES } from "./view.js";
