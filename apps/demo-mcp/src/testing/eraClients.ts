/**
 * One test-facing client API over both protocol eras, so a feature test runs unchanged against
 * - `modern`: the 2.x client (`@modelcontextprotocol/client`, `versionNegotiation: auto`), which
 *   negotiates 2026-07-28 with the demo (stateless; input requests are `input_required` rounds);
 * - `legacy`: the 1.x SDK client (`initialize` handshake at 2025-11-25, a session, server-to-client requests).
 */
import {
  LOG_LEVEL_META_KEY,
  Client as ModernClient,
  StreamableHTTPClientTransport as ModernTransport,
} from "@modelcontextprotocol/client";
import { Client as LegacyClient } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport as LegacyTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  CreateMessageRequestSchema,
  ElicitationCompleteNotificationSchema,
  ElicitRequestSchema,
  LoggingMessageNotificationSchema,
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";

export type Era = "modern" | "legacy";
export const ERAS: readonly Era[] = ["modern", "legacy"];
export const MODERN_PROTOCOL_VERSION = "2026-07-28";
export const LEGACY_PROTOCOL_VERSION = "2025-11-25";

export type LogLevel = "debug" | "info" | "notice" | "warning" | "error" | "critical" | "alert" | "emergency";
export interface LogEntry {
  level: string;
  logger?: string | undefined;
  data: unknown;
}
export interface ContentBlock {
  type: string;
  [key: string]: unknown;
}
export interface ToolResult {
  content: ContentBlock[];
  structuredContent?: Record<string, unknown> | undefined;
  isError?: boolean | undefined;
}
export interface ListedTool {
  name: string;
  title?: string | undefined;
  description?: string | undefined;
  inputSchema: { properties?: Record<string, unknown> | undefined };
  outputSchema?: { properties?: Record<string, unknown> | undefined } | undefined;
  annotations?: Record<string, unknown> | undefined;
  icons?: { src: string; mimeType?: string | undefined }[] | undefined;
  execution?: { taskSupport?: string | undefined } | undefined;
}
export interface ElicitParams {
  mode?: string | undefined;
  message: string;
  requestedSchema?: unknown;
  url?: string | undefined;
  elicitationId?: string | undefined;
}
export interface ElicitAnswer {
  [key: string]: unknown;
  action: "accept" | "decline" | "cancel";
  content?: Record<string, string | number | boolean | string[]>;
}
export interface SamplingParams {
  messages: { role: string; content: unknown }[];
  maxTokens: number;
  systemPrompt?: string | undefined;
}
export interface SamplingAnswer {
  [key: string]: unknown;
  model: string;
  role: "assistant";
  content: { type: "text"; text: string };
}
export interface Progress {
  progress: number;
  total?: number | undefined;
  message?: string | undefined;
}

export interface EraClientOptions {
  /** Declares form (and URL) elicitation and answers it. */
  elicit?: { url?: boolean; answer: (params: ElicitParams) => Promise<ElicitAnswer> };
  /** Declares sampling and answers it (throw to refuse). */
  sample?: (params: SamplingParams) => Promise<SamplingAnswer>;
  headers?: Record<string, string>;
}

