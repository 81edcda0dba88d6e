import { type DemoMcpHandle, startDemoMcpServer } from "@mcpdeck/demo-mcp";
import {
  brokenHandlers,
  closedPort,
  selfSignedCert,
  startHttpPeer,
  startStreamablePeer,
} from "@mcpdeck/mcp/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../testing/harness.js";

let app: TestApp;
let token: string;
let demo: DemoMcpHandle;

beforeAll(async () => {
  demo = await startDemoMcpServer({ port: 0 });
  app = await startTestApp({ env: { MCPDECK_STATUS_INTERVAL_S: "1" } });
  token = (await app.signIn("conn@example.com")).access_token;
});
afterAll(async () => {
  await app.close();
  await demo.close();
});

const test = (body: Record<string, unknown>) =>
  app.request("POST", "/api/v1/servers/test", { token, body: { auth_method: "none", ...body } });

describe("POST /servers/test", () => {
  it("succeeds against the demo server and names it, its protocol, tool count and handshake latency", async () => {
    const res = await test({ url: demo.url });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("success");
    expect(res.body.message).toMatch(
      /^Connected to mcpdeck-demo \d+\.\d+\.\d+ over streamable HTTP \(protocol \d{4}-\d{2}-\d{2}, (modern|legacy) era\): \d+ tools, handshake \d+ ms\.$/,
    );
    expect(Number(/: (\d+) tools/.exec(res.body.message)![1])).toBeGreaterThanOrEqual(6);
  });

  it("falls back to legacy SSE", async () => {
    const res = await test({ url: demo.sseUrl });
    expect(res.status).toBe(200);
    expect(res.body.message).toContain("over legacy SSE");
  });

  it("sends the api key as configured and reports 401 as an authentication failure", async () => {
    const keyed = await startDemoMcpServer({ port: 0, apiKey: "right-key" });
    try {
      const ok = await test({
        url: keyed.url,
        auth_method: "api_key",
        credentials: { api_key: "right-key" },
      });
      expect(ok.status).toBe(200);
      const custom = await test({
        url: keyed.url,
        auth_method: "api_key",
        credentials: { api_key: "right-key", header: "X-API-Key" },
      });
      expect(custom.status).toBe(200);
      const wrong = await test({
        url: keyed.url,
        auth_method: "api_key",
        credentials: { api_key: "wrong-key-123" },
      });
      expect(wrong.status).toBe(400);
      expect(wrong.body).toMatchObject({ code: "CONNECTION_FAILED", reason: "AUTH_FAILED" });
      expect(wrong.body.message).toMatch(/401/);
      expect(JSON.stringify(wrong.body)).not.toContain("wrong-key-123");
    } finally {
      await keyed.close();
    }
  });

  it("names each failure reason", async () => {
    const html = await startHttpPeer(brokenHandlers.html);
    const hang = await startHttpPeer(brokenHandlers.hang);
    const fail = await startHttpPeer(brokenHandlers.status(500, "boom"));
    const refusedPort = await closedPort();
    try {
      const notMcp = await test({ url: html.url });
      expect(notMcp.body).toMatchObject({ code: "CONNECTION_FAILED", reason: "NOT_MCP" });
      expect(notMcp.body.message).toContain("text/html");

      const started = Date.now();
      const timedOut = await test({ url: hang.url, timeout: 1 });
      expect(timedOut.body).toMatchObject({ code: "CONNECTION_FAILED", reason: "TIMEOUT" });
      expect(timedOut.body.message).toMatch(/1 s/);
      expect(Date.now() - started).toBeLessThan(8000);

      const serverError = await test({ url: fail.url });
      expect(serverError.status).toBe(400);
      expect(["SERVER_ERROR", "NOT_MCP"]).toContain(serverError.body.reason);
      expect(serverError.body.message).toContain("500");

      const refused = await test({ url: `http://127.0.0.1:${refusedPort}/mcp` });
      expect(refused.body).toMatchObject({ code: "CONNECTION_FAILED", reason: "CONNECTION_REFUSED" });
    } finally {
      await Promise.all([html.close(), hang.close(), fail.close()]);
    }
  });

  it("checks TLS unless ssl_verify is false, for that server only", async () => {
    const tlsPeer = await startStreamablePeer({ tls: selfSignedCert() });
    try {
      const strict = await test({ url: tlsPeer.url });
      expect(strict.body).toMatchObject({ code: "CONNECTION_FAILED", reason: "TLS_FAILED" });
      expect(strict.body.message).toMatch(/ssl_verify/);
      const relaxed = await test({ url: tlsPeer.url, ssl_verify: false });
      expect(relaxed.status).toBe(200);
      // The relaxed setting did not leak: the strict check still fails afterwards.
      expect((await test({ url: tlsPeer.url })).body.reason).toBe("TLS_FAILED");
    } finally {
      await tlsPeer.close();
    }
  });

  it("rejects bad input with 400 naming the field", async () => {
    const res = await test({ url: "not a url" });
    expect(res.status).toBe(400);
    expect(res.body.issues[0].path).toBe("url");
  });
});

