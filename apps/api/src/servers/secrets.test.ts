import { randomBytes } from "node:crypto";
import { type DemoMcpHandle, startDemoMcpServer } from "@mcpdeck/demo-mcp";
import { startHttpPeer } from "@mcpdeck/mcp/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../logger.js";
import { startTestApp, type TestApp } from "../testing/harness.js";

const KEY = `sk-live-${randomBytes(16).toString("hex")}`;
const logLines: string[] = [];
let app: TestApp;
let demo: DemoMcpHandle;
let token: string;

beforeAll(async () => {
  demo = await startDemoMcpServer({ port: 0, apiKey: KEY });
  app = await startTestApp({
    logger: createLogger("trace", { write: (line: string) => void logLines.push(line) }),
  });
  token = (await app.signIn("secrets@example.com")).access_token;
});
afterAll(async () => {
  await app.close();
  await demo.close();
});

describe("credentials stay secret", () => {
  it("never appear in responses, errors or logs, whatever the path", async () => {
    // A hostile server that echoes the Authorization header back in its error page.
    const echo = await startHttpPeer((req, res) => {
      res
        .writeHead(500, { "content-type": "text/plain" })
        .end(`bad request from ${req.headers.authorization ?? ""}`);
    });
    const bodies: unknown[] = [];
    try {
      const created = await app.request("POST", "/api/v1/servers", {
        token,
        body: { name: "keyed", url: demo.url, auth_method: "api_key", credentials: { api_key: KEY } },
      });
      bodies.push(created.body);
      expect(created.status).toBe(201);
      const id = created.body.id;
      for (const [method, path, body] of [
        ["GET", `/api/v1/servers/${id}/tools`],
        ["GET", `/api/v1/servers/${id}/status`],
        ["GET", "/api/v1/servers"],
        ["PUT", `/api/v1/servers/${id}`, { timeout: 10 }],
        [
          "POST",
          "/api/v1/servers/test",
          { url: demo.url, auth_method: "api_key", credentials: { api_key: KEY } },
        ],
        [
          "POST",
          "/api/v1/servers/test",
          { url: echo.url, auth_method: "api_key", credentials: { api_key: KEY } },
        ],
        [
          "POST",
          "/api/v1/servers/test",
          { url: demo.url, auth_method: "api_key", credentials: { api_key: `${KEY}-wrong` } },
        ],
        [
          "POST",
          "/api/v1/servers",
          { name: "dup", url: "ftp://x", auth_method: "api_key", credentials: { api_key: KEY } },
        ],
      ] as const) {
        const res = await app.request(method, path, { token, ...(body ? { body } : {}) });
        bodies.push(res.body);
      }
      expect((bodies[1] as { tools: unknown[] }).tools.length).toBeGreaterThan(0);
      const echoed = bodies[6] as { code: string; message: string };
      expect(echoed.code).toBe("CONNECTION_FAILED");
      for (const body of bodies) expect(JSON.stringify(body)).not.toContain(KEY);
      const logs = logLines.join("\n");
      expect(logs.length).toBeGreaterThan(0);
      expect(logs).not.toContain(KEY);
      expect(logs).not.toContain(token);
    } finally {
      await echo.close();
    }
  });

  it("are redacted from connection errors however short they are", async () => {
    // A hostile server reflecting the credential headers back in its JSON-RPC error message.
    const reflect = await startHttpPeer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = JSON.parse(Buffer.concat(chunks).toString() || "{}") as { id?: number };
        const echoed = `${req.headers.authorization ?? ""} ${req.headers["x-api-key"] ?? ""}`;
        res.writeHead(200, { "content-type": "application/json" }).end(
          JSON.stringify({
            jsonrpc: "2.0",
            id: body.id ?? 0,
            error: { code: -32600, message: `bad credential: ${echoed} (json: {"key":"${echoed.trim()}"})` },
          }),
        );
      });
    });
    try {
      for (const [api_key, header] of [
        ["q7z", undefined],
        ["q7z", "X-API-Key"],
        ["k", "X-API-Key"],
      ] as const) {
        const res = await app.request("POST", "/api/v1/servers/test", {
          token,
          body: {
            url: reflect.url,
            auth_method: "api_key",
            credentials: { api_key, ...(header ? { header } : {}) },
          },
        });
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ code: "CONNECTION_FAILED", reason: "PROTOCOL_ERROR" });
        expect(res.body.message).toContain("bad credential:");
        expect(res.body.message).toContain("[redacted]");
        expect(res.body.message.replace(/\[redacted\]/g, "")).not.toMatch(new RegExp(`\\b${api_key}\\b`));
      }
    } finally {
      await reflect.close();
    }
  });
});
