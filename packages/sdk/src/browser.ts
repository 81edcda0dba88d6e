/**
 * `@mcpdeck/sdk` in browsers: the browser's own WebSocket. It cannot send headers, so the session
 * socket gets the access token in its query (`?token=`).
 */
import { type ClientOptions, createClientFor, type McpdeckClient } from "./client.js";
import type { Platform } from "./platform.js";

export * from "./exports.js";

const browser: Platform = {
  openSocket(url, token) {
    const withToken = new URL(url);
    withToken.searchParams.set("token", token);
    return new globalThis.WebSocket(withToken);
  },
  get WebSocket() {
    return globalThis.WebSocket;
  },
};

/** A client of the mcpdeck API at `baseUrl`. */
export function createClient(opts: ClientOptions): McpdeckClient {
  return createClientFor(browser, opts);
}