describe("registered servers: tools and live status", () => {
  it("lists the demo server's tools live", async () => {
    const server = (
      await app.request("POST", "/api/v1/servers", {
        token,
        body: { name: "demo-tools", url: demo.url, auth_method: "none" },
      })
    ).body;
    const res = await app.request("GET", `/api/v1/servers/${server.id}/tools`, { token });
    expect(res.status).toBe(200);
    const names = res.body.tools.map((t: { name: string }) => t.name);
    expect(names).toEqual(expect.arrayContaining(["query_signups", "build_report", "always_fails"]));
    const query = res.body.tools.find((t: { name: string }) => t.name === "query_signups");
    expect(query.input_schema.type).toBe("object");
    expect(query.description.length).toBeGreaterThan(10);
  });

  it("says which protocol era and version a server speaks in its status", async () => {
    const modern = (
      await app.request("POST", "/api/v1/servers", {
        token,
        body: { name: "demo-status-era", url: demo.url, auth_method: "none" },
      })
    ).body;
    const status = await app.request("GET", `/api/v1/servers/${modern.id}/status`, { token });
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ status: "online", era: "modern", protocol_version: "2026-07-28" });
    const legacy = (
      await app.request("POST", "/api/v1/servers", {
        token,
        body: { name: "demo-status-sse", url: demo.sseUrl, auth_method: "none" },
      })
    ).body;
    const legacyStatus = await app.request("GET", `/api/v1/servers/${legacy.id}/status`, { token });
    expect(legacyStatus.body).toMatchObject({ status: "online", era: "legacy", transport: "sse" });
    expect(legacyStatus.body.protocol_version).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it("moves between online and offline as the server stops and starts", async () => {
    const peer = await startStreamablePeer();
    const server = (
      await app.request("POST", "/api/v1/servers", {
        token,
        body: { name: "flappy", url: peer.url, auth_method: "none" },
      })
    ).body;
    const online = await app.request("GET", `/api/v1/servers/${server.id}/status`, { token });
    expect(online.status).toBe(200);
    expect(online.body.status).toBe("online");
    expect(online.body.latency).toBeGreaterThanOrEqual(0);
    const [stored] = (await app.db.execute(
      `select server_info from mcp_servers where id = '${server.id}'`,
    )) as {
      server_info: { name: string; transport: string } | string;
    }[];
    const info =
      typeof stored!.server_info === "string" ? JSON.parse(stored!.server_info) : stored!.server_info;
    expect(info).toMatchObject({ name: "test-peer", transport: "streamable_http" });
    expect(new Date(online.body.last_checked).getTime()).toBeGreaterThan(Date.now() - 60_000);
    const port = peer.port;
    await peer.close();
    await new Promise((r) => setTimeout(r, 1200));
    const offline = await app.request("GET", `/api/v1/servers/${server.id}/status`, { token });
    expect(offline.body.status).toBe("offline");
    const again = await startStreamablePeer({ port });
    try {
      await new Promise((r) => setTimeout(r, 1200));
      const back = await app.request("GET", `/api/v1/servers/${server.id}/status`, { token });
      expect(back.body.status).toBe("online");
      const listed = await app.request("GET", "/api/v1/servers?limit=100", { token });
      expect(listed.body.servers.find((s: { id: string }) => s.id === server.id).status).toBe("online");
    } finally {
      await again.close();
    }
  });

  it("answers 502 with a reason when the server is down", async () => {
    const server = (
      await app.request("POST", "/api/v1/servers", {
        token,
        body: { name: "gone", url: `http://127.0.0.1:${await closedPort()}/mcp`, auth_method: "none" },
      })
    ).body;
    const res = await app.request("GET", `/api/v1/servers/${server.id}/tools`, { token });
    expect(res.status).toBe(502);
    expect(res.body).toMatchObject({ code: "UPSTREAM_ERROR", reason: "CONNECTION_REFUSED" });
  });
});

describe("SSRF guard at the API", () => {
  it("refuses private and loopback destinations when private networks are not allowed", async () => {
    const strict = await startTestApp({ env: { MCPDECK_ALLOW_PRIVATE_NETWORKS: "false" } });
    try {
      const t = (await strict.signIn("strict@example.com")).access_token;
      for (const url of [
        "http://127.0.0.1:1/mcp",
        "http://10.0.0.7/mcp",
        "http://169.254.169.254/latest",
        "http://[::1]/mcp",
        "http://2130706433/mcp",
        "http://0x7f.1/mcp",
      ]) {
        const created = await strict.request("POST", "/api/v1/servers", {
          token: t,
          body: { name: `s${Math.random()}`, url, auth_method: "none" },
        });
        expect([url, created.status, created.body.reason]).toEqual([url, 400, "SSRF_BLOCKED"]);
        const tested = await strict.request("POST", "/api/v1/servers/test", {
          token: t,
          body: { url, auth_method: "none" },
        });
        expect([url, tested.status, tested.body.reason]).toEqual([url, 400, "SSRF_BLOCKED"]);
      }
    } finally {
      await strict.close();
    }
  });
});
