/**
 * Test-only legacy-era MCP peers on loopback, built on SDK 1.x (the reference implementation of the
 * 2025-11-25 era): a McpServer over Streamable HTTP with sessions (optionally TLS and/or API-key
 * protected, optionally with the feature tools of features.ts), a legacy SSE-only server, and
 * deliberately broken HTTP peers. The modern-era peer is in modern-peer.ts.
 * Every server listens on 127.0.0.1 only.
 */
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  InMemoryTaskMessageQueue,
  InMemoryTaskStore,
} from "@modelcontextprotocol/sdk/experimental/tasks/stores/in-memory.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { SSEServerTransport } from "@modelcontextprotocol/sdk/server/sse.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";
import { type FeatureState, newFeatureState } from "./features.js";
import { LEGACY_FEATURE_CAPABILITIES, registerLegacyFeatures } from "./legacy-features.js";

export interface Peer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * A tiny MCP server with a few tools (one sends progress), a resource and a prompt; with `features`,
 * also the feature tools, resources and prompt of features.ts, keeping their state there.
 */
export function createTestMcpServer(name = "test-peer", features?: FeatureState): McpServer {
  const server = features
    ? new McpServer(
        { name, version: "1.2.3" },
        {
          capabilities: LEGACY_FEATURE_CAPABILITIES,
          taskStore: new InMemoryTaskStore(),
          taskMessageQueue: new InMemoryTaskMessageQueue(),
        },
      )
    : new McpServer({ name, version: "1.2.3" });
  server.registerTool(
    "echo",
    { description: "Echo the text back", inputSchema: { text: z.string() } },
    async ({ text }) => ({ content: [{ type: "text", text }] }),
  );
  server.registerTool(
    "add",
    { description: "Add two numbers", inputSchema: { a: z.number(), b: z.number() } },
    async ({ a, b }) => ({ content: [{ type: "text", text: String(a + b) }] }),
  );
  server.registerTool(
    "progress",
    {
      description: "Sends `steps` progress notifications, `delayMs` apart",
      inputSchema: { steps: z.number().int(), delayMs: z.number().int() },
    },
    async ({ steps, delayMs }, extra) => {
      const token = extra._meta?.progressToken;
      for (let i = 1; i <= steps; i++) {
        await new Promise((r) => setTimeout(r, delayMs));
        if (token !== undefined) {
          await extra.sendNotification({
            method: "notifications/progress",
            params: { progressToken: token, progress: i, total: steps, message: `step ${i}` },
          });
        }
      }
      return { content: [{ type: "text", text: `done after ${steps} steps` }] };
    },
  );
  server.registerTool(
    "sleep",
    { description: "Sleeps ms milliseconds", inputSchema: { ms: z.number().int() } },
    async ({ ms }) => {
      await new Promise((r) => setTimeout(r, ms));
      return { content: [{ type: "text", text: "slept" }] };
    },
  );
  server.registerResource(
    "readme",
    "test://readme",
    { description: "A readme", mimeType: "text/plain" },
    async (uri) => ({ contents: [{ uri: uri.href, text: "hello" }] }),
  );
  server.registerPrompt("greet", { description: "Greets" }, async () => ({
    messages: [{ role: "user", content: { type: "text", text: "hello" } }],
  }));
  if (features) registerLegacyFeatures(server, features);
  return server;
}

