import { expiryOf } from "./jwt-expiry.js";

/**
 * The sign-in as this tab holds it. The access token lives in memory only; the refresh token is an
 * httpOnly cookie that scripts never see (the API sets it at sign-in and rotates it on refresh), so
 * a reload signs back in with one refresh and nothing readable is left in storage.
 */
export type AuthState =
  | { status: "checking" }
  | { status: "signed_in"; accessToken: string }
  | { status: "signed_out"; message?: string };

/** The refresh endpoint said no: the sign-in is over (as opposed to a network failure). */
export class RefreshRefused extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "RefreshRefused";
  }
}

/** What the manager needs from the outside world, injectable so its timing can be tested. */
export interface TokenManagerDeps {
  /** Exchanges the refresh cookie for a new access token; throws RefreshRefused when refused. */
  refresh(): Promise<string>;
  /** Ends the sign-in at the API (and clears the cookie). */
  logout(): Promise<void>;
  now(): number;
  setTimer(run: () => void, ms: number): unknown;
  clearTimer(timer: unknown): void;
  random(): number;
  /** Other tabs of this browser (a BroadcastChannel), to share new tokens and sign-outs. */
  channel?: Pick<BroadcastChannel, "postMessage" | "close"> & {
    onmessage: ((event: MessageEvent) => void) | null;
  };
}

/** Refresh this long before the access token expires, plus up to REFRESH_JITTER_MS more. */
export const REFRESH_MARGIN_MS = 60_000;
export const REFRESH_JITTER_MS = 30_000;
/** After a network failure, try again this soon (the token may still have minutes left). */
export const RETRY_AFTER_FAILURE_MS = 5_000;

type TabMessage = { type: "token"; accessToken: string } | { type: "signed_out" };

export function createTokenManager(deps: TokenManagerDeps) {
  let state: AuthState = { status: "checking" };
  let inflight: Promise<string | undefined> | undefined;
  let timer: unknown;
  const listeners = new Set<(state: AuthState) => void>();

  function set(next: AuthState) {
    state = next;
    for (const listener of listeners) listener(state);
  }

  function schedule(delayMs: number) {
    if (timer !== undefined) deps.clearTimer(timer);
    timer = deps.setTimer(
      () => {
        timer = undefined;
        void refresh();
      },
      Math.max(1000, delayMs),
    );
  }

  function adopt(accessToken: string) {
    set({ status: "signed_in", accessToken });
    // Jittered, so tabs holding the same token do not all refresh in the same instant.
    const expiresAt = expiryOf(accessToken);
    schedule(expiresAt - deps.now() - REFRESH_MARGIN_MS - deps.random() * REFRESH_JITTER_MS);
  }

  function signedOut(message?: string) {
    if (timer !== undefined) deps.clearTimer(timer);
    timer = undefined;
    set(message === undefined ? { status: "signed_out" } : { status: "signed_out", message });
  }

  const broadcast = (message: TabMessage) => deps.channel?.postMessage(message);

  if (deps.channel) {
    deps.channel.onmessage = (event: MessageEvent) => {
      const message = event.data as TabMessage;
      if (message?.type === "token" && typeof message.accessToken === "string") {
        const current = state.status === "signed_in" ? expiryOf(state.accessToken) : 0;
        if (expiryOf(message.accessToken) > current) adopt(message.accessToken);
      } else if (message?.type === "signed_out") {
        signedOut();
      }
    };
  }

  /**
   * One refresh at a time: every caller during a refresh shares its answer, so a burst of failed
   * requests (or a refresh timer firing meanwhile) makes one call to the API.
   */
  function refresh(): Promise<string | undefined> {
    inflight ??= (async () => {
      try {
        const accessToken = await deps.refresh();
        adopt(accessToken);
        broadcast({ type: "token", accessToken });
        return accessToken;
      } catch (error) {
        if (error instanceof RefreshRefused) {
          signedOut(state.status === "signed_in" ? error.message : undefined);
          return undefined;
        }
        // The network or the server failed, not the sign-in: keep it and try again soon.
        if (state.status === "checking")
          signedOut("Could not reach mcpdeck. Check the connection and reload.");
        else schedule(RETRY_AFTER_FAILURE_MS);
        return state.status === "signed_in" ? state.accessToken : undefined;
      } finally {
        inflight = undefined;
      }
    })();
    return inflight;
  }

  return {
    state: () => state,
    accessToken: () => (state.status === "signed_in" ? state.accessToken : undefined),
    subscribe(listener: (state: AuthState) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    /** At start-up: the cookie, if any, signs this tab in. */
    start: () => refresh(),
    /** After a code was verified. */
    signIn(accessToken: string) {
      adopt(accessToken);
      broadcast({ type: "token", accessToken });
    },
    refresh,
    /**
     * A request was refused as unauthenticated with `failedToken`: answers a token to retry with —
     * the current one when another refresh already replaced it, else a fresh one — or undefined
     * when the sign-in is over.
     */
    async tokenAfterFailure(failedToken: string | undefined): Promise<string | undefined> {
      if (inflight) return inflight;
      const current = state.status === "signed_in" ? state.accessToken : undefined;
      if (current && current !== failedToken) return current;
      return refresh();
    },
    async signOut() {
      try {
        await deps.logout();
      } finally {
        signedOut();
        broadcast({ type: "signed_out" });
      }
    },
    dispose() {
      if (timer !== undefined) deps.clearTimer(timer);
      deps.channel?.close();
      listeners.clear();
    },
  };
}

export type TokenManager = ReturnType<typeof createTokenManager>;
