import {
  createTRPCClientProxy,
  createTRPCUntypedClient,
  createWSClient,
  httpLink,
  splitLink,
  type TRPCClient,
  type TRPCUntypedClient,
  type TRPCWebSocketClient,
  wsLink,
} from "@trpc/client";
import { errorFromResponse, McpdeckError, toMcpdeckError } from "./errors.js";
import type { Platform } from "./platform.js";
import { Session, type SessionOptions } from "./session.js";
import { TokenKeeper, type TokenStore } from "./tokens.js";
import type { AppRouter, RouterInputs, RouterOutputs, Tokens } from "./types.js";

export interface ClientOptions {
  /** Where the API is, e.g. `http://localhost:3000` (its REST surface is `/api/v1`, tRPC `/trpc`). */
  baseUrl: string;
  /** Tokens to start with (e.g. from your own storage); otherwise `tokenStore`'s, or signed out. */
  tokens?: Tokens;
  /** Keeps the tokens across runs, and receives every rotated pair. */
  tokenStore?: TokenStore;
  /** A fetch to use instead of the global one. */
  fetch?: typeof globalThis.fetch;
}

export interface DownloadedArtifact {
  name: string;
  contentType: string;
  bytes: Uint8Array;
}

export interface McpdeckClient {
  readonly baseUrl: string;
  /**
   * Every procedure of the API, typed from its router: `client.trpc.servers.list.query({})`,
   * `client.trpc.servers.create.mutate({...})`, `client.trpc.servers.statusEvents.subscribe(...)`.
   * Calls carry the access token (refreshed when needed) and fail with an {@link McpdeckError}.
   */
  readonly trpc: TRPCClient<AppRouter>;
  readonly auth: {
    /** Emails a 6-digit sign-in code. */
    requestOtp(input: RouterInputs["auth"]["otpRequest"]): Promise<RouterOutputs["auth"]["otpRequest"]>;
    /** Signs in with the code; the client keeps (and stores) the tokens. */
    verifyOtp(input: RouterInputs["auth"]["otpVerify"]): Promise<RouterOutputs["auth"]["otpVerify"]>;
    /** Rotates the tokens now (calls refresh by themselves when needed; this is for the rare caller who wants to). */
    refresh(): Promise<Tokens>;
    /** Ends this sign-in on the server and forgets the tokens. */
    logout(): Promise<void>;
    /** The current tokens, or null when signed out. */
    tokens(): Promise<Tokens | null>;
  };
  /**
   * A live session with one of your servers: its events as an async iterator (resuming after a
   * dropped connection without gaps or duplicates), and its actions.
   */
  session(serverId: string, opts?: SessionOptions): Session;
  /** An artifact's bytes (from `artifact_generated`'s `artifact_id`). */
  downloadArtifact(artifactId: string): Promise<DownloadedArtifact>;
  /** Closes every session and connection of this client. */
  close(): Promise<void>;
}

type CallOptions = { signal?: AbortSignal; context?: Record<string, unknown> };

/** The filename of a Content-Disposition header, preferring the exact UTF-8 one. */
function filenameOf(header: string | null): string | undefined {
  if (!header) return undefined;
  const exact = /filename\*=UTF-8''([^;]+)/i.exec(header)?.[1];
  if (exact) {
    try {
      return decodeURIComponent(exact);
    } catch {}
  }
  return /filename="([^"]*)"/i.exec(header)?.[1];
}

