import { type DemoMcpHandle, startDemoMcpServer } from "@mcpdeck/demo-mcp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../testing/harness.js";
import { openSessionSocket, settled } from "../testing/session-client.js";

let app: TestApp;
let token: string;
let demo: DemoMcpHandle;

beforeAll(async () => {
  demo = await startDemoMcpServer({ port: 0, oauth: true, accessTokenTtlSec: 2 });
  // No background checks here: the test counts token refreshes, so only its own requests may cause them.
  // A long interval: each status answer below is probed afresh only because a check is due or asked for.
  app = await startTestApp({ env: { MCPDECK_STATUS_INTERVAL_S: "3600" }, statusChecks: false });
  token = (await app.signIn("oauth@example.com")).access_token;
});
afterAll(async () => {
  await app.close();
  await demo.close();
});

/** Follows the authorization server's redirect back to mcpdeck's callback on the test port. */
async function authorize(serverId: string, server: DemoMcpHandle = demo) {
  const start = await app.request("POST", `/api/v1/servers/${serverId}/oauth/start`, { token });
  expect(start.status).toBe(200);
  const authorizationUrl = new URL(start.body.authorization_url);
  expect(authorizationUrl.origin).toBe(server.origin);
  expect(authorizationUrl.searchParams.get("code_challenge_method")).toBe("S256");
  expect(authorizationUrl.searchParams.get("state")).toBeTruthy();
  const consent = await fetch(authorizationUrl, { redirect: "manual" });
  expect(consent.status).toBe(302);
  const back = new URL(consent.headers.get("location")!);
  expect(back.pathname).toBe("/api/v1/oauth/callback");
  return { authorizationUrl, back, callback: await app.request("GET", `${back.pathname}${back.search}`) };
}

describe("OAuth-protected MCP servers", () => {
  it("runs the MCP authorization flow end to end, refreshes expired tokens, and reports revocation", async () => {
    const server = (
      await app.request("POST", "/api/v1/servers", {
        token,
        body: { name: "secured", url: demo.url, auth_method: "oauth" },
      })
    ).body;
    expect(server).toMatchObject({ auth_method: "oauth", has_credentials: false });

    const before = await app.request("GET", `/api/v1/servers/${server.id}/status`, { token });
    expect(before.body.status).toBe("error");
    expect(before.body.reason).toMatch(/authorization required/i);

    const { callback } = await authorize(server.id);
    expect(callback.status).toBe(302);
    const landing = new URL(callback.headers.get("location")!);
    expect(landing.searchParams.get("oauth")).toBe("success");
    expect(landing.searchParams.get("server_id")).toBe(server.id);

    const tools = await app.request("GET", `/api/v1/servers/${server.id}/tools`, { token });
    expect(tools.status).toBe(200);
    expect(tools.body.tools.length).toBeGreaterThanOrEqual(6);
    // The stored "Authorization required" is outdated once authorized: the next answer probes afresh.
    expect((await app.request("GET", `/api/v1/servers/${server.id}/status`, { token })).body).toMatchObject({
      status: "online",
    });

    // Tokens are stored encrypted, never in the clear.
    const [row] = (await app.db.execute(`select oauth_state from mcp_servers where id = '${server.id}'`)) as {
      oauth_state: string;
    }[];
    expect(row!.oauth_state.startsWith("v1.")).toBe(true);
    expect(row!.oauth_state).not.toContain("access_token");

    const issued = demo.oauth!.issuedTokenCount();
    await new Promise((r) => setTimeout(r, 2500));
    // The access token lives 2 s: after that the next calls refresh it transparently — once, even
    // when several requests need it at the same moment.
    const afterExpiry = await Promise.all(
      Array.from({ length: 4 }, () => app.request("GET", `/api/v1/servers/${server.id}/tools`, { token })),
    );
    expect(afterExpiry.map((r) => [r.status, r.body.message ?? ""])).toEqual(Array(4).fill([200, ""]));
    expect(demo.oauth!.issuedTokenCount()).toBe(issued + 1);

    demo.oauth!.revokeAllTokens();
    const stored = await app.request("GET", `/api/v1/servers/${server.id}/status`, { token });
    expect(stored.body.status).toBe("online");
    const revoked = await app.request("GET", `/api/v1/servers/${server.id}/status?refresh=true`, { token });
    expect(revoked.body.status).toBe("error");
    expect(revoked.body.reason).toMatch(/authoriz/i);

    // Authorizing again recovers.
    const again = await authorize(server.id);
    expect(new URL(again.callback.headers.get("location")!).searchParams.get("oauth")).toBe("success");
    expect((await app.request("GET", `/api/v1/servers/${server.id}/tools`, { token })).status).toBe(200);
  });

  it("refuses a forged or tampered state, and another user's state cannot finish a flow", async () => {
    const server = (
      await app.request("POST", "/api/v1/servers", {
        token,
        body: { name: "secured-2", url: demo.url, auth_method: "oauth" },
      })
    ).body;
    const start = await app.request("POST", `/api/v1/servers/${server.id}/oauth/start`, { token });
    const state = new URL(start.body.authorization_url).searchParams.get("state")!;
    const [payload, sig] = state.split(".");
    const tampered = `${Buffer.from(JSON.stringify({ u: "someone-else", s: server.id, n: "x", e: Date.now() + 60_000 })).toString("base64url")}.${sig}`;
    for (const bad of [tampered, `${payload}.AAAA`, "garbage"]) {
      const res = await app.request(
        "GET",
        `/api/v1/oauth/callback?code=abc&state=${encodeURIComponent(bad)}`,
      );
      expect(res.status).toBe(400);
      expect(res.body.code).toBe("OAUTH_FAILED");
    }
    const missing = await app.request("GET", "/api/v1/oauth/callback?code=abc");
    expect(missing.status).toBe(400);
  });

  it("refuses oauth/start for a server that does not use OAuth", async () => {
    const plain = (
      await app.request("POST", "/api/v1/servers", {
        token,
        body: { name: "plain", url: demo.url, auth_method: "none" },
      })
    ).body;
    const res = await app.request("POST", `/api/v1/servers/${plain.id}/oauth/start`, { token });
    expect(res.status).toBe(400);
    expect(res.body.issues[0].path).toBe("auth_method");
  });
});

