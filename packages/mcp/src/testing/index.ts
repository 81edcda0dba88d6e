export * from "./features.js";
export * from "./loopback.js";
export * from "./modern-peer.js";
export * from "./oauth-peer.js";
export * from "./peers.js";
