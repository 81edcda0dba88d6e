/**
 * HTTP runtime: an express app serving MCP at /mcp to both protocol eras, and/or the legacy HTTP+SSE
 * transport (GET /sse + POST /messages), optionally protected by an API key or OAuth.
 *
 * POST /mcp is classified with the 2.x SDK's `isLegacyRequest` (the same step `createMcpHandler` runs):
 * requests carrying the 2026-07-28 `_meta` envelope go to the stateless 2.x handler; everything else
 * (the `initialize` handshake, session traffic, GET/DELETE) to a sessionful 1.x server per session.
 * With `modernEra: false` every request goes to the 1.x side: a server of the 2025 era only.
 *
 * The listener is bound first (so an ephemeral port is known), then the app is built with the real
 * origin — OAuth metadata and resource URLs need it.
 */
import { randomUUID } from "node:crypto";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { requireBearerAuth } from "@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js";
import {
  getOAuthProtectedResourceMetadataUrl,
  mcpAuthRouter,
} from "@modelcontextprotocol/sdk/server/auth/router.js";
import {
  hostHeaderValidation,
  localhostHostValidation,
} from "@modelcontextprotocol/sdk/server/middleware/hostHeaderValidation.js";
import { SSEServerTransport } from "@modelcontextprotocol/sdk/server/sse.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import {
  type AuthInfo,
  createMcpHandler,
  isLegacyRequest,
  type McpHttpHandler,
} from "@modelcontextprotocol/server";
import express, { type NextFunction, type Request, type RequestHandler, type Response } from "express";
import { apiKeyMatches, presentedApiKeys } from "./apiKey.js";
import { connectPageRouter } from "./connectPage.js";
import { OAUTH_SCOPES, SERVER_NAME } from "./constants.js";
import { DataSourceConnections } from "./dataSourceConnections.js";
import type { DemoEnv } from "./env.js";
import { sendWebResponse, toWebRequest } from "./fetchBridge.js";
import { createLegacyMcpServer, type LegacyMcpServer } from "./legacyServer.js";
import { createModernMcpServer } from "./modernServer.js";
import { DemoOAuthProvider } from "./oauth.js";
import { REPORT_CACHE_URI, ReportCache } from "./reportCache.js";

export interface RuntimeOptions {
  port: number;
  host: string;
  oauth: boolean;
  accessTokenTtlSec: number | undefined;
  apiKey: string | undefined;
  allowedHosts: string[] | undefined;
  referenceDate: string | undefined;
  sessionIdleMs: number;
  log: (line: string) => void;
  /** Serve MCP at /mcp (2026-07-28 stateless + 2025 streamable HTTP sessions). */
  streamable: boolean;
  /**
   * Serve the 2026-07-28 era at /mcp. When false, /mcp speaks only the 2025 handshake era, as a
   * server from before 2026-07-28 does: a 2026-07-28 request (e.g. the `server/discover` probe) is
   * answered like any request without a session (400).
   */
  modernEra: boolean;
  /** Serve the legacy HTTP+SSE transport at GET /sse + POST /messages. */
  legacySse: boolean;
}

export interface Runtime {
  origin: string;
  close(): Promise<void>;
  oauth: DemoOAuthProvider | undefined;
  sessionCount(): number;
}

interface Session {
  transport: StreamableHTTPServerTransport | SSEServerTransport;
  legacy: LegacyMcpServer;
  /** Responses currently open for this session (long requests, SSE streams). */
  open: number;
  lastActive: number;
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "::1"]);

const jsonRpcError = (res: Response, status: number, code: number, message: string): void => {
  if (res.headersSent) return;
  res.status(status).json({ jsonrpc: "2.0", error: { code, message }, id: null });
};

