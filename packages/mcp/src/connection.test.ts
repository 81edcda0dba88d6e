import type http from "node:http";
import { inspect } from "node:util";
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthClientProvider,
  OAuthTokens,
  Progress,
} from "@modelcontextprotocol/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectMcp, type McpConnection, type McpEndpointConfig } from "./connection.js";
import { McpConnectionError } from "./errors.js";
import { createSsrfGuard } from "./net/ssrf.js";
import { endpointConfig as cfg, loopbackGuard as guard, noDns } from "./testing/loopback.js";
import {
  brokenHandlers,
  closedPort,
  type Peer,
  type StreamablePeer,
  selfSignedCert,
  startHttpPeer,
  startLegacySsePeer,
  startStreamablePeer,
} from "./testing/peers.js";

const strictGuard = createSsrfGuard({ allowPrivateNetworks: false, allowedHosts: [], resolve: noDns });

const SECRET = "sk-live-SUPERSECRET-0123456789abcdef";

async function failure(p: Promise<unknown>): Promise<McpConnectionError> {
  const err = await p.then(
    () => {
      throw new Error("expected a failure");
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(McpConnectionError);
  return err as McpConnectionError;
}

function expectNoSecret(err: unknown, secret = SECRET) {
  const e = err as Error;
  expect(e.message).not.toContain(secret);
  expect(String(e.stack)).not.toContain(secret);
  expect(JSON.stringify(e)).not.toContain(secret);
  expect(inspect(e, { depth: 10, showHidden: true })).not.toContain(secret);
  expect(JSON.stringify(Object.getOwnPropertyNames(e).map((k) => String((e as never)[k])))).not.toContain(
    secret,
  );
}

describe("connectMcp: Streamable HTTP", () => {
  let peer: StreamablePeer;
  let conn: McpConnection;

  beforeAll(async () => {
    peer = await startStreamablePeer();
    conn = await connectMcp(cfg(peer.url), { guard, clientInfo: { name: "mcpdeck-test", version: "9.9.9" } });
  });
  afterAll(async () => {
    await conn.close();
    await peer.close();
  });

  it("initializes and reports server info", () => {
    expect(conn.transport).toBe("streamable_http");
    expect(conn.serverInfo).toEqual({ name: "test-peer", version: "1.2.3" });
    expect(conn.protocolVersion).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(conn.handshakeMs).toBeGreaterThan(0);
    expect(conn.isClosed).toBe(false);
    expect(peer.stats.initialize).toBe(1);
  });

  it("lists tools, resources, prompts", async () => {
    const tools = await conn.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(["add", "echo", "progress", "sleep"]);
    expect((await conn.listResources()).map((r) => r.uri)).toEqual(["test://readme"]);
    expect((await conn.listPrompts()).map((p) => p.name)).toEqual(["greet"]);
    expect(await conn.listResourceTemplates()).toEqual([]);
  });

  it("pings", async () => {
    const ms = await conn.ping();
    expect(ms).toBeGreaterThanOrEqual(0);
    expect(ms).toBeLessThan(1000);
  });

  it("falls back to tools/list on servers that do not implement ping", async () => {
    const pingless = await startStreamablePeer({ noPing: true });
    const c = await connectMcp(cfg(pingless.url), { guard });
    try {
      await expect(c.client.ping()).rejects.toThrow(/not found/i);
      const before = pingless.stats.posts;
      expect(await c.ping()).toBeGreaterThanOrEqual(0);
      expect(await c.ping()).toBeGreaterThanOrEqual(0);
      // First ping: the refused ping and its tools/list; second: straight to tools/list.
      expect(pingless.stats.posts - before).toBe(3);
    } finally {
      await c.close();
      await pingless.close();
    }
  });

  it("calls tools", async () => {
    const r = await conn.callTool("add", { a: 2, b: 3 });
    expect(r.content).toEqual([{ type: "text", text: "5" }]);
    const e = await conn.callTool("echo", { text: "hi" });
    expect(e.content).toEqual([{ type: "text", text: "hi" }]);
  });

  it("delivers progress and resets the timeout on progress", async () => {
    const seen: Progress[] = [];
    // 4 steps × 700 ms = 2.8 s total, longer than the 2 s timeout: only survives because progress resets it.
    const r = await conn.callTool(
      "progress",
      { steps: 4, delayMs: 700 },
      { timeoutSec: 2, onProgress: (p) => seen.push(p) },
    );
    expect(r.content).toEqual([{ type: "text", text: "done after 4 steps" }]);
    expect(seen.map((p) => p.progress)).toEqual([1, 2, 3, 4]);
    expect(seen[0]).toMatchObject({ total: 4, message: "step 1" });
  });

  it("times out a slow call without onprogress", async () => {
    const t0 = Date.now();
    const err = await failure(conn.callTool("sleep", { ms: 1500 }, { timeoutSec: 1 }));
    expect(err.code).toBe("TIMEOUT");
    expect(err.message).toBe("No response within 1 s (timeout)");
    expect(Date.now() - t0).toBeLessThan(2500);
    // still usable afterwards
    expect((await conn.callTool("echo", { text: "after" })).content).toEqual([
      { type: "text", text: "after" },
    ]);
  });

  it("an unknown tool is a tool error result, not a connection failure", async () => {
    const r = await conn.callTool("nope", {});
    expect(r.isError).toBe(true);
  });

  it("close() terminates the session and is idempotent", async () => {
    const c = await connectMcp(cfg(peer.url), { guard });
    const deletes = peer.stats.deletes;
    await c.close();
    await c.close();
    expect(c.isClosed).toBe(true);
    expect(peer.stats.deletes).toBe(deletes + 1);
    const err = await failure(c.listTools());
    expect(err.sessionLost).toBe(true);
  });
});

describe("connectMcp: legacy SSE fallback", () => {
  it("falls back to SSE when the POST is answered 405", async () => {
    const peer = await startLegacySsePeer();
    try {
      const conn = await connectMcp(cfg(peer.url), { guard });
      expect(conn.transport).toBe("sse");
      expect(conn.serverInfo.name).toBe("legacy-sse-peer");
      expect(conn.protocolVersion).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(peer.stats.postsToSse).toBe(1);
      expect((await conn.listTools()).map((t) => t.name)).toContain("echo");
      expect((await conn.callTool("add", { a: 40, b: 2 })).content).toEqual([{ type: "text", text: "42" }]);
      const seen: number[] = [];
      await conn.callTool(
        "progress",
        { steps: 3, delayMs: 30 },
        { onProgress: (p) => seen.push(p.progress) },
      );
      // SDK 1.32 race (typescript-sdk#2580): the final progress notification can be dropped when it
      // arrives in the same chunk as the response, so only the earlier ones are guaranteed.
      expect(seen.slice(0, 2)).toEqual([1, 2]);
      expect(await conn.ping()).toBeGreaterThanOrEqual(0);
      await conn.close();
    } finally {
      await peer.close();
    }
  });
});

describe("connectMcp: authentication", () => {
  it.each([
    ["Authorization", undefined, `Bearer ${SECRET}`],
    ["X-API-Key", "X-API-Key", SECRET],
    ["authorization (explicit)", "authorization", `Bearer ${SECRET}`],
  ])("succeeds with the right key via %s", async (_label, header, expectedValue) => {
    const headerName = header ?? "Authorization";
    const peer = await startStreamablePeer({ auth: { header: headerName, value: expectedValue } });
    try {
      const conn = await connectMcp(
        cfg(peer.url, { authMethod: "api_key", apiKey: { api_key: SECRET, ...(header ? { header } : {}) } }),
        { guard },
      );
      expect(conn.transport).toBe("streamable_http");
      expect((await conn.listTools()).length).toBe(4);
      expect(peer.lastHeaders?.[headerName.toLowerCase()]).toBe(expectedValue);
      await conn.close();
    } finally {
      await peer.close();
    }
  });

  it("wrong key → AUTH_FAILED (no SSE fallback), and the key never leaks", async () => {
    const peer = await startStreamablePeer({
      auth: { header: "Authorization", value: "Bearer the-right-key" },
    });
    try {
      const err = await failure(
        connectMcp(cfg(peer.url, { authMethod: "api_key", apiKey: { api_key: SECRET } }), { guard }),
      );
      expect(err.code).toBe("AUTH_FAILED");
      expect(err.message).toBe("The server rejected the credentials (HTTP 401). Check the API key.");
      expect(err.httpStatus).toBe(401);
      expect(peer.stats.rejectedAuth).toBe(1); // only the POST: 401 is not a reason to try SSE
      expectNoSecret(err);
    } finally {
      await peer.close();
    }
  });

  it("401 without configured credentials → AUTH_REQUIRED", async () => {
    const peer = await startStreamablePeer({ auth: { header: "X-API-Key", value: "k" } });
    try {
      const err = await failure(connectMcp(cfg(peer.url), { guard }));
      expect(err.code).toBe("AUTH_REQUIRED");
      expect(err.message).toContain("HTTP 401");
    } finally {
      await peer.close();
    }
  });

  it("403 → AUTH_FAILED", async () => {
    const peer = await startHttpPeer(brokenHandlers.status(403, "forbidden"));
    try {
      const err = await failure(
        connectMcp(cfg(peer.url, { authMethod: "api_key", apiKey: { api_key: SECRET } }), { guard }),
      );
      expect(err.code).toBe("AUTH_FAILED");
      expect(err.message).toBe("The server rejected the credentials (HTTP 403). Check the API key.");
      expect(peer.requests.length).toBe(1);
    } finally {
      await peer.close();
    }
  });

  describe("oauth", () => {
    function provider(tokens: OAuthTokens | undefined): OAuthClientProvider & { redirected: number } {
      const p = {
        redirected: 0,
        get redirectUrl() {
          return "http://127.0.0.1:1/callback";
        },
        get clientMetadata(): OAuthClientMetadata {
          return { client_name: "mcpdeck-test", redirect_uris: ["http://127.0.0.1:1/callback"] };
        },
        clientInformation: (): OAuthClientInformationMixed => ({ client_id: "test-client" }),
        tokens: () => tokens,
        saveTokens: () => undefined,
        redirectToAuthorization: () => {
          p.redirected++;
        },
        saveCodeVerifier: () => undefined,
        codeVerifier: () => "verifier",
      };
      return p;
    }

    it("uses the provider's access token", async () => {
      const peer = await startStreamablePeer({
        auth: { header: "Authorization", value: "Bearer oauth-token-1234" },
      });
      try {
        const conn = await connectMcp(
          cfg(peer.url, {
            authMethod: "oauth",
            oauthProvider: provider({ access_token: "oauth-token-1234", token_type: "Bearer" }),
          }),
          { guard },
        );
        expect((await conn.listTools()).length).toBe(4);
        await conn.close();
      } finally {
        await peer.close();
      }
    });

    it("no tokens → AUTH_REQUIRED (authorization redirect requested)", async () => {
      const peer = await startStreamablePeer({
        auth: { header: "Authorization", value: "Bearer x-token-1234" },
      });
      try {
        const p = provider(undefined);
        const err = await failure(
          connectMcp(cfg(peer.url, { authMethod: "oauth", oauthProvider: p }), { guard }),
        );
        expect(err.code).toBe("AUTH_REQUIRED");
        expect(p.redirected).toBe(1);
      } finally {
        await peer.close();
      }
    });
  });
});

describe("connectMcp: broken peers", () => {
  const peers: Peer[] = [];
  afterAll(async () => {
    await Promise.all(peers.map((p) => p.close()));
  });
  const start = async (h: (req: http.IncomingMessage, res: http.ServerResponse) => void) => {
    const p = await startHttpPeer(h);
    peers.push(p);
    return p;
  };

  it("text/html 200 → NOT_MCP", async () => {
    const peer = await start(brokenHandlers.html);
    const err = await failure(connectMcp(cfg(peer.url), { guard }));
    expect(err.code).toBe("NOT_MCP");
    expect(err.message).toBe(
      "The URL answered HTTP 200 with text/html, which is not an MCP endpoint (expected JSON or an event stream).",
    );
    expect(peer.requests.map((r) => r.method)).toEqual(["POST", "GET"]);
  });

  it("hangs past the timeout → TIMEOUT after ~timeoutSec", async () => {
    const peer = await start(brokenHandlers.hang);
    const t0 = Date.now();
    const err = await failure(connectMcp(cfg(peer.url, { timeoutSec: 1 }), { guard }));
    const elapsed = Date.now() - t0;
    expect(err.code).toBe("TIMEOUT");
    expect(err.message).toBe("No response within 1 s (timeout)");
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(4000);
  });

  it("HTTP 500 → SERVER_ERROR naming both transports", async () => {
    const peer = await start(brokenHandlers.status(500, "boom"));
    const err = await failure(connectMcp(cfg(peer.url), { guard }));
    expect(err.code).toBe("SERVER_ERROR");
    expect(err.httpStatus).toBe(500);
    expect(err.message).toBe(
      "The server failed: the Streamable HTTP request got HTTP 500 (Internal Server Error) and the legacy SSE request got HTTP 500 (Internal Server Error). Check the server's logs.",
    );
  });

  it("HTTP 404 on both transports → NOT_MCP", async () => {
    const peer = await start(brokenHandlers.status(404, "nope"));
    const err = await failure(connectMcp(cfg(peer.url), { guard }));
    expect(err.code).toBe("NOT_MCP");
    expect(err.message).toBe(
      "The URL answered HTTP 404 (Not Found) to both the Streamable HTTP and the legacy SSE transport, so it is not an MCP endpoint. Check the URL path (often /mcp or /sse).",
    );
  });

  it("405 then 404 → NOT_MCP describing each", async () => {
    const peer = await start((req, res) => {
      res.writeHead(req.method === "POST" ? 405 : 404).end();
    });
    const err = await failure(connectMcp(cfg(peer.url), { guard }));
    expect(err.code).toBe("NOT_MCP");
    expect(err.message).toBe(
      "The URL is not an MCP endpoint: the Streamable HTTP request got HTTP 405 (Method Not Allowed) and the legacy SSE request got HTTP 404 (Not Found). Check the URL path (often /mcp or /sse).",
    );
  });

  it("JSON that is not JSON-RPC → NOT_MCP", async () => {
    const peer = await start((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ hello: "world" }));
    });
    const err = await failure(connectMcp(cfg(peer.url), { guard }));
    expect(err.code).toBe("NOT_MCP");
  });

  it("connection refused → CONNECTION_REFUSED", async () => {
    const port = await closedPort();
    const err = await failure(connectMcp(cfg(`http://127.0.0.1:${port}/mcp`), { guard }));
    expect(err.code).toBe("CONNECTION_REFUSED");
    expect(err.message).toBe(`Connection refused by 127.0.0.1:${port} — is the server running?`);
  });

  it("DNS failure → DNS_FAILED", async () => {
    const err = await failure(connectMcp(cfg("http://example.invalid/mcp"), { guard }));
    expect(err.code).toBe("DNS_FAILED");
    expect(err.message).toBe("Could not resolve host example.invalid");
  });

  it("SSRF → SSRF_BLOCKED with the guard's message, and no request reaches the peer", async () => {
    const peer = await start(brokenHandlers.html);
    const err = await failure(connectMcp(cfg(peer.url), { guard: strictGuard }));
    expect(err.code).toBe("SSRF_BLOCKED");
    expect(err.message).toBe(
      "Refused to connect to 127.0.0.1 (loopback address). Set MCPDECK_ALLOW_PRIVATE_NETWORKS=true or add the host to MCPDECK_ALLOWED_HOSTS for self-hosted servers.",
    );
    expect(peer.requests.length).toBe(0);
  });

  it("a JSON-RPC error to initialize → PROTOCOL_ERROR with the server's (redacted) message", async () => {
    // A hostile server reflecting the credential back in its error message.
    const peer = await start((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = JSON.parse(Buffer.concat(chunks).toString() || "{}") as { id?: number };
        res.writeHead(200, { "content-type": "application/json" }).end(
          JSON.stringify({
            jsonrpc: "2.0",
            id: body.id ?? 0,
            error: {
              code: -32600,
              message: `bad credential ${req.headers.authorization} / ${req.headers["x-api-key"]}`,
            },
          }),
        );
      });
    });
    // startHttpPeer resumes the request stream; re-read via a fresh peer handler is fine because the
    // handler registered listeners synchronously.
    const err = await failure(
      connectMcp(cfg(peer.url, { authMethod: "api_key", apiKey: { api_key: SECRET } }), { guard }),
    );
    expect(err.code).toBe("PROTOCOL_ERROR");
    expect(err.message).toContain("bad credential Bearer [redacted]");
    expectNoSecret(err);
    const err2 = await failure(
      connectMcp(cfg(peer.url, { authMethod: "api_key", apiKey: { api_key: SECRET, header: "X-API-Key" } }), {
        guard,
      }),
    );
    expect(err2.message).toContain("[redacted]");
    expectNoSecret(err2);
  });

  it("never leaks the API key in any failure", async () => {
    const html = await start(brokenHandlers.html);
    const five = await start(brokenHandlers.status(500, `echo ${SECRET}`));
    const hang = await start(brokenHandlers.hang);
    const port = await closedPort();
    const apiKey = { api_key: SECRET, header: "X-API-Key" };
    const cases: McpEndpointConfig[] = [
      cfg(html.url, { authMethod: "api_key", apiKey }),
      cfg(five.url, { authMethod: "api_key", apiKey }),
      cfg(hang.url, { authMethod: "api_key", apiKey, timeoutSec: 0.5 }),
      cfg(`http://127.0.0.1:${port}/`, { authMethod: "api_key", apiKey: { api_key: SECRET } }),
      cfg("http://example.invalid/", { authMethod: "api_key", apiKey }),
    ];
    for (const c of cases) {
      const err = await failure(connectMcp(c, { guard }));
      expectNoSecret(err);
    }
    const ssrf = await failure(
      connectMcp(cfg(html.url, { authMethod: "api_key", apiKey }), { guard: strictGuard }),
    );
    expectNoSecret(ssrf);
  });
});