function trackSockets(server: http.Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.on("secureConnection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  return sockets;
}

async function listen(server: http.Server, port = 0): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

async function shutdown(server: http.Server, sockets: Set<Socket>): Promise<void> {
  for (const s of sockets) s.destroy();
  server.closeAllConnections?.();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text === "" ? undefined : JSON.parse(text);
}

function hasMethod(body: unknown, method: string): boolean {
  const msgs = Array.isArray(body) ? body : [body];
  return msgs.some(
    (m) => typeof m === "object" && m !== null && (m as { method?: unknown }).method === method,
  );
}

const isInitialize = (body: unknown) => hasMethod(body, "initialize");
const isDiscover = (body: unknown) => hasMethod(body, "server/discover");

export interface StreamablePeerOptions {
  /** Fixed port (to restart a peer on the same port). */
  port?: number;
  /** Require this header (case-insensitive name) to carry exactly this value, else 401. */
  auth?: { header: string; value: string };
  tls?: { key: string; cert: string };
  /** Status for requests carrying an unknown session id: 404 (spec) or 400 (common in examples). */
  unknownSessionStatus?: 404 | 400;
  path?: string;
  /** Answer `ping` with "method not found", like servers that do not implement it. */
  noPing?: boolean;
  /** Serve the feature tools of features.ts (state per session, see `sessionStates`). */
  features?: boolean;
}

export interface StreamablePeer extends Peer {
  /** `probes`: modern-era `server/discover` probes (this legacy peer refuses them, as 1.x servers do). */
  stats: { initialize: number; posts: number; deletes: number; rejectedAuth: number; probes: number };
  /** Feature state of each session, in the order they were opened. */
  sessionStates: FeatureState[];
  /** `tools/call` requests received, by tool name (proves a call was made exactly once). */
  toolCalls: Map<string, number>;
  /** Headers of the most recent request. */
  lastHeaders: http.IncomingHttpHeaders | undefined;
  /** Drops every session (as if the server restarted) without closing sockets. */
  forgetSessions(): Promise<void>;
}

export async function startStreamablePeer(opts: StreamablePeerOptions = {}): Promise<StreamablePeer> {
  const path = opts.path ?? "/mcp";
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const stats = { initialize: 0, posts: 0, deletes: 0, rejectedAuth: 0, probes: 0 };
  const sessionStates: FeatureState[] = [];
  const toolCalls = new Map<string, number>();
  const peer = { lastHeaders: undefined as http.IncomingHttpHeaders | undefined };

  const handler = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    peer.lastHeaders = req.headers;
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname !== path) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    if (opts.auth && req.headers[opts.auth.header.toLowerCase()] !== opts.auth.value) {
      stats.rejectedAuth++;
      res
        .writeHead(401, { "content-type": "application/json" })
        .end(JSON.stringify({ error: "invalid_token" }));
      return;
    }
    const sessionId = req.headers["mcp-session-id"];
    if (req.method === "POST") stats.posts++;
    if (req.method === "DELETE") stats.deletes++;
    const body = req.method === "POST" ? await readJson(req) : undefined;
    for (const message of Array.isArray(body) ? body : [body]) {
      const call = message as { method?: string; params?: { name?: unknown } } | undefined;
      if (call?.method === "tools/call" && typeof call.params?.name === "string")
        toolCalls.set(call.params.name, (toolCalls.get(call.params.name) ?? 0) + 1);
    }
    if (typeof sessionId === "string") {
      const transport = sessions.get(sessionId);
      if (!transport) {
        const status = opts.unknownSessionStatus ?? 404;
        res.writeHead(status, { "content-type": "application/json" }).end(
          JSON.stringify({
            jsonrpc: "2.0",
            error: {
              code: -32001,
              message: status === 404 ? "Session not found" : "Bad Request: No valid session ID",
            },
            id: null,
          }),
        );
        return;
      }
      await transport.handleRequest(req, res, body);
      return;
    }
    if (req.method === "POST" && isInitialize(body)) {
      stats.initialize++;
      const transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => {
          sessions.set(id, transport);
        },
      });
      transport.onclose = () => {
        if (transport.sessionId) sessions.delete(transport.sessionId);
      };
      let state: FeatureState | undefined;
      if (opts.features) {
        state = newFeatureState();
        sessionStates.push(state);
      }
      const mcp = createTestMcpServer("test-peer", state);
      if (opts.noPing) mcp.server.removeRequestHandler("ping");
      await mcp.connect(transport);
      await transport.handleRequest(req, res, body);
      return;
    }
    if (isDiscover(body)) stats.probes++;
    res.writeHead(400, { "content-type": "application/json" }).end(
      JSON.stringify({
        jsonrpc: "2.0",
        error: { code: -32000, message: "Bad Request: missing session" },
        id: null,
      }),
    );
  };

  const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
    handler(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  };
  const server = opts.tls
    ? https.createServer({ key: opts.tls.key, cert: opts.tls.cert }, listener)
    : http.createServer(listener);
  const sockets = trackSockets(server);
  const port = await listen(server, opts.port);
  const scheme = opts.tls ? "https" : "http";

  const forgetSessions = async () => {
    const all = [...sessions.values()];
    sessions.clear();
    await Promise.all(all.map((t) => t.close().catch(() => undefined)));
  };

  return {
    url: `${scheme}://127.0.0.1:${port}${path}`,
    port,
    stats,
    sessionStates,
    toolCalls,
    get lastHeaders() {
      return peer.lastHeaders;
    },
    forgetSessions,
    close: async () => {
      await forgetSessions();
      await shutdown(server, sockets);
    },
  };
}