describe("an OAuth-protected server of the legacy era (2025-11-25 only)", () => {
  it("is authorized with dynamic registration and PKCE, then lists and calls tools over the legacy era", async () => {
    const legacy = await startDemoMcpServer({ port: 0, oauth: true, modernEra: false, legacySse: false });
    try {
      const server = (
        await app.request("POST", "/api/v1/servers", {
          token,
          body: { name: "secured-legacy", url: legacy.url, auth_method: "oauth" },
        })
      ).body;
      const before = await app.request("GET", `/api/v1/servers/${server.id}/status`, { token });
      expect(before.body.status).toBe("error");
      expect(before.body.reason).toMatch(/authorization required/i);

      const { authorizationUrl, back, callback } = await authorize(server.id, legacy);
      // No pre-registered client and an http PUBLIC_URL (no metadata document): mcpdeck registered
      // itself, and the demo's authorization endpoint accepted that client_id (it refuses unknown ones).
      expect(authorizationUrl.searchParams.get("client_id")).toMatch(/^[0-9a-f-]{36}$/);
      expect(authorizationUrl.searchParams.get("code_challenge")).toMatch(/^[\w-]{43}$/);
      expect(back.searchParams.get("code")).toBeTruthy();
      // The token exchange checked the PKCE verifier against that challenge.
      expect(new URL(callback.headers.get("location")!).searchParams.get("oauth")).toBe("success");
      expect(legacy.oauth!.issuedTokenCount()).toBe(1);

      const status = await app.request("GET", `/api/v1/servers/${server.id}/status`, { token });
      expect(status.body).toMatchObject({
        status: "online",
        era: "legacy",
        protocol_version: "2025-11-25",
        transport: "streamable_http",
      });
      const tools = await app.request("GET", `/api/v1/servers/${server.id}/tools`, { token });
      expect(tools.status).toBe(200);
      expect(tools.body.tools.map((t: { name: string }) => t.name)).toContain("query_signups");

      const started = await app.request("POST", `/api/v1/servers/${server.id}/sessions`, { token });
      expect(started.status).toBe(201);
      const session = await openSessionSocket(app.url, server.id, { token });
      try {
        await session.waitFor("connection_status");
        session.send("chat_message", { text: '/call query_signups {"country": "DE", "limit": 2}' });
        await session.waitFor("task_graph_proposal");
        session.send("approve_task", { node_id: "call" });
        expect(await settled(session, "call")).toBe("succeeded");
        const done = session.of("task_update").at(-1)!;
        expect(done.payload.result_preview).toMatch(/^Found \d+ signups/);
      } finally {
        await session.close();
      }
      expect(legacy.oauth!.issuedTokenCount()).toBe(1);
    } finally {
      await legacy.close();
    }
  });
});

describe("OAuth across API processes", () => {
  it("refreshes a server's tokens once even when two processes need them at the same moment", async () => {
    const { createTestDb } = await import("@mcpdeck/db/testing");
    const { mkdtempSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const shortLived = await startDemoMcpServer({ port: 0, oauth: true, accessTokenTtlSec: 2 });
    const db = await createTestDb();
    // One data dir: both processes share the signing and encryption keys, as a deployment would.
    const dataDir = mkdtempSync(join(tmpdir(), "mcpdeck-shared-"));
    const a = await startTestApp({ dbHandle: db, dataDir, statusChecks: false });
    const b = await startTestApp({ dbHandle: db, dataDir, statusChecks: false });
    try {
      const t = (await a.signIn("scale@example.com")).access_token;
      const server = (
        await a.request("POST", "/api/v1/servers", {
          token: t,
          body: { name: "shared", url: shortLived.url, auth_method: "oauth" },
        })
      ).body;
      const start = await a.request("POST", `/api/v1/servers/${server.id}/oauth/start`, { token: t });
      const consent = await fetch(start.body.authorization_url, { redirect: "manual" });
      const back = new URL(consent.headers.get("location")!);
      expect((await b.request("GET", `${back.pathname}${back.search}`)).status).toBe(302);
      // Warm a connection in each process.
      for (const app of [a, b])
        expect((await app.request("GET", `/api/v1/servers/${server.id}/tools`, { token: t })).status).toBe(
          200,
        );
      const issued = shortLived.oauth!.issuedTokenCount();
      await new Promise((r) => setTimeout(r, 2500));
      const results = await Promise.all(
        [a, b, a, b, a, b].map((app) =>
          app.request("GET", `/api/v1/servers/${server.id}/tools`, { token: t }),
        ),
      );
      expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
      expect(shortLived.oauth!.issuedTokenCount()).toBe(issued + 1);
    } finally {
      await a.close();
      await b.close();
      await db.close();
      await shortLived.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 30_000);
});