function formatHost(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

function listen(server: HttpServer, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** Permissive CORS so browser-based MCP clients can talk to the demo directly. */
const cors: RequestHandler = (req, res, next) => {
  res.setHeader("Access-Control-Allow-Origin", "*");
  res.setHeader(
    "Access-Control-Expose-Headers",
    "Mcp-Session-Id, Mcp-Protocol-Version, WWW-Authenticate, Last-Event-ID",
  );
  if (req.method === "OPTIONS") {
    res.setHeader("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS");
    res.setHeader(
      "Access-Control-Allow-Headers",
      "Authorization, Content-Type, Accept, Mcp-Session-Id, Mcp-Protocol-Version, Mcp-Method, Mcp-Name, Last-Event-ID, X-API-Key",
    );
    res.setHeader("Access-Control-Max-Age", "600");
    res.status(204).end();
    return;
  }
  next();
};

export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  const httpServer = createServer();
  const address = await listen(httpServer, options.port, options.host);
  const origin = `http://${formatHost(options.host)}:${address.port}`;
  try {
    return buildRuntime(options, httpServer, origin);
  } catch (error) {
    // Do not leak the listener when the app cannot be built (e.g. an issuer URL the SDK refuses).
    httpServer.closeAllConnections();
    httpServer.close();
    if (options.oauth && error instanceof Error && /Issuer URL/.test(error.message)) {
      throw new Error(
        `OAuth mode cannot use ${origin} as issuer (${error.message}); bind to 127.0.0.1 or localhost, ` +
          "or set MCP_DANGEROUSLY_ALLOW_INSECURE_ISSUER_URL=true (development only).",
      );
    }
    throw error;
  }
}

function buildRuntime(options: RuntimeOptions, httpServer: HttpServer, origin: string): Runtime {
  const { log } = options;
  const resourcePath = options.streamable ? "/mcp" : "/sse";
  const resourceUrl = new URL(`${origin}${resourcePath}`);

  const sessions = new Map<string, Session>();
  let closing = false;
  const env: DemoEnv = {
    referenceDate: options.referenceDate,
    origin,
    reports: new ReportCache(),
    connections: new DataSourceConnections(),
    log,
  };

  const app = express();
  app.disable("x-powered-by");
  // DNS-rebinding protection (same policy as the SDK's createMcpExpressApp).
  if (options.allowedHosts) app.use(hostHeaderValidation(options.allowedHosts));
  else if (LOOPBACK_HOSTS.has(options.host)) app.use(localhostHostValidation());
  app.use(cors);
  // Larger than express' 100kb default: build_report receives earlier tools' results.
  app.use(express.json({ limit: "16mb" }));

  // ---- authentication -------------------------------------------------------------------------
  let oauthProvider: DemoOAuthProvider | undefined;
  let bearerAuth: RequestHandler | undefined;
  if (options.oauth) {
    oauthProvider = new DemoOAuthProvider({
      resourceUrl,
      scopesSupported: OAUTH_SCOPES,
      ...(options.accessTokenTtlSec !== undefined && { accessTokenTtlSec: options.accessTokenTtlSec }),
    });
    app.use(
      mcpAuthRouter({
        provider: oauthProvider,
        issuerUrl: new URL(origin),
        resourceServerUrl: resourceUrl,
        scopesSupported: [...OAUTH_SCOPES],
        resourceName: `${SERVER_NAME} (demo)`,
        // A local demo/test fixture: many clients register and refresh in quick succession.
        authorizationOptions: { rateLimit: false },
        tokenOptions: { rateLimit: false },
        clientRegistrationOptions: { rateLimit: false },
        revocationOptions: { rateLimit: false },
      }),
    );
    bearerAuth = requireBearerAuth({
      verifier: oauthProvider,
      resourceMetadataUrl: getOAuthProtectedResourceMetadataUrl(resourceUrl),
    });
  }
  const apiKey = options.apiKey;
  const requireAuth: RequestHandler = (req, res, next) => {
    if (apiKey !== undefined && presentedApiKeys(req).some((k) => apiKeyMatches(k, apiKey))) {
      next();
      return;
    }
    if (bearerAuth) {
      bearerAuth(req, res, next);
      return;
    }
    if (apiKey === undefined) {
      next();
      return;
    }
    const presented = presentedApiKeys(req).length > 0;
    res.setHeader("WWW-Authenticate", `Bearer realm="${SERVER_NAME}", error="invalid_token"`);
    jsonRpcError(
      res,
      401,
      -32001,
      presented
        ? "Unauthorized: invalid API key"
        : "Unauthorized: API key required (send 'Authorization: Bearer <key>' or 'X-API-Key: <key>')",
    );
  };

  // ---- session bookkeeping --------------------------------------------------------------------
  const track = (session: Session, res: Response): void => {
    session.lastActive = Date.now();
    session.open++;
    res.on("close", () => {
      session.open--;
      session.lastActive = Date.now();
    });
  };
  const removeSession = (id: string | undefined, kind: string): void => {
    const session = id === undefined ? undefined : sessions.get(id);
    if (!id || !session) return;
    sessions.delete(id);
    session.legacy.dispose();
    log(`${kind} session closed: ${id}`);
  };
  const newLegacyServer = (): LegacyMcpServer => createLegacyMcpServer(env);

  // ---- the 2026-07-28 era: stateless, one 2.x server per request --------------------------------
  let modern: McpHttpHandler | undefined;
  if (options.streamable && options.modernEra) {
    const handler = createMcpHandler(() => createModernMcpServer(env), {
      legacy: "reject",
      onerror: (error) => log(`2026-07-28 request failed: ${error.message}`),
    });
    // Open subscriptions/listen streams hear the report cache change.
    env.reports.onChange(() => {
      handler.notify.resourceUpdated(REPORT_CACHE_URI);
      handler.notify.resourcesChanged();
    });
    modern = handler;
  }

  // ---- streamable HTTP at /mcp ----------------------------------------------------------------
  if (options.streamable) {
    const sessionFor = (req: Request, res: Response): Session | undefined => {
      const id = req.headers["mcp-session-id"];
      if (typeof id !== "string" || id === "") {
        jsonRpcError(res, 400, -32000, "Bad Request: missing Mcp-Session-Id header");
        return undefined;
      }
      const session = sessions.get(id);
      if (!session || !(session.transport instanceof StreamableHTTPServerTransport)) {
        jsonRpcError(res, 404, -32001, "Session not found");
        return undefined;
      }
      track(session, res);
      return session;
    };

    app.post("/mcp", requireAuth, async (req, res) => {
      if (modern && req.body !== undefined) {
        const { request } = toWebRequest(req, origin);
        if (!(await isLegacyRequest(request, req.body))) {
          if (closing) {
            jsonRpcError(res, 503, -32000, "Server is shutting down");
            return;
          }
          const authInfo = (req as Request & { auth?: AuthInfo }).auth;
          const response = await modern.fetch(request, {
            parsedBody: req.body,
            ...(authInfo && { authInfo }),
          });
          await sendWebResponse(res, response);
          return;
        }
      }
      const id = req.headers["mcp-session-id"];
      if (id === undefined) {
        if (!isInitializeRequest(req.body)) {
          jsonRpcError(
            res,
            400,
            -32000,
            "Bad Request: no valid session ID provided (send an initialize request first)",
          );
          return;
        }
        if (closing) {
          jsonRpcError(res, 503, -32000, "Server is shutting down");
          return;
        }
        const legacy = newLegacyServer();
        const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          onsessioninitialized: (sessionId) => {
            const session: Session = { transport, legacy, open: 0, lastActive: Date.now() };
            sessions.set(sessionId, session);
            track(session, res);
            log(`streamable HTTP session initialized: ${sessionId}`);
          },
        });
        transport.onclose = () => removeSession(transport.sessionId, "streamable HTTP");
        await legacy.server.connect(transport);
        await transport.handleRequest(req, res, req.body);
        return;
      }
      const session = sessionFor(req, res);
      if (session)
        await (session.transport as StreamableHTTPServerTransport).handleRequest(req, res, req.body);
    });
    const getOrDelete: RequestHandler = async (req, res) => {
      const session = sessionFor(req, res);
      if (session) await (session.transport as StreamableHTTPServerTransport).handleRequest(req, res);
    };
    app.get("/mcp", requireAuth, getOrDelete);
    app.delete("/mcp", requireAuth, getOrDelete);
    app.all("/mcp", (_req, res) => {
      res.setHeader("Allow", "GET, POST, DELETE");
      jsonRpcError(res, 405, -32000, "Method not allowed");
    });
  }

  // ---- legacy HTTP+SSE at GET /sse + POST /messages ---------------------------------------------
  if (options.legacySse) {
    app.get("/sse", requireAuth, async (_req, res) => {
      if (closing) {
        jsonRpcError(res, 503, -32000, "Server is shutting down");
        return;
      }
      const legacy = newLegacyServer();
      const transport = new SSEServerTransport("/messages", res);
      const session: Session = { transport, legacy, open: 0, lastActive: Date.now() };
      sessions.set(transport.sessionId, session);
      track(session, res);
      transport.onclose = () => removeSession(transport.sessionId, "legacy SSE");
      log(`legacy SSE session opened: ${transport.sessionId}`);
      await legacy.server.connect(transport);
    });
    // A streamable HTTP client POSTs to the URL it was given first; refusing it here makes clients
    // that were pointed at /sse fall back to the legacy transport.
    app.all("/sse", (_req, res) => {
      res.setHeader("Allow", "GET");
      jsonRpcError(
        res,
        405,
        -32000,
        "Method not allowed: this is a legacy HTTP+SSE endpoint, open it with GET",
      );
    });
    app.post("/messages", requireAuth, async (req, res) => {
      const id = req.query.sessionId;
      if (typeof id !== "string" || id === "") {
        jsonRpcError(res, 400, -32000, "Bad Request: missing sessionId query parameter");
        return;
      }
      const session = sessions.get(id);
      if (!session || !(session.transport instanceof SSEServerTransport)) {
        jsonRpcError(res, 404, -32001, "Session not found");
        return;
      }
      session.lastActive = Date.now();
      await session.transport.handlePostMessage(req, res, req.body);
    });
  }

  app.use(connectPageRouter(env.connections));

  app.get("/", (_req, res) => {
    res.json({
      name: SERVER_NAME,
      streamable_http: options.streamable ? `${origin}/mcp` : undefined,
      protocol_eras: modern ? ["2026-07-28", "2025-11-25 (and earlier)"] : ["2025-11-25 (and earlier)"],
      legacy_sse: options.legacySse ? `${origin}/sse` : undefined,
      auth: options.oauth ? "oauth" : apiKey !== undefined ? "api-key" : "none",
    });
  });

  // Express 5 forwards async errors here.
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    log(`request failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    const status =
      typeof (error as { status?: unknown }).status === "number" ? (error as { status: number }).status : 500;
    if (status >= 500) jsonRpcError(res, 500, -32603, "Internal server error");
    else if (status === 400) jsonRpcError(res, 400, -32700, "Parse error: request body is not valid JSON");
    else jsonRpcError(res, status, -32000, error instanceof Error ? error.message : "Bad request");
  });

  httpServer.on("request", app);

  // Close sessions that have been idle (nothing open, no traffic) for too long.
  const sweeper = setInterval(
    () => {
      const cutoff = Date.now() - options.sessionIdleMs;
      for (const [id, session] of sessions) {
        if (session.open === 0 && session.lastActive < cutoff) {
          log(`closing idle session ${id}`);
          session.transport.close().catch(() => {});
        }
      }
    },
    Math.min(60_000, options.sessionIdleMs),
  );
  sweeper.unref();

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      closing = true;
      clearInterval(sweeper);
      const all = [...sessions.values()];
      sessions.clear();
      for (const session of all) session.legacy.dispose();
      await Promise.race([
        Promise.allSettled([...all.map((s) => s.legacy.server.close()), modern?.close()]),
        new Promise((resolve) => setTimeout(resolve, 1000).unref()),
      ]);
      await new Promise<void>((resolve) => {
        httpServer.close(() => resolve());
        httpServer.closeAllConnections();
      });
    })();
    return closed;
  };

  return { origin, close, oauth: oauthProvider, sessionCount: () => sessions.size };
}
