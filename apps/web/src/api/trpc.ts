import type { AppRouter } from "@mcpdeck/api/router";
import {
  createTRPCClient,
  createWSClient,
  httpBatchLink,
  splitLink,
  type TRPCClientError,
  type TRPCLink,
  wsLink,
} from "@trpc/client";
import { observable } from "@trpc/server/observable";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import type { TokenManager } from "../auth/token-manager.js";
import { httpStatusOf } from "./errors.js";

export type { RouterInputs, RouterOutputs } from "@mcpdeck/api/router";

/** tRPC's TanStack Query integration: `useTRPC()` gives typed query and mutation options. */
export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

/**
 * Retries a call once when the API answers 401 on an expired or replaced access token: the token
 * manager refreshes once for every call that failed together (single flight), and each retries with
 * the new token. Sign-in calls (`auth.*`) answer 401 for a wrong code: those are never retried.
 */
function retryUnauthenticated(tokens: TokenManager): TRPCLink<AppRouter> {
  return () =>
    ({ op, next }) =>
      observable((observer) => {
        const sentWith = tokens.accessToken();
        let retried = false;
        let current = next(op).subscribe({
          next: (value) => observer.next(value),
          complete: () => observer.complete(),
          error: (error: TRPCClientError<AppRouter>) => {
            const authCall = op.path.startsWith("auth.");
            if (retried || authCall || op.type === "subscription" || httpStatusOf(error) !== 401) {
              observer.error(error);
              return;
            }
            retried = true;
            void tokens.tokenAfterFailure(sentWith).then((token) => {
              if (!token) {
                observer.error(error);
                return;
              }
              current = next(op).subscribe(observer);
            });
          },
        });
        return () => current.unsubscribe();
      });
}

/**
 * The typed API client: queries and mutations batched over HTTP with the access token in memory;
 * subscriptions (live server status) over one lazy WebSocket, opened with the current token.
 */
export function createApiClient(tokens: TokenManager) {
  const origin = window.location.origin;
  const wsClient = createWSClient({
    url: `${origin.replace(/^http/, "ws")}/trpc`,
    lazy: { enabled: true, closeMs: 5_000 },
    connectionParams: async () => {
      const token = tokens.accessToken() ?? (await tokens.refresh());
      return token ? { token } : {};
    },
  });
  const client = createTRPCClient<AppRouter>({
    links: [
      retryUnauthenticated(tokens),
      splitLink({
        condition: (op) => op.type === "subscription",
        true: wsLink({ client: wsClient }),
        false: httpBatchLink({
          url: "/trpc",
          headers() {
            const token = tokens.accessToken();
            return token ? { authorization: `Bearer ${token}` } : {};
          },
        }),
      }),
    ],
  });
  return { client, close: () => wsClient.close() };
}

export type ApiClient = ReturnType<typeof createApiClient>["client"];
