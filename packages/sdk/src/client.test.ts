import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import {
  createClient,
  type ErrorCode,
  McpdeckError,
  type McpServer,
  memoryTokenStore,
  type TokenStore,
  type Tokens,
} from "./index.js";
import { type LiveApi, startLiveApi } from "./testing/index.js";

let api: LiveApi;
beforeAll(async () => {
  api = await startLiveApi();
});
afterAll(() => api.close());

/** A store that counts what it is given. */
function countingStore(initial: Tokens | null = null): TokenStore & { saves: (Tokens | null)[] } {
  const store = memoryTokenStore(initial);
  const saves: (Tokens | null)[] = [];
  return {
    saves,
    load: store.load,
    save(tokens) {
      saves.push(tokens);
      return store.save(tokens);
    },
  };
}

async function signIn(email: string, tokenStore?: TokenStore) {
  const client = createClient({ baseUrl: api.url, ...(tokenStore ? { tokenStore } : {}) });
  await client.auth.requestOtp({ email });
  const signedIn = await client.auth.verifyOtp({ email, code: await api.code(email) });
  return { client, signedIn };
}

async function failure(call: Promise<unknown>): Promise<McpdeckError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(McpdeckError);
  return error as McpdeckError;
}

describe("createClient", () => {
  it("signs in with an emailed code and calls every procedure typed from the API's router", async () => {
    const store = countingStore();
    const client = createClient({ baseUrl: `${api.url}/`, tokenStore: store });
    const sent = await client.auth.requestOtp({ email: "Ada@Example.com" });
    expect(sent.status).toBe("sent");
    const signedIn = await client.auth.verifyOtp({
      email: "ada@example.com",
      code: await api.code("ada@example.com"),
    });
    expect(signedIn.user.email).toBe("ada@example.com");
    expect(store.saves).toEqual([
      { access_token: signedIn.access_token, refresh_token: signedIn.refresh_token },
    ]);

    const me = await client.trpc.user.profile.query();
    expect(me.id).toBe(signedIn.user.id);
    const server = await client.trpc.servers.create.mutate({
      name: "demo",
      url: api.demoUrl,
      auth_method: "none",
    });
    expectTypeOf(server).toEqualTypeOf<McpServer>();
    expectTypeOf(server.auth_method).toEqualTypeOf<"none" | "api_key" | "oauth">();
    expect(server).toMatchObject({
      name: "demo",
      url: api.demoUrl,
      auth_method: "none",
      has_credentials: false,
    });
    const { servers } = await client.trpc.servers.list.query({});
    expect(servers.map((s) => s.id)).toEqual([server.id]);
    const { tools } = await client.trpc.servers.tools.query({ server_id: server.id });
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(["query_signups", "build_report"]));
    await client.close();
  });

  it("fails with McpdeckErrors carrying the API's codes, status, issues and retry time", async () => {
    const { client } = await signIn("grace@example.com");
    await client.trpc.servers.create.mutate({ name: "demo", url: api.demoUrl, auth_method: "none" });

    const taken = await failure(
      client.trpc.servers.create.mutate({ name: "DEMO", url: api.demoUrl, auth_method: "none" }),
    );
    expect(taken).toMatchObject({ code: "SERVER_NAME_TAKEN", status: 409 });
    expectTypeOf(taken.code).toExtend<ErrorCode | "API_UNREACHABLE" | "BAD_RESPONSE">();

    const invalid = await failure(
      client.trpc.servers.create.mutate({ name: "", url: "not a url", auth_method: "none" }),
    );
    expect(invalid.code).toBe("VALIDATION_FAILED");
    expect(invalid.status).toBe(400);
    expect(invalid.issues?.map((i) => i.path)).toEqual(expect.arrayContaining(["name", "url"]));

    const missing = await failure(
      client.trpc.servers.status.query({ server_id: "0190f5b2-0000-7000-8000-000000000000" }),
    );
    expect(missing).toMatchObject({ code: "NOT_FOUND", status: 404 });

    // REST calls fail the same way.
    const noArtifact = await failure(client.downloadArtifact("0190f5b2-0000-7000-8000-000000000000"));
    expect(noArtifact).toMatchObject({ code: "NOT_FOUND", status: 404 });

    const wrongCode = createClient({ baseUrl: api.url });
    await wrongCode.auth.requestOtp({ email: "eve@example.com" });
    const otp = await failure(wrongCode.auth.verifyOtp({ email: "eve@example.com", code: "000000" }));
    expect(otp.code).toMatch(/^OTP_(INVALID|EXPIRED)$/);
    const cooldown = await failure(wrongCode.auth.requestOtp({ email: "eve@example.com" }));
    expect(cooldown.code).toBe("RATE_LIMITED");
    expect(cooldown.retryAfter).toBeGreaterThan(0);

    const anonymous = await failure(createClient({ baseUrl: api.url }).trpc.servers.list.query({}));
    expect(anonymous).toMatchObject({ code: "UNAUTHENTICATED", signInRequired: true });

    const nowhere = await failure(
      createClient({ baseUrl: "http://127.0.0.1:9" }).auth.requestOtp({ email: "x@example.com" }),
    );
    expect(nowhere.code).toBe("API_UNREACHABLE");
    expect(nowhere.message).toContain("http://127.0.0.1:9");
    await client.close();
  });

  it("refreshes an expired access token once for any number of concurrent calls", async () => {
    const store = countingStore();
    const { client, signedIn } = await signIn("linus@example.com", store);
    api.advanceClock(16 * 60_000);
    const answers = await Promise.all(Array.from({ length: 6 }, () => client.trpc.user.profile.query()));
    expect(answers.every((u) => u.id === signedIn.user.id)).toBe(true);
    // One sign-in, one refresh: the six calls shared it.
    expect(store.saves).toHaveLength(2);
    expect(store.saves[1]!.refresh_token).not.toBe(signedIn.refresh_token);
    // The first refresh token is spent (once the few seconds' leeway for racing tabs has passed).
    api.advanceClock(10_000);
    const replay = createClient({
      baseUrl: api.url,
      tokens: { access_token: "x", refresh_token: signedIn.refresh_token },
    });
    expect((await failure(replay.auth.refresh())).signInRequired).toBe(true);
    await client.close();
  });

  it("refreshes ahead of the access token's expiry, before sending it", async () => {
    const { signedIn } = await signIn("katherine@example.com");
    // An access token about to expire (the server would refuse this one: it is not even signed).
    const payload = btoa(JSON.stringify({ exp: Math.floor(Date.now() / 1000) + 5 })).replace(/=+$/, "");
    const dying = `eyJhbGciOiJub25lIn0.${payload}.x`;
    const store = countingStore();
    const client = createClient({
      baseUrl: api.url,
      tokens: { access_token: dying, refresh_token: signedIn.refresh_token },
      tokenStore: store,
    });
    expect((await client.trpc.user.profile.query()).id).toBe(signedIn.user.id);
    expect(store.saves).toHaveLength(1);
    await client.close();
  });

  it("takes the tokens another process sharing the store refreshed, instead of spending a refresh token twice", async () => {
    const shared = countingStore();
    const { client: first, signedIn } = await signIn("margaret@example.com", shared);
    const second = createClient({ baseUrl: api.url, tokenStore: shared });
    expect((await second.trpc.user.profile.query()).id).toBe(signedIn.user.id);
    api.advanceClock(16 * 60_000);
    await first.trpc.user.profile.query();
    // The second client's access token expired too; the store has the pair the first one got.
    expect((await second.trpc.user.profile.query()).id).toBe(signedIn.user.id);
    expect(shared.saves).toHaveLength(2);
    expect(await second.auth.tokens()).toEqual(shared.saves[1]);
    await Promise.all([first.close(), second.close()]);
  });

  it("logs out: the sign-in ends on the server, and a client still holding it gets a sign-in error", async () => {
    const { client, signedIn } = await signIn("barbara@example.com");
    const other = createClient({ baseUrl: api.url, tokens: signedIn });
    await client.auth.logout();
    expect(await client.auth.tokens()).toBeNull();
    const ended = await failure(other.trpc.user.profile.query());
    expect(ended.signInRequired).toBe(true);
    expect(ended.code).toMatch(/^(SESSION_REVOKED|TOKEN_INVALID|UNAUTHENTICATED)$/);
    // Logging out of an ended sign-in is not an error.
    await other.auth.logout();
    expect(await other.auth.tokens()).toBeNull();
  });

  it("subscribes over WebSocket with the same token: live server status", async () => {
    const { client } = await signIn("hedy@example.com");
    const server = await client.trpc.servers.create.mutate({
      name: "demo",
      url: api.demoUrl,
      auth_method: "none",
    });
    const first = await new Promise<{ server_id: string }>((resolve, reject) => {
      const sub = client.trpc.servers.statusEvents.subscribe(undefined, {
        onData(event) {
          sub.unsubscribe();
          resolve(event);
        },
        onError: reject,
      });
    });
    expect(first.server_id).toBe(server.id);
    await client.close();
  });
});
