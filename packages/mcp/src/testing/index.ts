export * from "./features.js";
export * from "./modern-peer.js";
export * from "./peers.js";
