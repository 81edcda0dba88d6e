import type { ApiError } from "@mcpdeck/contracts";
import { createTokenManager, RefreshRefused } from "./token-manager.js";

const AUTH_BASE = "/api/v1/auth";

/**
 * Calls a sign-in route of the REST API. These two are plain fetches rather than tRPC: the refresh
 * cookie's path is `/api/v1/auth`, so only these routes carry it, and the tRPC link that retries on
 * 401 must not call through itself.
 */
async function post(path: string): Promise<Response> {
  return fetch(`${AUTH_BASE}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}",
    credentials: "same-origin",
  });
}

/** The tab's token manager, wired to the API's cookie routes and to the browser's other tabs. */
export function createBrowserTokenManager() {
  return createTokenManager({
    async refresh() {
      const res = await post("/refresh");
      const body = (await res.json().catch(() => ({}))) as Partial<ApiError> & { access_token?: string };
      if (res.ok && body.access_token) return body.access_token;
      // 400 (no cookie) and 401 (spent, reused, revoked): signed out. 429 and 5xx: try again later.
      if (res.status === 400 || res.status === 401) {
        throw new RefreshRefused(body.code ?? "UNAUTHENTICATED", body.message ?? "Sign in again.");
      }
      throw new Error(body.message ?? `refresh failed (${res.status})`);
    },
    async logout() {
      await post("/logout").catch(() => undefined);
    },
    now: () => Date.now(),
    setTimer: (run, ms) => window.setTimeout(run, ms),
    clearTimer: (timer) => window.clearTimeout(timer as number),
    random: Math.random,
    ...(typeof BroadcastChannel === "function" ? { channel: new BroadcastChannel("mcpdeck-auth") } : {}),
  });
}