export interface EraClient {
  readonly era: Era;
  readonly protocolVersion: string | undefined;
  readonly logs: LogEntry[];
  /** Resource URIs of `notifications/resources/updated`, in order. */
  readonly updatedResources: string[];
  readonly listChanges: { count: number };
  /** elicitationIds of `notifications/elicitation/complete` (legacy era only). */
  readonly completedElicitations: string[];
  listTools(): Promise<ListedTool[]>;
  callTool(
    name: string,
    args?: Record<string, unknown>,
    options?: { onprogress?: (p: Progress) => void; signal?: AbortSignal; timeout?: number },
  ): Promise<ToolResult>;
  /** Minimum log level: `logging/setLevel` (legacy), the per-request `_meta` log level (modern). */
  setLogLevel(level: LogLevel): Promise<void>;
  readResource(
    uri: string,
  ): Promise<{ contents: { uri: string; mimeType?: string; text?: string; blob?: string }[] }>;
  listResources(): Promise<{ uri: string; name: string; mimeType?: string | undefined }[]>;
  listResourceTemplates(): Promise<{ uriTemplate: string; name: string }[]>;
  complete(
    ref: { type: "ref/prompt"; name: string } | { type: "ref/resource"; uri: string },
    name: string,
    value: string,
  ): Promise<string[]>;
  /** Subscribes to one resource's updates and to resource list changes; returns the unsubscribe. */
  subscribe(uri: string): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

const CLIENT_INFO = { name: "demo-mcp-era-tests", version: "0.0.0" };

function capabilities(options: EraClientOptions) {
  return {
    ...(options.elicit && { elicitation: { form: {}, ...(options.elicit.url && { url: {} }) } }),
    ...(options.sample && { sampling: {} }),
  };
}

async function connectModern(url: string, options: EraClientOptions): Promise<EraClient> {
  const logs: LogEntry[] = [];
  const updatedResources: string[] = [];
  const listChanges = { count: 0 };
  let logLevel: LogLevel | undefined;
  const client = new ModernClient(CLIENT_INFO, {
    capabilities: capabilities(options),
    versionNegotiation: { mode: "auto" },
  });
  const { elicit, sample } = options;
  if (elicit)
    client.setRequestHandler("elicitation/create", async (request) =>
      elicit.answer(request.params as ElicitParams),
    );
  if (sample)
    client.setRequestHandler("sampling/createMessage", async (request) =>
      sample(request.params as SamplingParams),
    );
  client.setNotificationHandler("notifications/message", (n) => {
    logs.push(n.params);
  });
  client.setNotificationHandler("notifications/resources/updated", (n) => {
    updatedResources.push(n.params.uri);
  });
  client.setNotificationHandler("notifications/resources/list_changed", () => {
    listChanges.count++;
  });
  await client.connect(
    new ModernTransport(
      new URL(url),
      options.headers ? { requestInit: { headers: options.headers } } : undefined,
    ),
  );
  return {
    era: "modern",
    protocolVersion: client.getNegotiatedProtocolVersion(),
    logs,
    updatedResources,
    listChanges,
    completedElicitations: [],
    listTools: async () => (await client.listTools()).tools as ListedTool[],
    callTool: async (name, args = {}, opts = {}) =>
      (await client.callTool(
        { name, arguments: args, ...(logLevel && { _meta: { [LOG_LEVEL_META_KEY]: logLevel } }) },
        {
          ...(opts.onprogress && { onprogress: opts.onprogress }),
          ...(opts.signal && { signal: opts.signal }),
          ...(opts.timeout && { timeout: opts.timeout }),
        },
      )) as ToolResult,
    setLogLevel: async (level) => {
      logLevel = level;
    },
    readResource: async (uri) => (await client.readResource({ uri }, { cacheMode: "bypass" })) as never,
    listResources: async () => (await client.listResources(undefined, { cacheMode: "bypass" })).resources,
    listResourceTemplates: async () => (await client.listResourceTemplates()).resourceTemplates,
    complete: async (ref, name, value) =>
      (await client.complete({ ref, argument: { name, value } })).completion.values,
    subscribe: async (uri) => {
      const subscription = await client.listen({ resourceSubscriptions: [uri], resourcesListChanged: true });
      return () => subscription.close();
    },
    close: () => client.close(),
  };
}

async function connectLegacy(url: string, options: EraClientOptions): Promise<EraClient> {
  const logs: LogEntry[] = [];
  const updatedResources: string[] = [];
  const completedElicitations: string[] = [];
  const listChanges = { count: 0 };
  const client = new LegacyClient(CLIENT_INFO, { capabilities: capabilities(options) });
  const { elicit, sample } = options;
  if (elicit)
    client.setRequestHandler(ElicitRequestSchema, async (request) =>
      elicit.answer(request.params as ElicitParams),
    );
  if (sample)
    client.setRequestHandler(CreateMessageRequestSchema, async (request) =>
      sample(request.params as SamplingParams),
    );
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    logs.push(n.params);
  });
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
    updatedResources.push(n.params.uri);
  });
  client.setNotificationHandler(ResourceListChangedNotificationSchema, () => {
    listChanges.count++;
  });
  client.setNotificationHandler(ElicitationCompleteNotificationSchema, (n) => {
    completedElicitations.push(n.params.elicitationId);
  });
  const transport = new LegacyTransport(
    new URL(url),
    options.headers ? { requestInit: { headers: options.headers } } : undefined,
  );
  await client.connect(transport);
  return {
    era: "legacy",
    protocolVersion: transport.protocolVersion,
    logs,
    updatedResources,
    listChanges,
    completedElicitations,
    listTools: async () => (await client.listTools()).tools as ListedTool[],
    callTool: async (name, args = {}, opts = {}) =>
      (await client.callTool({ name, arguments: args }, undefined, {
        ...(opts.onprogress && { onprogress: opts.onprogress }),
        ...(opts.signal && { signal: opts.signal }),
        ...(opts.timeout && { timeout: opts.timeout }),
      })) as ToolResult,
    setLogLevel: async (level) => {
      await client.setLoggingLevel(level);
    },
    readResource: async (uri) => (await client.readResource({ uri })) as never,
    listResources: async () => (await client.listResources()).resources,
    listResourceTemplates: async () => (await client.listResourceTemplates()).resourceTemplates,
    complete: async (ref, name, value) =>
      (await client.complete({ ref, argument: { name, value } })).completion.values,
    subscribe: async (uri) => {
      await client.subscribeResource({ uri });
      return async () => {
        await client.unsubscribeResource({ uri });
      };
    },
    close: () => client.close(),
  };
}

export function connectEra(era: Era, url: string, options: EraClientOptions = {}): Promise<EraClient> {
  return era === "modern" ? connectModern(url, options) : connectLegacy(url, options);
}

export const textOfResult = (result: ToolResult): string =>
  result.content
    .filter((c) => c.type === "text")
    .map((c) => c.text as string)
    .join("\n");
