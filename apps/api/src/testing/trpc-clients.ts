import type { AppRouter } from "@mcpdeck/api/router";
import { createTRPCClient, createWSClient, httpBatchLink, TRPCClientError, wsLink } from "@trpc/client";
import WebSocket from "ws";
import type { TestApp } from "./harness.js";

/**
 * Typed tRPC clients on a running test app, typed from the API's types-only entry exactly as the
 * web client is.
 */
export function trpcHttpClient(
  app: TestApp,
  opts: { token?: string; headers?: Record<string, string> } = {},
) {
  const headers = { ...opts.headers, ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}) };
  return createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: `${app.url}/trpc`, headers })] });
}

/** A tRPC client over WebSocket (the `ws` package); the token travels as connection params. */
export function trpcWsClient(app: TestApp, opts: { token?: string; headers?: Record<string, string> } = {}) {
  const headers = opts.headers ?? {};
  // The upgrade request's own headers (e.g. X-Forwarded-For from a proxy in front).
  class WebSocketWithHeaders extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols, { headers });
    }
  }
  const socket = createWSClient({
    url: `${app.url.replace("http", "ws")}/trpc`,
    WebSocket: WebSocketWithHeaders as unknown as typeof globalThis.WebSocket,
    ...(opts.token ? { connectionParams: { token: opts.token } } : {}),
    retryDelayMs: () => 60_000,
  });
  return {
    client: createTRPCClient<AppRouter>({ links: [wsLink({ client: socket })] }),
    close: () => socket.close(),
  };
}

/** A failed call's error, typed: `error.data.error` is the API's one error shape. */
export function apiErrorOf(error: unknown): TRPCClientError<AppRouter> {
  if (error instanceof TRPCClientError) return error as TRPCClientError<AppRouter>;
  throw error;
}

/** The typed error of a call that must fail. */
export async function callError(call: Promise<unknown>): Promise<TRPCClientError<AppRouter>> {
  try {
    await call;
  } catch (error) {
    return apiErrorOf(error);
  }
  throw new Error("expected the call to fail");
}