/** A legacy HTTP+SSE-only SDK server: GET /sse opens the stream, POST /messages?sessionId=…; POST /sse → 405. */
export async function startLegacySsePeer(
  opts: { features?: boolean } = {},
): Promise<Peer & { stats: { streams: number; postsToSse: number } }> {
  const sessions = new Map<string, SSEServerTransport>();
  const stats = { streams: 0, postsToSse: 0 };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname === "/sse" && req.method === "GET") {
      stats.streams++;
      const transport = new SSEServerTransport("/messages", res);
      sessions.set(transport.sessionId, transport);
      transport.onclose = () => sessions.delete(transport.sessionId);
      void createTestMcpServer("legacy-sse-peer", opts.features ? newFeatureState() : undefined).connect(
        transport,
      );
      return;
    }
    if (url.pathname === "/sse") {
      stats.postsToSse++;
      res.writeHead(405, { allow: "GET", "content-type": "text/plain" }).end("Method Not Allowed");
      return;
    }
    if (url.pathname === "/messages" && req.method === "POST") {
      const transport = sessions.get(url.searchParams.get("sessionId") ?? "");
      if (!transport) {
        res.writeHead(404).end("Session not found");
        return;
      }
      void transport.handlePostMessage(req, res);
      return;
    }
    res.writeHead(404).end();
  });
  const sockets = trackSockets(server);
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}/sse`,
    port,
    stats,
    close: async () => {
      await Promise.all([...sessions.values()].map((t) => t.close().catch(() => undefined)));
      await shutdown(server, sockets);
    },
  };
}

/** A plain HTTP peer with an arbitrary handler. */
export async function startHttpPeer(
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => void,
  path = "/mcp",
): Promise<Peer & { requests: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders }> }> {
  const requests: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders }> = [];
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
    req.resume();
    handler(req, res);
  });
  const sockets = trackSockets(server);
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}${path}`, port, requests, close: () => shutdown(server, sockets) };
}

/** Broken peers. */
export const brokenHandlers = {
  html: (_req: http.IncomingMessage, res: http.ServerResponse) => {
    res
      .writeHead(200, { "content-type": "text/html; charset=utf-8" })
      .end("<html><body>Welcome</body></html>");
  },
  hang: (_req: http.IncomingMessage, _res: http.ServerResponse) => {
    /* never answers */
  },
  status:
    (status: number, body = "error") =>
    (_req: http.IncomingMessage, res: http.ServerResponse) => {
      res.writeHead(status, { "content-type": "text/plain" }).end(body);
    },
};

/** A port that was open a moment ago and is now closed (connection refused). */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  const port = await listen(server);
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** A throwaway self-signed EC certificate for CN=localhost / IP 127.0.0.1, made with the openssl CLI. */
export function selfSignedCert(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), "mcpdeck-cert-"));
  try {
    const keyPath = join(dir, "key.pem");
    const certPath = join(dir, "cert.pem");
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=DNS:localhost,IP:127.0.0.1",
        "-days",
        "1",
        "-keyout",
        keyPath,
        "-out",
        certPath,
      ],
      { stdio: "ignore" },
    );
    return { key: readFileSync(keyPath, "utf8"), cert: readFileSync(certPath, "utf8") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
