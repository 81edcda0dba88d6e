import { existsSync } from "node:fs";
import { type IncomingMessage, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import cors from "@fastify/cors";
import fastifyStatic from "@fastify/static";
import { WS_MAX_MESSAGE_BYTES } from "@mcpdeck/contracts";
import { fastifyTRPCPlugin } from "@trpc/server/adapters/fastify";
import { getWSConnectionHandler } from "@trpc/server/adapters/ws";
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from "fastify";
import { WebSocketServer } from "ws";
import { AppError, resolveAppError, toApiError } from "../errors.js";
import { checkHealth } from "../health/router.js";
import { buildOpenApiDocument } from "../openapi.js";
import { appRouter } from "../root.js";
import type { AppServices } from "../services.js";
import type { Context } from "../trpc.js";
import { applyRateLimit } from "./rate-limit-hook.js";
import { registerRestFacade } from "./rest.js";

export const API_PREFIX = "/api/v1";

/** Upgrade handlers for the spec's WebSocket routes, registered by the domains that own them. */
export type UpgradeHandler = (
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  params: { serverId: string },
) => void;

function makeContext(services: AppServices, req: FastifyRequest): Context {
  return {
    services,
    clientIp: req.ip,
    ...(req.headers["user-agent"] ? { userAgent: req.headers["user-agent"] } : {}),
    ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
    response: { headers: {} },
  };
}

/** Status and headers of a REST or tRPC response: our error code's status, or what the procedure set. */
function responseMeta({ ctx, errors }: { ctx?: Context | undefined; errors: readonly unknown[] }) {
  const headers: Record<string, string> = { ...(ctx?.response.headers ?? {}) };
  if (errors.length > 0) {
    // tRPC leaves the content type out of errors raised before any procedure runs (a batch mixing
    // queries and mutations, an unreadable body): every error is JSON.
    headers["content-type"] = "application/json";
    const error = resolveAppError(errors[0]);
    if (error.retryAfterSec !== undefined) headers["retry-after"] = String(error.retryAfterSec);
    return { status: error.status, headers };
  }
  return { ...(ctx?.response.status ? { status: ctx.response.status } : {}), headers };
}

export async function buildHttpServer(services: AppServices, opts: { wsRoutes?: UpgradeHandler } = {}) {
  const { config, log } = services;
  const app = Fastify({
    loggerInstance: log,
    trustProxy: config.trustProxy as boolean | string[],
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
      return (reply as FastifyReply).status(appError.status).send(toApiError(appError));
    },
    clientErrorHandler: answerClientError,
  }) as unknown as FastifyInstance;

  app.addHook("onResponse", async (req, reply) => {
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

  app.addHook("onSend", async (_req, reply, payload) => {
    reply.header("x-content-type-options", "nosniff");
    reply.header("referrer-policy", "no-referrer");
    reply.header("x-frame-options", "DENY");
    return payload;
  });

  // OPTIONS answers CORS preflights only. Anything else would get the cors plugin's text/plain 400:
  // answer it as the route it is not, in the one error shape.
  app.addHook("onRequest", async (req, reply) => {
    if (req.method !== "OPTIONS" || (req.headers.origin && req.headers["access-control-request-method"]))
      return;
    const path = req.url.split("?")[0]!;
    const message = `No route for OPTIONS ${path}: OPTIONS is only a CORS preflight (with Origin and Access-Control-Request-Method headers).`;
    return reply.status(404).send(toApiError(new AppError("NOT_FOUND", message)));
  });

  await app.register(cors, {
    origin: (origin, cb) => cb(null, !origin || config.corsOrigins.includes(origin)),
    credentials: false,
    exposedHeaders: ["retry-after", "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"],
  });

  app.addHook("onRequest", async (req, reply) => {
    await applyRateLimit(services, req, reply);
  });

  // Every error that escapes a route (body parse errors, oversized bodies, …) in the one shape.
  app.setErrorHandler((error, _req, reply) => {
    const fastifyError = error as { statusCode?: number; code?: string; message: string };
    let appError: AppError;
    if (fastifyError.code === "FST_ERR_CTP_BODY_TOO_LARGE")
      appError = new AppError("PAYLOAD_TOO_LARGE", "The request body is too large.");
    else if (fastifyError.code === "FST_ERR_CTP_INVALID_JSON_BODY")
      appError = new AppError("VALIDATION_FAILED", "The request body is not valid JSON.");
    else if (fastifyError.code === "FST_ERR_CTP_EMPTY_JSON_BODY")
      appError = new AppError("VALIDATION_FAILED", "The request body is empty: send a JSON object.");
    else if (fastifyError.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE")
      appError = new AppError("VALIDATION_FAILED", "Send the request body as application/json.");
    else if (fastifyError.statusCode && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500)
      appError = new AppError("VALIDATION_FAILED", `The request could not be read: ${fastifyError.message}`);
    else {
      appError = resolveAppError(error);
      log.error({ err: error }, "unhandled error");
    }
    if (appError.retryAfterSec !== undefined) reply.header("retry-after", String(appError.retryAfterSec));
    return reply.status(appError.status).send(toApiError(appError));
  });

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
    return reply.status(404).send(toApiError(new AppError("NOT_FOUND", message)));
  });

  await app.register(fastifyTRPCPlugin, {
    prefix: "/trpc",
    trpcOptions: {
      router: appRouter,
      createContext: ({ req }: { req: FastifyRequest }) => makeContext(services, req),
      responseMeta,
      onError: ({ error }: { error: unknown }) => {
        if (resolveAppError(error).code === "INTERNAL") log.error({ err: error }, "tRPC procedure failed");
      },
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
      createContext: (req) => makeContext(services, req),
      responseMeta,
      errorBody: (error) => toApiError(resolveAppError(error)),
      onError: ({ error }) => {
        if (resolveAppError(error).code === "INTERNAL") log.error({ err: error }, "REST procedure failed");
      },
    });
  });

  const openApiDocument = buildOpenApiDocument(config.publicUrl);
  app.get(`${API_PREFIX}/openapi.json`, async () => openApiDocument);
  app.get(`${API_PREFIX}/metrics`, async (_req, reply) =>
    reply.type("text/plain; version=0.0.4").send(services.metrics.render()),
  );
  app.get("/healthz", async (_req, reply) => {
    const health = await checkHealth(services);
    return reply.status(health.status === "ok" ? 200 : 503).send(health);
  });

  if (config.webDist && existsSync(config.webDist)) {
    await app.register(fastifyStatic, { root: config.webDist, prefix: "/", wildcard: false });
  }
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split("?")[0]!;
    const isApi = path.startsWith("/api/") || path.startsWith("/trpc") || path.startsWith("/ws/");
    if (!isApi && req.method === "GET" && config.webDist && existsSync(config.webDist)) {
      return reply.type("text/html").sendFile("index.html");
    }
    return reply
      .status(404)
      .send(toApiError(new AppError("NOT_FOUND", `No route for ${req.method} ${path}.`)));
  });

  attachWebSockets(app, services, opts.wsRoutes);
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
  const body = JSON.stringify(toApiError(appError));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

