import { McpdeckError } from "./errors.js";
import type { Tokens } from "./types.js";

/**
 * Where a client keeps its tokens between runs (a file, `localStorage`, a keychain). `load` is read
 * at start and again before each refresh — another process or tab sharing the store may have
 * refreshed already, and presenting its spent refresh token would end the sign-in.
 */
export interface TokenStore {
  load(): Tokens | null | undefined | Promise<Tokens | null | undefined>;
  save(tokens: Tokens | null): void | Promise<void>;
}

/** Refresh this long before the access token expires, so a call never leaves with a dying token. */
const REFRESH_MARGIN_MS = 60_000;

/** When a JWT expires (its `exp`), read without verifying: only to schedule a refresh. */
export function expiresAt(jwt: string): number | undefined {
  const payload = jwt.split(".")[1];
  if (!payload) return undefined;
  try {
    const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    return typeof exp === "number" ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Holds the tokens and refreshes them: ahead of expiry, or when the API says the access token
 * expired. Refreshes are single-flight — concurrent callers share one — because the refresh token
 * rotates: a second refresh with the same token would be taken for a stolen one.
 */
export class TokenKeeper {
  #tokens: Tokens | null;
  #loaded: Promise<void>;
  #refreshing: Promise<Tokens> | undefined;

  constructor(
    private readonly opts: {
      initial?: Tokens | undefined;
      store?: TokenStore | undefined;
      /** Calls `auth.refresh`; its errors are McpdeckErrors. */
      refresh: (refreshToken: string) => Promise<Tokens>;
      now?: () => number;
    },
  ) {
    this.#tokens = opts.initial ?? null;
    this.#loaded = opts.initial
      ? Promise.resolve()
      : Promise.resolve(opts.store?.load()).then((stored) => {
          this.#tokens ??= stored ?? null;
        });
  }

  async tokens(): Promise<Tokens | null> {
    await this.#loaded;
    return this.#tokens;
  }

  async set(tokens: Tokens | null): Promise<void> {
    await this.#loaded;
    this.#tokens = tokens;
    await this.opts.store?.save(tokens);
  }

  /** A usable access token (refreshed first when it is about to expire), or undefined when signed out. */
  async accessToken(): Promise<string | undefined> {
    await this.#loaded;
    const tokens = this.#tokens;
    if (!tokens) return undefined;
    if (this.#expiring(tokens)) return (await this.refresh(tokens.access_token)).access_token;
    return tokens.access_token;
  }

  #expiring(tokens: Tokens): boolean {
    const exp = expiresAt(tokens.access_token);
    return exp !== undefined && exp - (this.opts.now?.() ?? Date.now()) < REFRESH_MARGIN_MS;
  }

  /**
   * Refreshes the tokens. `stale` names the access token the caller found wanting: when the tokens
   * have moved on since (another caller refreshed), those are returned without a second refresh.
   */
  refresh(stale?: string): Promise<Tokens> {
    this.#refreshing ??= this.#refresh(stale).finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #refresh(stale: string | undefined): Promise<Tokens> {
    await this.#loaded;
    const stored = (await this.opts.store?.load()) ?? null;
    // Another process (or tab) sharing the store refreshed already: take its tokens.
    if (stored && this.#tokens && stored.refresh_token !== this.#tokens.refresh_token) this.#tokens = stored;
    const current = this.#tokens;
    if (!current) {
      throw new McpdeckError({ code: "UNAUTHENTICATED", message: "Not signed in: sign in first." });
    }
    if (stale !== undefined && current.access_token !== stale && !this.#expiring(current)) return current;
    const next = await this.opts.refresh(current.refresh_token);
    this.#tokens = next;
    await this.opts.store?.save(next);
    return next;
  }
}

/** Keeps tokens in memory only (the default). */
export function memoryTokenStore(initial: Tokens | null = null): TokenStore {
  let tokens = initial;
  return {
    load: () => tokens,
    save: (next) => {
      tokens = next;
    },
  };
}
