import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { Config } from "../config/config.js";
import { startTestApp, type TestApp } from "../testing/harness.js";
import { apiErrorOf, trpcWsClient } from "../testing/trpc-clients.js";
import { createClientIp } from "./client-ip.js";

describe("clientIp (TRUST_PROXY)", () => {
  // A real HTTP server on loopback: each request answers with the address `clientIp` gives it.
  let server: Server;
  let reader: (req: IncomingMessage) => string = () => "";
  beforeAll(async () => {
    server = createServer((req, res) => res.end(reader(req)));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  async function seenAs(trust: Config["trustProxy"], forwardedFor?: string) {
    reader = createClientIp(trust);
    const port = (server.address() as AddressInfo).port;
    const res = await fetch(`http://127.0.0.1:${port}/`, {
      headers: forwardedFor ? { "x-forwarded-for": forwardedFor } : {},
    });
    return res.text();
  }

  const chain = "198.51.100.1, 203.0.113.7";
  it("ignores X-Forwarded-For unless told to trust the proxy", async () => {
    expect(await seenAs(false, chain)).toBe("127.0.0.1");
    expect(await seenAs(["10.0.0.0/8"], chain)).toBe("127.0.0.1");
  });

  it("reads it as Express and Fastify do: every hop, n hops, or listed proxies", async () => {
    expect(await seenAs(true, chain)).toBe("198.51.100.1");
    expect(await seenAs(1, chain)).toBe("203.0.113.7");
    expect(await seenAs(2, chain)).toBe("198.51.100.1");
    expect(await seenAs(["127.0.0.1"], chain)).toBe("203.0.113.7");
    expect(await seenAs(["127.0.0.0/8", "203.0.113.0/24"], chain)).toBe("198.51.100.1");
    expect(await seenAs(true)).toBe("127.0.0.1");
  });
});

describe("one client address for requests, upgrades and WebSocket calls", () => {
  const opened: TestApp[] = [];
  afterEach(async () => {
    for (const app of opened.splice(0)) await app.close();
  });
  async function start(env: Record<string, string>) {
    const app = await startTestApp({
      env: { MCPDECK_RATE_LIMIT_API: "1", MCPDECK_RATE_LIMIT_AUTH: "1", ...env },
    });
    opened.push(app);
    return app;
  }

  function upgrade(app: TestApp, forwardedFor: string) {
    return new Promise<number>((resolve) => {
      const ws = new WebSocket(`${app.url.replace("http", "ws")}/trpc`, {
        headers: { "x-forwarded-for": forwardedFor },
      });
      ws.once("open", () => {
        ws.close();
        resolve(101);
      });
      ws.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      ws.once("error", () => resolve(0));
    });
  }

  const limitedKeys = async (app: TestApp) =>
    ((await app.db.execute("select key from rate_limits order by key")) as { key: string }[]).map(
      (r) => r.key,
    );

  it("keys an upgrade's limit by X-Forwarded-For when TRUST_PROXY trusts the proxy", async () => {
    const app = await start({ TRUST_PROXY: "127.0.0.1" });
    expect(await upgrade(app, "203.0.113.7")).toBe(101);
    expect(await upgrade(app, "203.0.113.8")).toBe(101);
    expect(await upgrade(app, "203.0.113.7")).toBe(429);
    expect(await limitedKeys(app)).toEqual(["api:203.0.113.7", "api:203.0.113.8"]);
    // A plain request from the same client counts against the same key.
    const res = await app.request("GET", "/api/v1/user/profile", {
      headers: { "x-forwarded-for": "203.0.113.8" },
    });
    expect(res.status).toBe(429);
  });

  it("ignores an upgrade's X-Forwarded-For when TRUST_PROXY is unset", async () => {
    const app = await start({});
    expect(await upgrade(app, "203.0.113.7")).toBe(101);
    expect(await upgrade(app, "203.0.113.8")).toBe(429);
    expect(await limitedKeys(app)).toEqual(["api:127.0.0.1"]);
  });

  it("keys calls over a tRPC WebSocket by the upgrade's client address", async () => {
    const app = await start({ TRUST_PROXY: "true", MCPDECK_RATE_LIMIT_API: "10" });
    const request = async (forwardedFor: string, email: string) => {
      const socket = trpcWsClient(app, { headers: { "x-forwarded-for": forwardedFor } });
      try {
        return (await socket.client.auth.otpRequest.mutate({ email })).status;
      } catch (error) {
        return apiErrorOf(error).data?.error.code;
      } finally {
        socket.close();
      }
    };
    expect(await request("203.0.113.7", "one@example.com")).toBe("sent");
    expect(await request("203.0.113.8", "two@example.com")).toBe("sent");
    expect(await request("203.0.113.7", "three@example.com")).toBe("RATE_LIMITED");
  });
});