describe("connectMcp: TLS", () => {
  let peer: StreamablePeer;
  beforeAll(async () => {
    peer = await startStreamablePeer({ tls: selfSignedCert() });
  });
  afterAll(async () => {
    await peer.close();
  });

  it("self-signed certificate with sslVerify=true → TLS_FAILED with the hint", async () => {
    expect(peer.url.startsWith("https://127.0.0.1:")).toBe(true);
    const err = await failure(connectMcp(cfg(peer.url, { sslVerify: true }), { guard }));
    expect(err.code).toBe("TLS_FAILED");
    expect(err.message).toBe(
      "TLS certificate verification failed (self-signed certificate). If you trust this server, set ssl_verify to false.",
    );
    expect(peer.stats.initialize).toBe(0);
  });

  it("sslVerify=false connects, only for this connection", async () => {
    const before = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    const conn = await connectMcp(cfg(peer.url, { sslVerify: false }), { guard });
    expect(process.env.NODE_TLS_REJECT_UNAUTHORIZED).toBe(before);
    expect(conn.transport).toBe("streamable_http");
    expect((await conn.listTools()).length).toBe(4);
    // A verifying connection made at the same time still fails.
    const err = await failure(connectMcp(cfg(peer.url, { sslVerify: true }), { guard }));
    expect(err.code).toBe("TLS_FAILED");
    await conn.close();
  });

  it("plain http to a TLS port is not mistaken for MCP", async () => {
    const err = await failure(
      connectMcp(cfg(peer.url.replace("https:", "http:"), { timeoutSec: 2 }), { guard }),
    );
    expect(err.code).toBe("SERVER_ERROR");
    expect(err.message).toBe(
      `The connection to 127.0.0.1:${peer.port} was closed unexpectedly. If the server expects HTTPS, use an https:// URL.`,
    );
  });
});
