/**
 * A modern-era (2026-07-28 only) MCP peer on loopback, built on the SDK 2.x server: stateless
 * (a fresh server instance per request from one factory), `server/discover` instead of
 * `initialize`, input requests as `input_required` results, change notifications on
 * `subscriptions/listen` streams. Legacy-era requests are refused (`legacy: "reject"`), so a client
 * that does not speak the modern era cannot use it. With `features`, it serves the feature tools
 * of features.ts (no tasks: the SDK has no tasks runtime).
 */
import http from "node:http";
import https from "node:https";
import type { AddressInfo, Socket } from "node:net";
import {
  completable,
  createMcpHandler,
  inputRequired,
  inputResponse,
  type McpHttpHandler,
  McpServer,
  ResourceTemplate,
  type ServerContext,
} from "@modelcontextprotocol/server";
import { z } from "zod";
import {
  COUNTER_URI,
  describeForm,
  type FeatureState,
  FORM_SCHEMA,
  ITEM_IDS,
  ITEM_TEMPLATE,
  LINK_URL,
  LOGGED_LEVELS,
  NAMES,
  newFeatureState,
  STATS_ANNOTATIONS,
  STATS_ICON,
  STATS_SCHEMA,
  sleep,
} from "./features.js";
import type { Peer } from "./peers.js";

export const MODERN_PROTOCOL_VERSION = "2026-07-28";

export interface ModernPeerOptions {
  /** Fixed port (to restart a peer on the same port). */
  port?: number;
  path?: string;
  features?: boolean;
  tls?: { key: string; cert: string };
  /** Require this header (case-insensitive name) to carry exactly this value, else 401. */
  auth?: { header: string; value: string };
  /**
   * Answers a request before MCP does (e.g. OAuth metadata, or a 401 challenge); return true when
   * it answered.
   */
  intercept?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean;
}

export interface ModernPeer extends Peer {
  state: FeatureState;
  /** Requests seen, by JSON-RPC method (`server/discover` probes, `subscriptions/listen` streams, …). */
  methods: Map<string, number>;
  handler: McpHttpHandler;
  /** Headers of the most recent request. */
  lastHeaders: http.IncomingHttpHeaders | undefined;
}

const text = (value: string) => ({ content: [{ type: "text" as const, text: value }] });
/** Advertises STATS_SCHEMA but lets anything through, so the server does not catch `bad_stats`. */
const lenientStats = z
  .object({})
  .passthrough()
  .meta(STATS_SCHEMA as never);

