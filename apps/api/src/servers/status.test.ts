import { createTestDb } from "@mcpdeck/db/testing";
import { type DemoMcpHandle, startDemoMcpServer } from "@mcpdeck/demo-mcp";
import { startStreamablePeer } from "@mcpdeck/mcp/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manualClock, startTestApp, type TestApp } from "../testing/harness.js";
import { trpcHttpClient } from "../testing/trpc-clients.js";

describe("background status checks across API processes", () => {
  it("checks each server about once per interval even with two API processes on one database", async () => {
    const db = await createTestDb();
    const peer = await startStreamablePeer();
    const env = { MCPDECK_STATUS_INTERVAL_S: "1" };
    const a = await startTestApp({ env, dbHandle: db });
    const b = await startTestApp({ env, dbHandle: db });
    try {
      const token = (await a.signIn("checker@example.com")).access_token;
      const created = await a.request("POST", "/api/v1/servers", {
        token,
        body: { name: "watched", url: peer.url, auth_method: "none" },
      });
      expect(created.status).toBe(201);
      const before = peer.stats.posts;
      await new Promise((r) => setTimeout(r, 4500));
      const pings = peer.stats.posts - before;
      // ~4 intervals of 1 s (±10 % jitter) → about 4 checks (each a ping, plus one handshake per process
      // at most); two uncoordinated checkers would make about twice as many.
      expect(pings).toBeGreaterThanOrEqual(2);
      expect(pings).toBeLessThanOrEqual(9);
      // Each test app has its own signing keys, so read through the app that issued the token.
      const listed = await a.request("GET", "/api/v1/servers", { token });
      expect(listed.body.servers[0].status).toBe("online");
    } finally {
      await a.close();
      await b.close();
      await peer.close();
      await db.close();
    }
  }, 30_000);
});

describe("a server's status on request", () => {
  it("answers from the last check, probes afresh when asked or when a check is due, over REST and tRPC", async () => {
    const clock = manualClock();
    const first = await startStreamablePeer();
    const second = await startStreamablePeer();
    // A long interval and no background loop: every probe below is one the request caused.
    const app = await startTestApp({
      env: { MCPDECK_STATUS_INTERVAL_S: "3600" },
      statusChecks: false,
      clock,
    });
    try {
      const token = (await app.signIn("status@example.com")).access_token;
      const server = (
        await app.request("POST", "/api/v1/servers", {
          token,
          body: { name: "watched", url: first.url, auth_method: "none" },
        })
      ).body;
      const status = (query = "") =>
        app.request("GET", `/api/v1/servers/${server.id}/status${query}`, { token });
      // Never checked: probed now.
      const initial = await status();
      expect(initial.body).toMatchObject({ status: "online", last_checked: clock.now().toISOString() });
      await first.close();
      clock.advance(1000);
      // Within the interval the stored answer stands (the server went away unnoticed)…
      expect((await status()).body).toMatchObject({
        status: "online",
        last_checked: initial.body.last_checked,
      });
      // …unless a fresh probe is asked for, over REST…
      const refreshed = await status("?refresh=true");
      expect(refreshed.body).toMatchObject({ status: "offline", last_checked: clock.now().toISOString() });
      // …or over tRPC, where `refresh` is a boolean.
      clock.advance(1000);
      const viaTrpc = await trpcHttpClient(app, { token }).servers.status.query({
        server_id: server.id,
        refresh: true,
      });
      expect(viaTrpc).toMatchObject({ status: "offline", last_checked: clock.now().toISOString() });
      // `refresh=false` is the stored answer; a value that is not a boolean is a clear 400.
      clock.advance(1000);
      expect((await status("?refresh=false")).body.last_checked).toBe(viaTrpc.last_checked);
      const bad = await status("?refresh=maybe");
      expect(bad.status).toBe(400);
      expect(bad.body.code).toBe("VALIDATION_FAILED");
      // A changed endpoint makes a check due: the next answer probes the new one without being asked.
      const moved = await app.request("PUT", `/api/v1/servers/${server.id}`, {
        token,
        body: { url: second.url },
      });
      expect(moved.status).toBe(200);
      expect((await status()).body).toMatchObject({
        status: "online",
        last_checked: clock.now().toISOString(),
      });
    } finally {
      await app.close();
      await second.close();
    }
  }, 30_000);
});

describe("new users", () => {
  let demo: DemoMcpHandle;
  let app: TestApp;
  const clock = manualClock();
  beforeAll(async () => {
    demo = await startDemoMcpServer({ port: 0 });
    app = await startTestApp({ env: { MCPDECK_DEMO_MCP_URL: demo.url }, clock });
  });
  afterAll(async () => {
    await app.close();
    await demo.close();
  });

  it("start with the demo server registered, usable at once, once per user", async () => {
    const first = await app.signIn("newbie@example.com");
    const list = await app.request("GET", "/api/v1/servers", { token: first.access_token });
    expect(list.body.servers).toHaveLength(1);
    const server = list.body.servers[0];
    expect(server).toMatchObject({ name: "demo", url: demo.url, auth_method: "none" });
    const tools = await app.request("GET", `/api/v1/servers/${server.id}/tools`, {
      token: first.access_token,
    });
    expect(tools.status).toBe(200);
    clock.advance(31_000); // past the OTP cooldown
    const again = await app.signIn("newbie@example.com");
    expect(again.is_new_user).toBe(false);
    const relisted = await app.request("GET", "/api/v1/servers", { token: again.access_token });
    expect(relisted.body.servers).toHaveLength(1);
  });

  it("offers resources and prompts over tRPC, owner-scoped", async () => {
    const owner = await app.signIn("trpc@example.com");
    const other = await app.signIn("trpc-other@example.com");
    const server = (await app.request("GET", "/api/v1/servers", { token: owner.access_token })).body
      .servers[0];
    const input = encodeURIComponent(JSON.stringify({ server_id: server.id }));
    const resources = await app.request("GET", `/trpc/servers.resources?input=${input}`, {
      token: owner.access_token,
    });
    expect(resources.status).toBe(200);
    expect(resources.body.result.data.resources.map((r: { uri: string }) => r.uri)).toContain(
      "dataset://signups/schema",
    );
    const prompts = await app.request("GET", `/trpc/servers.prompts?input=${input}`, {
      token: owner.access_token,
    });
    expect(prompts.body.result.data.prompts.map((p: { name: string }) => p.name)).toContain(
      "analyze_signups",
    );
    const stranger = await app.request("GET", `/trpc/servers.resources?input=${input}`, {
      token: other.access_token,
    });
    expect(stranger.status).toBe(404);
    expect(stranger.body.error.data.error.code).toBe("NOT_FOUND");
  });
});
