import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startTestApp, type TestApp } from "../testing/harness.js";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ env: { CORS_ORIGINS: "https://deck.example.com" } });
});
afterAll(() => app.close());

const wsUrl = (path: string) => `${app.url.replace("http", "ws")}${path}`;

function open(path: string, headers: Record<string, string> = {}) {
  return new Promise<{ ws?: WebSocket; status?: number }>((resolve) => {
    const ws = new WebSocket(wsUrl(path), { headers });
    ws.once("open", () => resolve({ ws }));
    ws.once("unexpected-response", (_req, res) => resolve({ status: res.statusCode }));
    ws.once("error", () => resolve({}));
  });
}

describe("WebSocket upgrades", () => {
  it("refuse a foreign Origin and accept an allowed one", async () => {
    expect((await open("/trpc", { origin: "https://evil.example" })).status).toBe(403);
    const ok = await open("/trpc", { origin: "https://deck.example.com" });
    expect(ok.ws?.readyState).toBe(WebSocket.OPEN);
    ok.ws?.close();
  });

  it("answer unknown paths with 404", async () => {
    expect((await open("/nowhere")).status).toBe(404);
  });

  it("refuse in the one error shape", async () => {
    const refusal = (path: string, headers: Record<string, string> = {}) =>
      new Promise<{ status?: number; body: string }>((resolve) => {
        const ws = new WebSocket(wsUrl(path), { headers });
        ws.once("unexpected-response", (_req, res) => {
          let body = "";
          res.on("data", (chunk) => {
            body += chunk;
          });
          res.on("end", () => resolve({ status: res.statusCode, body }));
        });
        ws.once("open", () => {
          ws.close();
          resolve({ status: 101, body: "" });
        });
      });
    const unknown = await refusal("/nowhere");
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body)).toEqual({
      code: "NOT_FOUND",
      message: "No WebSocket route for /nowhere.",
    });
    const foreign = await refusal("/trpc", { origin: "https://evil.example" });
    expect(foreign.status).toBe(403);
    expect(JSON.parse(foreign.body)).toMatchObject({ code: "FORBIDDEN" });
  });

  it("close a connection that sends a message over the size limit (1009)", async () => {
    const { ws } = await open("/trpc");
    expect(ws).toBeDefined();
    const code = await new Promise<number>((resolve) => {
      ws!.once("close", (c) => resolve(c));
      ws!.send("x".repeat(70 * 1024));
    });
    expect(code).toBe(1009);
  });

  it("serve tRPC over WebSocket with the token from connection params", async () => {
    const session = await app.signIn("ws@example.com");
    const { ws } = await open("/trpc?connectionParams=1");
    const messages: unknown[] = [];
    ws!.on("message", (data) => messages.push(JSON.parse(String(data))));
    ws!.send(JSON.stringify({ method: "connectionParams", data: { token: session.access_token } }));
    ws!.send(JSON.stringify({ id: 1, method: "query", params: { path: "user.profile", input: undefined } }));
    await new Promise((r) => setTimeout(r, 500));
    ws!.close();
    const reply = messages.find((m) => (m as { id?: number }).id === 1) as {
      result: { data: { email: string } };
    };
    expect(reply.result.data.email).toBe("ws@example.com");
  });
});

describe("WebSocket rate limits", () => {
  it("count each upgrade against the caller's API limit", async () => {
    const limited = await startTestApp({ env: { MCPDECK_RATE_LIMIT_API: "3" } });
    try {
      const url = `${limited.url.replace("http", "ws")}/trpc`;
      const attempt = () =>
        new Promise<number>((resolve) => {
          const ws = new WebSocket(url);
          ws.once("open", () => {
            ws.close();
            resolve(101);
          });
          ws.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
          ws.once("error", () => resolve(0));
        });
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push(await attempt());
      expect(statuses).toEqual([101, 101, 101, 429]);
    } finally {
      await limited.close();
    }
  });
});
