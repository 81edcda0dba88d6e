import { describe, expect, it } from "vitest";
import {
  createTokenManager,
  REFRESH_JITTER_MS,
  REFRESH_MARGIN_MS,
  RETRY_AFTER_FAILURE_MS,
  RefreshRefused,
  type TokenManagerDeps,
} from "./token-manager.js";

/** An unsigned JWT-shaped token expiring at `expSec`: the manager reads only `exp`. */
const tokenExpiring = (expSec: number, label = "t") =>
  `h.${btoa(JSON.stringify({ exp: expSec, label })).replace(/=+$/, "")}.s`;

/** A fake world: a clock and timers under the test's control, and a refresh endpoint it answers. */
function world(opts: { channel?: TokenManagerDeps["channel"] } = {}) {
  let now = 1_000_000_000_000;
  const timers: Array<{ at: number; run: () => void; id: number }> = [];
  let nextId = 0;
  const calls = { refresh: 0, logout: 0 };
  const answers: Array<{ resolve(token: string): void; reject(e: unknown): void }> = [];
  const deps: TokenManagerDeps = {
    refresh: () => {
      calls.refresh++;
      return new Promise<string>((resolve, reject) => answers.push({ resolve, reject }));
    },
    logout: async () => {
      calls.logout++;
    },
    now: () => now,
    setTimer: (run, ms) => {
      const timer = { at: now + ms, run, id: ++nextId };
      timers.push(timer);
      return timer.id;
    },
    clearTimer: (id) => {
      const at = timers.findIndex((t) => t.id === id);
      if (at >= 0) timers.splice(at, 1);
    },
    random: () => 0.5,
    ...(opts.channel ? { channel: opts.channel } : {}),
  };
  return {
    deps,
    calls,
    nowSec: () => Math.floor(now / 1000),
    /** Answers the oldest pending refresh. */
    answer: (token: string) => answers.shift()!.resolve(token),
    refuse: () => answers.shift()!.reject(new RefreshRefused("TOKEN_REUSED", "Sign in again.")),
    fail: () => answers.shift()!.reject(new Error("network down")),
    pending: () => answers.length,
    /** Moves the clock, running the timers that fall due. */
    advance(ms: number) {
      now += ms;
      for (const timer of [...timers].sort((a, b) => a.at - b.at)) {
        if (timer.at <= now) {
          timers.splice(timers.indexOf(timer), 1);
          timer.run();
        }
      }
    },
    nextTimerIn: () => Math.min(...timers.map((t) => t.at)) - now,
  };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe("the token manager", () => {
  it("starts signed in from the refresh cookie, or signed out when there is none", async () => {
    const w = world();
    const tokens = createTokenManager(w.deps);
    expect(tokens.state()).toEqual({ status: "checking" });
    const started = tokens.start();
    const token = tokenExpiring(w.nowSec() + 900);
    w.answer(token);
    expect(await started).toBe(token);
    expect(tokens.state()).toEqual({ status: "signed_in", accessToken: token });

    const w2 = world();
    const other = createTokenManager(w2.deps);
    const none = other.start();
    w2.refuse();
    expect(await none).toBeUndefined();
    expect(other.state()).toEqual({ status: "signed_out" });
  });

  it("refreshes before the access token expires: a minute early plus jitter", async () => {
    const w = world();
    const tokens = createTokenManager(w.deps);
    tokens.signIn(tokenExpiring(w.nowSec() + 900));
    const due = 900_000 - REFRESH_MARGIN_MS - 0.5 * REFRESH_JITTER_MS;
    expect(w.nextTimerIn()).toBe(due);
    w.advance(due - 1);
    expect(w.calls.refresh).toBe(0);
    w.advance(1);
    expect(w.calls.refresh).toBe(1);
    const renewed = tokenExpiring(w.nowSec() + 900, "renewed");
    w.answer(renewed);
    await flush();
    expect(tokens.accessToken()).toBe(renewed);
    // And again for the renewed token.
    expect(w.nextTimerIn()).toBe(due);
  });

  it("makes one refresh for any number of concurrent 401s, and every caller gets its token", async () => {
    const w = world();
    const tokens = createTokenManager(w.deps);
    const stale = tokenExpiring(w.nowSec() + 900, "stale");
    tokens.signIn(stale);
    const retries = Array.from({ length: 5 }, () => tokens.tokenAfterFailure(stale));
    expect(w.calls.refresh).toBe(1);
    const fresh = tokenExpiring(w.nowSec() + 900, "fresh");
    w.answer(fresh);
    expect(await Promise.all(retries)).toEqual(Array(5).fill(fresh));
    expect(w.calls.refresh).toBe(1);

    // A request that failed with a token since replaced retries with the current one: no refresh.
    expect(await tokens.tokenAfterFailure(stale)).toBe(fresh);
    expect(w.calls.refresh).toBe(1);
    // A failure of the current token refreshes again.
    const again = tokens.tokenAfterFailure(fresh);
    expect(w.calls.refresh).toBe(2);
    w.answer(tokenExpiring(w.nowSec() + 900, "third"));
    expect(await again).toContain(".");
  });

  it("a timer firing during a refresh joins it rather than starting another", async () => {
    const w = world();
    const tokens = createTokenManager(w.deps);
    tokens.signIn(tokenExpiring(w.nowSec() + 900));
    const inFlight = tokens.refresh();
    w.advance(900_000);
    expect(w.calls.refresh).toBe(1);
    w.answer(tokenExpiring(w.nowSec() + 900, "new"));
    await inFlight;
    expect(w.pending()).toBe(0);
  });

  it("signs out when the refresh is refused, and says why", async () => {
    const w = world();
    const tokens = createTokenManager(w.deps);
    const token = tokenExpiring(w.nowSec() + 900);
    tokens.signIn(token);
    const retry = tokens.tokenAfterFailure(token);
    w.refuse();
    expect(await retry).toBeUndefined();
    expect(tokens.state()).toEqual({ status: "signed_out", message: "Sign in again." });
  });

  it("keeps the sign-in through a network failure and tries again soon", async () => {
    const w = world();
    const tokens = createTokenManager(w.deps);
    const token = tokenExpiring(w.nowSec() + 900);
    tokens.signIn(token);
    const attempt = tokens.refresh();
    w.fail();
    expect(await attempt).toBe(token);
    expect(tokens.state()).toEqual({ status: "signed_in", accessToken: token });
    expect(w.nextTimerIn()).toBe(RETRY_AFTER_FAILURE_MS);
    w.advance(RETRY_AFTER_FAILURE_MS);
    expect(w.calls.refresh).toBe(2);
  });

  it("shares tokens and sign-outs with the browser's other tabs", async () => {
    const sent: unknown[] = [];
    const channel = {
      postMessage: (m: unknown) => sent.push(m),
      close: () => undefined,
      onmessage: null,
    } as NonNullable<TokenManagerDeps["channel"]>;
    const w = world({ channel });
    const tokens = createTokenManager(w.deps);
    const mine = tokenExpiring(w.nowSec() + 900, "mine");
    tokens.signIn(mine);
    expect(sent).toEqual([{ type: "token", accessToken: mine }]);

    // A newer token from another tab is adopted (and its refresh rescheduled); an older one is not.
    const newer = tokenExpiring(w.nowSec() + 950, "newer");
    channel.onmessage!({ data: { type: "token", accessToken: newer } } as MessageEvent);
    expect(tokens.accessToken()).toBe(newer);
    channel.onmessage!({ data: { type: "token", accessToken: mine } } as MessageEvent);
    expect(tokens.accessToken()).toBe(newer);

    channel.onmessage!({ data: { type: "signed_out" } } as MessageEvent);
    expect(tokens.state()).toEqual({ status: "signed_out" });
    expect(w.calls.logout).toBe(0);
  });

  it("signs out at the API and tells the other tabs", async () => {
    const sent: unknown[] = [];
    const channel = {
      postMessage: (m: unknown) => sent.push(m),
      close: () => undefined,
      onmessage: null,
    } as NonNullable<TokenManagerDeps["channel"]>;
    const w = world({ channel });
    const tokens = createTokenManager(w.deps);
    tokens.signIn(tokenExpiring(w.nowSec() + 900));
    await tokens.signOut();
    expect(w.calls.logout).toBe(1);
    expect(tokens.state()).toEqual({ status: "signed_out" });
    expect(sent.at(-1)).toEqual({ type: "signed_out" });
  });
});
