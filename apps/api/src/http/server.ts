import { existsSync } from "node:fs";
import { type IncomingMessage, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import cors from "@fastify/cors";
import fastifyStatic from "@fastify/static";
import { WS_MAX_MESSAGE_BYTES } from "@mcpdeck/contracts";
import { fastifyTRPCPlugin } from "@trpc/server/adapters/fastify";
import { applyWSSHandler } from "@trpc/server/adapters/ws";
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from "fastify";
import { WebSocketServer } from "ws";
import { registerArtifactDownload } from "../artifacts/http.js";
import type { ProcedureContext } from "../context.js";
import { AppError, shapeError } from "../errors.js";
import { buildOpenApiDocument } from "../openapi.js";
import { enforceRateLimit } from "../policy/rate-limit.js";
import { appRouter } from "../root.js";
import type { AppServices } from "../services.js";
import { createSessionSocket } from "../sessions/socket.js";
import { compileTrustProxy } from "./client-ip.js";
import { webContentSecurityPolicy } from "./content-security-policy.js";
import { type BuildContext, createContextBuilder } from "./context.js";
import { registerMetricsRoute } from "./metrics-route.js";
import { registerRestFacade } from "./rest.js";
import { closeGoingAway, refuseUpgrade } from "./upgrade.js";

export const API_PREFIX = "/api/v1";

/** Upgrade handlers for the spec's WebSocket routes, registered by the domains that own them. */
export type UpgradeHandler = (
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  params: { serverId: string },
) => void;

/** Status and headers of a REST or tRPC response: our error code's status, or what the procedure set. */
function responseMeta({ ctx, errors }: { ctx?: ProcedureContext | undefined; errors: readonly unknown[] }) {
  const headers: Record<string, string> = { ...(ctx?.response.headers ?? {}) };
  if (errors.length > 0) {
    // tRPC leaves the content type out of errors raised before any procedure runs (a batch mixing
    // queries and mutations, an unreadable body): every error is JSON.
    headers["content-type"] = "application/json";
    const shaped = shapeError(errors[0]);
    return { status: shaped.status, headers: { ...headers, ...shaped.headers } };
  }
  return { ...(ctx?.response.status ? { status: ctx.response.status } : {}), headers };
}

export async function buildHttpServer(
  services: AppServices,
  options: {
    /** The session socket's status, liveness ping and sign-in re-check interval (default 15 s). */
    socketStatusEveryMs?: number;
  } = {},
) {
  const { config, log } = services;
  const buildContext = createContextBuilder(services);
  const app = Fastify({
    loggerInstance: log,
    // The same trust as `clientIp` (http/client-ip.ts), for what Fastify reads itself (req.ip, protocol).
    trustProxy: config.trustProxy === false ? false : compileTrustProxy(config.trustProxy),
    bodyLimit: 1024 * 1024,
    // Request lines are logged by the onResponse hook below (debug level, 5xx as errors).
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { maxParamLength: 200 },
    // Requests the router or the HTTP parser refuse get the one error shape too, not Fastify's own.
    frameworkErrors: (error, req, reply) => {
      const path = req.url.split("?")[0]!;
      const appError =
        error.code === "FST_ERR_MAX_PARAM_LENGTH"
          ? new AppError("NOT_FOUND", `No route for ${req.method} ${path}: a path segment is too long.`)
          : new AppError("VALIDATION_FAILED", `The URL is not valid: ${error.message}`);
      return (reply as FastifyReply).status(appError.status).send(shapeError(appError).body);
    },
    clientErrorHandler: answerClientError,
  }) as unknown as FastifyInstance;

  app.addHook("onResponse", async (req, reply) => {
    services.metrics.request(req.method, req.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
    if (reply.statusCode >= 500)
      log.error(
        { method: req.method, url: req.url.split("?")[0], status: reply.statusCode },
        "request failed",
      );
    else
      log.debug(
        { method: req.method, url: req.url.split("?")[0], status: reply.statusCode, ms: reply.elapsedTime },
        "request",
      );
  });

  const csp = webContentSecurityPolicy(config.publicUrl);
  app.addHook("onSend", async (_req, reply, payload) => {
    reply.header("x-content-type-options", "nosniff");
    reply.header("referrer-policy", "no-referrer");
    // Never framed, unless a route allows its own origin to (an artifact previewed in the client).
    if (!reply.hasHeader("x-frame-options")) reply.header("x-frame-options", "DENY");
    // HTML is the web client's page (index or client-side route fallback) — unless a route set a
    // policy of its own (an HTML artifact keeps its sandbox).
    if (
      String(reply.getHeader("content-type") ?? "").startsWith("text/html") &&
      !reply.hasHeader("content-security-policy")
    )
      reply.header("content-security-policy", csp);
    return payload;
  });

  // OPTIONS answers CORS preflights only. Anything else would get the cors plugin's text/plain 400:
  // answer it as the route it is not, in the one error shape.
  app.addHook("onRequest", async (req, reply) => {
    if (req.method !== "OPTIONS" || (req.headers.origin && req.headers["access-control-request-method"]))
      return;
    const path = req.url.split("?")[0]!;
    const message = `No route for OPTIONS ${path}: OPTIONS is only a CORS preflight (with Origin and Access-Control-Request-Method headers).`;
    return reply.status(404).send(shapeError(new AppError("NOT_FOUND", message)).body);
  });

  await app.register(cors, {
    origin: (origin, cb) => cb(null, !origin || config.corsOrigins.includes(origin)),
    credentials: false,
    exposedHeaders: ["retry-after", "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"],
  });

  /**
   * HTTP routes that are not procedures count against the api limit here; procedures count in
   * their own middleware (trpc.ts), so no call is counted twice.
   */
  async function limitPlainRequest(req: FastifyRequest, reply: FastifyReply) {
    const ctx = buildContext(req.raw);
    try {
      await enforceRateLimit(ctx, "api");
    } finally {
      reply.headers(ctx.response.headers);
    }
  }

  // Every error that escapes a route (body parse errors, oversized bodies, limits, …) in the one shape.
  app.setErrorHandler((error, _req, reply) => {
    const shaped = shapeError(error);
    if (shaped.body.code === "INTERNAL") log.error({ err: error }, "unhandled error");
    return reply.status(shaped.status).headers(shaped.headers).send(shaped.body);
  });

  const logInternal = (what: string) => (opts: { error: unknown }) => {
    if (shapeError(opts.error).body.code === "INTERNAL") log.error({ err: opts.error }, what);
  };

  // The tRPC adapter builds a Fetch Request from each request, and Fetch refuses methods such as TRACE
  // (a 500). tRPC takes GET (queries) and POST (mutations); any other method is a route that does not exist.
  app.addHook("onRequest", async (req, reply) => {
    const path = req.url.split("?")[0]!;
    if (
      !(path === "/trpc" || path.startsWith("/trpc/")) ||
      ["GET", "HEAD", "POST", "OPTIONS"].includes(req.method)
    )
      return;
    const message = `No route for ${req.method} ${path}: tRPC takes GET for queries and POST for mutations.`;
    return reply.status(404).send(shapeError(new AppError("NOT_FOUND", message)).body);
  });

  await app.register(fastifyTRPCPlugin, {
    prefix: "/trpc",
    trpcOptions: {
      router: appRouter,
      createContext: ({ req }: { req: FastifyRequest }) => buildContext(req.raw),
      responseMeta,
      onError: logInternal("tRPC procedure failed"),
    },
  });

  // REST facade generated from the same routers.
  await app.register(async (rest) => {
    // A bodiless POST/DELETE (e.g. `POST /servers/{id}/oauth/start`) is an empty JSON object, not a
    // content-type error.
    rest.addHook("preValidation", async (req) => {
      if (req.body === undefined && !req.headers["content-type"] && req.method !== "GET") {
        req.headers["content-type"] = "application/json";
        req.body = {};
      }
    });
    registerRestFacade(rest, {
      router: appRouter,
      basePath: API_PREFIX,
      createContext: (req) => buildContext(req.raw),
      responseMeta,
      errorBody: (error) => shapeError(error).body,
      onError: logInternal("REST procedure failed"),
    });
  });

  const openApiDocument = buildOpenApiDocument(config.publicUrl);
  await app.register(async (plain) => {
    plain.addHook("onRequest", limitPlainRequest);
    plain.get(`${API_PREFIX}/openapi.json`, async () => openApiDocument);
  });
  registerMetricsRoute(app, services);
  // Never limited: load balancers and monitors poll it.
  app.get("/healthz", async (_req, reply) => {
    const health = await services.health.check();
    return reply.status(health.status === "ok" ? 200 : 503).send(health);
  });

  if (config.webDist && existsSync(config.webDist)) {
    await app.register(fastifyStatic, { root: config.webDist, prefix: "/", wildcard: false });
  }
  app.setNotFoundHandler(async (req, reply) => {
    const path = req.url.split("?")[0]!;
    const isApi = path.startsWith("/api/") || path.startsWith("/trpc") || path.startsWith("/ws/");
    if (!isApi && req.method === "GET" && config.webDist && existsSync(config.webDist)) {
      return reply.type("text/html").sendFile("index.html");
    }
    if (isApi) await limitPlainRequest(req, reply);
    throw new AppError("NOT_FOUND", `No route for ${req.method} ${path}.`);
  });

  registerArtifactDownload(app, { services, buildContext });

  const sessionSocket = createSessionSocket({
    services,
    buildContext,
    router: appRouter,
    log,
    ...(options.socketStatusEveryMs !== undefined ? { statusEveryMs: options.socketStatusEveryMs } : {}),
  });
  await sessionSocket.start();
  services.metrics.probes.sessionSockets = sessionSocket.connections;
  app.addHook("preClose", async () => {
    await sessionSocket.close();
  });
  attachWebSockets(app, services, buildContext, sessionSocket.handleUpgrade);
  return app;
}

/** A request Node's HTTP parser could not read (bad request line, oversized headers): answered in the one shape. */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex) {
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  const [status, appError] =
    error.code === "HPE_HEADER_OVERFLOW"
      ? [431, new AppError("PAYLOAD_TOO_LARGE", "The request's URL or headers are too large.")]
      : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? [408, new AppError("VALIDATION_FAILED", "The request did not arrive in time.")]
        : [400, new AppError("VALIDATION_FAILED", "The request is not valid HTTP.")];
  const body = JSON.stringify(shapeError(appError).body);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

const WS_SERVER_ROUTE = /^(?:\/api\/v1)?\/ws\/server\/([^/?#]{1,64})$/;

/** tRPC subscriptions at /trpc and the spec's protocol at /ws/server/{id}, with origin and size limits. */
function attachWebSockets(
  app: FastifyInstance,
  services: AppServices,
  buildContext: BuildContext,
  wsRoutes?: UpgradeHandler,
) {
  const trpcWss = new WebSocketServer({ noServer: true, maxPayload: WS_MAX_MESSAGE_BYTES });
  const trpcHandler = applyWSSHandler({
    wss: trpcWss,
    router: appRouter,
    createContext: ({ req, info }) => {
      const token = info.connectionParams?.token;
      return buildContext(req, typeof token === "string" ? { token } : {});
    },
    keepAlive: { enabled: true, pingMs: 30_000, pongWaitMs: 5_000 },
  });
  services.metrics.probes.trpcSockets = () => trpcWss.clients.size;
  // Stopping: clients reconnect at once (to another process) and resume their subscriptions.
  app.addHook("preClose", async () => {
    trpcHandler.broadcastReconnectNotification();
    closeGoingAway(trpcWss);
  });

  app.server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    void routeUpgrade(req, socket, head).catch((error) => {
      services.log.warn({ err: error }, "WebSocket upgrade failed");
      socket.destroy();
    });
  });

  async function routeUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer) {
    const origin = req.headers.origin;
    if (origin && !services.config.corsOrigins.includes(origin)) {
      refuseUpgrade(socket, new AppError("FORBIDDEN", `Origin ${origin} may not open WebSockets here.`));
      return;
    }
    const path = (req.url ?? "/").split("?")[0]!;
    const match = wsRoutes ? WS_SERVER_ROUTE.exec(path) : null;
    let serverId: string | undefined;
    try {
      serverId = match ? decodeURIComponent(match[1]!) : undefined;
    } catch {
      // Not a server id: refused below, as a request that counts.
    }
    // A new connection counts against the caller's API limit, like any request, once: a session
    // socket's in the procedure that opens it, any other here. The calls made over it then count one
    // by one in the procedures' middleware.
    const ctx = buildContext(req);
    if (serverId === undefined) {
      try {
        await enforceRateLimit(ctx, "api");
      } catch (error) {
        refuseUpgrade(socket, error, ctx.response.headers);
        return;
      }
    }
    if (path === "/trpc" || path === "/trpc/") {
      trpcWss.handleUpgrade(req, socket, head, (ws) => trpcWss.emit("connection", ws, req));
      return;
    }
    if (match && wsRoutes) {
      if (serverId === undefined) {
        refuseUpgrade(socket, new AppError("NOT_FOUND", "MCP server not found."), ctx.response.headers);
        return;
      }
      wsRoutes(req, socket, head, { serverId });
      return;
    }
    refuseUpgrade(socket, new AppError("NOT_FOUND", `No WebSocket route for ${path}.`), ctx.response.headers);
  }

  app.addHook("onClose", async () => {
    for (const client of trpcWss.clients) client.terminate();
    trpcWss.close();
  });
}