/** createClient for a platform (Node or browser); the entry points bind the platform. */
export function createClientFor(platform: Platform, opts: ClientOptions): McpdeckClient {
  const baseUrl = opts.baseUrl.replace(/\/+$/, "");
  if (!/^https?:\/\//.test(baseUrl))
    throw new TypeError(`baseUrl must be an http(s) URL, got "${opts.baseUrl}"`);
  const fetchImpl = opts.fetch ?? globalThis.fetch.bind(globalThis);
  const toError = (error: unknown) => toMcpdeckError(error, baseUrl);

  // Sign-in calls go without a token: they are how one gets one.
  const bare = createTRPCUntypedClient<AppRouter>({
    links: [httpLink({ url: `${baseUrl}/trpc`, fetch: fetchImpl })],
  });
  const keeper = new TokenKeeper({
    initial: opts.tokens,
    store: opts.tokenStore,
    refresh: async (refresh_token) => {
      try {
        return (await bare.mutation("auth.refresh", { refresh_token })) as Tokens;
      } catch (error) {
        throw toError(error);
      }
    },
  });

  let wsClient: TRPCWebSocketClient | undefined;
  const subscriptions = () => {
    wsClient ??= createWSClient({
      url: `${baseUrl.replace(/^http/, "ws")}/trpc`,
      WebSocket: platform.WebSocket,
      lazy: { enabled: true, closeMs: 0 },
      connectionParams: async () => {
        const token = await keeper.accessToken();
        return token ? { token } : {};
      },
    });
    return wsClient;
  };
  const untyped = createTRPCUntypedClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        true: (runtime) => wsLink<AppRouter>({ client: subscriptions() })(runtime),
        false: httpLink({
          url: `${baseUrl}/trpc`,
          fetch: fetchImpl,
          headers: ({ op }) => {
            const token = (op.context as { token?: string }).token;
            return token ? { authorization: `Bearer ${token}` } : {};
          },
        }),
      }),
    ],
  });

  /**
   * Runs `request` with the access token (none when `signedIn` is false); an expired token is
   * refreshed and the request made once more. Fails with an McpdeckError.
   */
  async function withToken<T>(signedIn: boolean, request: (token: string | undefined) => Promise<T>) {
    for (let attempt = 0; ; attempt++) {
      const token = signedIn ? await keeper.accessToken() : undefined;
      try {
        return await request(token);
      } catch (error) {
        const failure = toError(error);
        if (failure.code === "TOKEN_EXPIRED" && token && attempt === 0) {
          await keeper.refresh(token);
          continue;
        }
        throw failure;
      }
    }
  }

  /** One procedure call: sign-in calls go without a token, every other one with it. */
  function call(type: "query" | "mutation", path: string, input: unknown, callOpts?: CallOptions) {
    return withToken(!path.startsWith("auth."), (token) =>
      untyped[type](path, input, { ...callOpts, context: { ...callOpts?.context, token } }),
    );
  }

  const calls = {
    query: (path: string, input: unknown, callOpts?: CallOptions) => call("query", path, input, callOpts),
    mutation: (path: string, input: unknown, callOpts?: CallOptions) =>
      call("mutation", path, input, callOpts),
    subscription: (path: string, input: unknown, callOpts: Record<string, unknown> = {}) => {
      const onError = callOpts.onError as ((error: unknown) => void) | undefined;
      const withErrors = onError
        ? { ...callOpts, onError: (error: unknown) => onError(toError(error)) }
        : callOpts;
      return untyped.subscription(path, input, withErrors as never);
    },
  };
  // tRPC's own typed proxy over our calls: the paths and types are the router's.
  const trpc = createTRPCClientProxy(calls as unknown as TRPCUntypedClient<AppRouter>);

  const sessions = new Set<Session>();

  function downloadArtifact(artifactId: string): Promise<DownloadedArtifact> {
    const url = `${baseUrl}/api/v1/artifacts/download/${encodeURIComponent(artifactId)}`;
    return withToken(true, async (token) => {
      const response = await fetchImpl(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      if (!response.ok) throw await errorFromResponse(response, baseUrl);
      return {
        name: filenameOf(response.headers.get("content-disposition")) ?? artifactId,
        contentType: response.headers.get("content-type") ?? "application/octet-stream",
        bytes: new Uint8Array(await response.arrayBuffer()),
      };
    });
  }

  return {
    baseUrl,
    trpc,
    auth: {
      requestOtp: (input) => trpc.auth.otpRequest.mutate(input),
      async verifyOtp(input) {
        const signedIn = await trpc.auth.otpVerify.mutate(input);
        await keeper.set({ access_token: signedIn.access_token, refresh_token: signedIn.refresh_token });
        return signedIn;
      },
      refresh: () => keeper.refresh(),
      async logout() {
        const tokens = await keeper.tokens();
        try {
          if (tokens) await trpc.auth.logout.mutate({ refresh_token: tokens.refresh_token });
        } catch (error) {
          // A sign-in that already ended is what logout wants; anything else (the API unreachable)
          // keeps the tokens, so logging out can be tried again.
          if (!(error instanceof McpdeckError && error.signInRequired)) throw error;
        }
        await keeper.set(null);
      },
      tokens: () => keeper.tokens(),
    },
    session(serverId, sessionOpts = {}) {
      const session = new Session(
        {
          baseUrl,
          trpc,
          keeper,
          openSocket: platform.openSocket,
          toError,
          onClose: () => sessions.delete(session),
        },
        serverId,
        sessionOpts,
      );
      sessions.add(session);
      return session;
    },
    downloadArtifact,
    async close() {
      await Promise.all([...sessions].map((s) => s.close()));
      wsClient?.close();
    },
  };
}
