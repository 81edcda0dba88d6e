import type { AppRouter } from "@mcpdeck/api/router";
import { createTRPCClient, httpBatchLink } from "@trpc/client";

export type { RouterInputs, RouterOutputs } from "@mcpdeck/api/router";

/**
 * The typed API client: procedures, inputs, outputs and errors (`error.data.error.code`) all come
 * from the API's router type, through its types-only entry — nothing of the server is bundled.
 */
export function createApiClient(getAccessToken: () => string | undefined = () => undefined) {
  return createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: "/trpc",
        headers() {
          const token = getAccessToken();
          return token ? { authorization: `Bearer ${token}` } : {};
        },
      }),
    ],
  });
}

export type ApiClient = ReturnType<typeof createApiClient>;