const WS_SERVER_ROUTE = /^(?:\/api\/v1)?\/ws\/server\/([^/?#]{1,64})$/;

/** tRPC subscriptions at /trpc and the spec's protocol at /ws/server/{id}, with origin and size limits. */
function attachWebSockets(app: FastifyInstance, services: AppServices, wsRoutes?: UpgradeHandler) {
  const trpcWss = new WebSocketServer({ noServer: true, maxPayload: WS_MAX_MESSAGE_BYTES });
  const trpcHandler = getWSConnectionHandler({
    wss: trpcWss,
    router: appRouter,
    createContext: ({ req, info }) => {
      const token =
        typeof info.connectionParams?.token === "string" ? info.connectionParams.token : undefined;
      return {
        services,
        clientIp: req.socket.remoteAddress ?? "unknown",
        ...(req.headers["user-agent"] ? { userAgent: req.headers["user-agent"] } : {}),
        ...(token
          ? { authorization: `Bearer ${token}` }
          : req.headers.authorization
            ? { authorization: req.headers.authorization }
            : {}),
        response: { headers: {} },
      } satisfies Context;
    },
    keepAlive: { enabled: true, pingMs: 30_000, pongWaitMs: 5_000 },
  });
  trpcWss.on("connection", trpcHandler);

  app.server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    void routeUpgrade(req, socket, head).catch((error) => {
      services.log.warn({ err: error }, "WebSocket upgrade failed");
      socket.destroy();
    });
  });

  async function routeUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer) {
    const origin = req.headers.origin;
    if (origin && !services.config.corsOrigins.includes(origin)) {
      socket.end("HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    // A new connection counts against the caller's API limit, like any request.
    const ip = req.socket.remoteAddress ?? "unknown";
    const limit = await services.rateLimiter.consume(`api:${ip}`, services.config.rateLimits.apiPerMin, 60);
    if (!limit.allowed) {
      services.metrics.inc("rate_limited_total");
      socket.end(
        `HTTP/1.1 429 Too Many Requests\r\nRetry-After: ${limit.resetSec}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
      );
      return;
    }
    const path = (req.url ?? "/").split("?")[0]!;
    if (path === "/trpc" || path === "/trpc/") {
      trpcWss.handleUpgrade(req, socket, head, (ws) => trpcWss.emit("connection", ws, req));
      return;
    }
    const match = WS_SERVER_ROUTE.exec(path);
    if (match && wsRoutes) {
      wsRoutes(req, socket, head, { serverId: decodeURIComponent(match[1]!) });
      return;
    }
    socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  }
  app.addHook("onClose", async () => {
    for (const client of trpcWss.clients) client.terminate();
    trpcWss.close();
  });
}
