export * from "./ip.js";
export * from "./ssrf.js";
