/**
 * `@mcpdeck/sdk` for Node (≥ 20): WebSockets from `ws`, the access token sent as a header.
 * Browsers get `browser.ts` instead (the package's `browser` export condition).
 */
import WebSocket from "ws";
import { type ClientOptions, createClientFor, type McpdeckClient } from "./client.js";
import type { Platform } from "./platform.js";

export * from "./exports.js";

const node: Platform = {
  openSocket: (url, token) =>
    new WebSocket(url, { headers: { authorization: `Bearer ${token}` } }) as unknown as ReturnType<
      Platform["openSocket"]
    >,
  WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
};

/** A client of the mcpdeck API at `baseUrl`. */
export function createClient(opts: ClientOptions): McpdeckClient {
  return createClientFor(node, opts);
}