function createModernServer(state: FeatureState, features: boolean, notify: () => McpHttpHandler["notify"]) {
  const server = new McpServer(
    { name: "modern-peer", version: "2.0.0" },
    {
      capabilities: {
        logging: {},
        ...(features
          ? { resources: { subscribe: true, listChanged: true }, tools: { listChanged: true } }
          : {}),
      },
    },
  );
  server.registerTool(
    "echo",
    { description: "Echo the text back", inputSchema: z.object({ text: z.string() }) },
    async ({ text: value }) => text(value),
  );
  server.registerTool(
    "add",
    { description: "Add two numbers", inputSchema: z.object({ a: z.number(), b: z.number() }) },
    async ({ a, b }) => text(String(a + b)),
  );
  server.registerTool(
    "progress",
    {
      description: "Sends `steps` progress notifications, `delayMs` apart",
      inputSchema: z.object({ steps: z.number().int(), delayMs: z.number().int() }),
    },
    async ({ steps, delayMs }, ctx: ServerContext) => {
      const token = ctx.mcpReq._meta?.progressToken;
      for (let i = 1; i <= steps; i++) {
        await sleep(delayMs);
        if (token !== undefined) {
          await ctx.mcpReq.notify({
            method: "notifications/progress",
            params: { progressToken: token, progress: i, total: steps, message: `step ${i}` },
          });
        }
      }
      return text(`done after ${steps} steps`);
    },
  );
  server.registerTool(
    "sleep",
    { description: "Sleeps ms milliseconds", inputSchema: z.object({ ms: z.number().int() }) },
    async ({ ms }) => {
      await sleep(ms);
      return text("slept");
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
  if (features) registerModernFeatures(server, state, notify);
  return server;
}

function registerModernFeatures(
  server: McpServer,
  state: FeatureState,
  notify: () => McpHttpHandler["notify"],
) {
  server.registerTool("confirm", { description: "Asks the person for their name" }, async (ctx) => {
    const answer = inputResponse(ctx.mcpReq.inputResponses, "form");
    if (answer.kind === "elicit") return text(describeForm(answer.action, answer.content));
    return inputRequired({
      inputRequests: {
        form: inputRequired.elicit({ message: "Who are you?", requestedSchema: FORM_SCHEMA as never }),
      },
    });
  });

  server.registerTool("open_link", { description: "Asks the person to open a link" }, async (ctx) => {
    const answer = inputResponse(ctx.mcpReq.inputResponses, "link");
    if (answer.kind === "elicit") return text(answer.action);
    return inputRequired({
      inputRequests: { link: inputRequired.elicitUrl({ message: "Connect your account", url: LINK_URL }) },
    });
  });

  server.registerTool(
    "summarize",
    { description: "Asks the client's model for a summary", inputSchema: z.object({ text: z.string() }) },
    async ({ text: input }, ctx) => {
      const answer = inputResponse(ctx.mcpReq.inputResponses, "sample");
      if (answer.kind === "sampling") {
        const content = answer.result.content as { type: string; text?: string };
        return text(`summary: ${content.text ?? ""}`);
      }
      return inputRequired({
        inputRequests: {
          sample: inputRequired.createMessage({
            messages: [{ role: "user", content: { type: "text", text: `Summarize: ${input}` } }],
            systemPrompt: "Be brief.",
            maxTokens: 50,
          }),
        },
      });
    },
  );

  server.registerTool("log_steps", { description: "Logs a few steps" }, async (ctx) => {
    // The level comes with the request (`io.modelcontextprotocol/logLevel`); the SDK filters.
    for (const level of LOGGED_LEVELS) await ctx.mcpReq.log(level, `step at ${level}`, "steps");
    return text("logged");
  });

  server.registerTool(
    "stats",
    {
      title: "Statistics",
      description: "Structured statistics",
      outputSchema: lenientStats,
      annotations: STATS_ANNOTATIONS,
      icons: [STATS_ICON],
    },
    async () => {
      const structuredContent = { count: 3, label: "three" };
      return { content: [{ type: "text", text: JSON.stringify(structuredContent) }], structuredContent };
    },
  );

  server.registerTool(
    "bad_stats",
    { description: "Structured statistics that break their own schema", outputSchema: lenientStats },
    async () => {
      const structuredContent = { count: "many" };
      return { content: [{ type: "text", text: JSON.stringify(structuredContent) }], structuredContent };
    },
  );

  server.registerTool("wait_for_cancel", { description: "Runs until cancelled" }, async (ctx) => {
    await sleep(10_000, ctx.mcpReq.signal);
    if (ctx.mcpReq.signal.aborted) state.cancelled++;
    return text(ctx.mcpReq.signal.aborted ? "cancelled" : "not cancelled");
  });

  server.registerTool("add_tool", { description: "Adds a tool" }, async () => {
    const name = `added_${++state.added}`;
    notify().toolsChanged();
    return text(name);
  });
  for (let n = 1; n <= state.added; n++) {
    server.registerTool(`added_${n}`, { description: "Added at run time" }, async () => text(`added_${n}`));
  }

  server.registerTool("bump_counter", { description: "Changes the counter resource" }, async () => {
    state.counter++;
    notify().resourceUpdated(COUNTER_URI);
    return text(String(state.counter));
  });

  server.registerResource(
    "counter",
    COUNTER_URI,
    { description: "A counter", mimeType: "text/plain" },
    async (uri) => ({ contents: [{ uri: uri.href, text: String(state.counter) }] }),
  );
  server.registerResource(
    "item",
    new ResourceTemplate(ITEM_TEMPLATE, {
      list: undefined,
      complete: { id: (value) => ITEM_IDS.filter((id) => id.startsWith(value)) },
    }),
    { description: "An item", mimeType: "text/plain" },
    async (uri, { id }) => ({ contents: [{ uri: uri.href, text: `item ${String(id)}` }] }),
  );
  server.registerPrompt(
    "greet_person",
    {
      description: "Greets a person",
      argsSchema: z.object({
        name: completable(z.string(), (value) => NAMES.filter((n) => n.startsWith(value))),
      }),
    },
    async ({ name }) => ({
      messages: [{ role: "user", content: { type: "text", text: `Hello, ${name}!` } }],
    }),
  );
}

function methodsOf(body: Buffer): string[] {
  try {
    const parsed = JSON.parse(body.toString("utf8")) as unknown;
    const messages = Array.isArray(parsed) ? parsed : [parsed];
    return messages.flatMap((m) =>
      typeof m === "object" && m !== null && typeof (m as { method?: unknown }).method === "string"
        ? [(m as { method: string }).method]
        : [],
    );
  } catch {
    return [];
  }
}

export async function startModernPeer(opts: ModernPeerOptions = {}): Promise<ModernPeer> {
  const path = opts.path ?? "/mcp";
  const state = newFeatureState();
  const methods = new Map<string, number>();
  const peer = { lastHeaders: undefined as http.IncomingHttpHeaders | undefined };
  const handler: McpHttpHandler = createMcpHandler(
    () => createModernServer(state, opts.features ?? false, () => handler.notify),
    { legacy: "reject", onerror: () => undefined, keepAliveMs: 0 },
  );

  // The SDK's handler is web-standard (Request → Response); this adapts node's http to it. Closing
  // the response (the client went away) aborts the request: that is modern-era cancellation.
  const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
    void (async () => {
      peer.lastHeaders = req.headers;
      if (opts.intercept?.(req, res)) return;
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      if (url.pathname !== path) {
        res.writeHead(404, { "content-type": "text/plain" }).end("not found");
        return;
      }
      if (opts.auth && req.headers[opts.auth.header.toLowerCase()] !== opts.auth.value) {
        res
          .writeHead(401, { "content-type": "application/json" })
          .end(JSON.stringify({ error: "invalid_token" }));
        return;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks);
      for (const method of methodsOf(body)) methods.set(method, (methods.get(method) ?? 0) + 1);
      const aborted = new AbortController();
      res.on("close", () => aborted.abort());
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === "string") headers.set(name, value);
        else if (Array.isArray(value)) for (const v of value) headers.append(name, v);
      }
      const response = await handler.fetch(
        new Request(`http://127.0.0.1${req.url}`, {
          method: req.method ?? "GET",
          headers,
          ...(req.method === "POST" ? { body } : {}),
          signal: aborted.signal,
        }),
      );
      res.writeHead(response.status, Object.fromEntries(response.headers));
      if (response.body) {
        for await (const chunk of response.body) {
          if (res.destroyed) break;
          res.write(chunk);
        }
      }
      res.end();
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  };
  const server = opts.tls
    ? https.createServer({ key: opts.tls.key, cert: opts.tls.cert }, listener)
    : http.createServer(listener);
  const sockets = new Set<Socket>();
  for (const event of ["connection", "secureConnection"]) {
    server.on(event, (s: Socket) => {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
    });
  }
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${opts.tls ? "https" : "http"}://127.0.0.1:${port}${path}`,
    port,
    state,
    methods,
    handler,
    get lastHeaders() {
      return peer.lastHeaders;
    },
    close: async () => {
      await handler.close().catch(() => undefined);
      for (const s of sockets) s.destroy();
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
