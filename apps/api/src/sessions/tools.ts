import type {
  CallHooks,
  LoggingLevel,
  McpConnection,
  InputAnswer as McpInputAnswer,
  InputRequest as McpInputRequest,
} from "@mcpdeck/mcp";
import type { ServerRow } from "../servers/service.js";
import type { McpToolAnnotations } from "./annotations.js";
import type { CatalogTool } from "./graph.js";

/** Whose server a call goes to. */
export interface ServerOwner {
  userId: string;
  serverId: string;
}

/**
 * A server to call: its owner's ids, and its row when the caller has just read it (with the node it
 * runs) — the call then goes out with the settings and credentials in force then, without reading
 * the row again.
 */
export interface ServerTarget extends ServerOwner {
  row?: ServerRow;
}

/** A block of a tool result (MCP content), loosely typed: servers send kinds we may not know yet. */
export type ContentBlock =
  | { type: "text"; text: string }
  | { type: "image" | "audio"; data: string; mimeType: string }
  | {
      type: "resource";
      resource: { uri: string; mimeType?: string; text?: string; blob?: string; [key: string]: unknown };
    }
  | {
      type: "resource_link";
      uri: string;
      name: string;
      mimeType?: string;
      title?: string;
      [key: string]: unknown;
    }
  | { type: string; [key: string]: unknown };

export interface ToolResult {
  content: ContentBlock[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

/**
 * What an MCP server asks the person while a call runs (elicitation or sampling), as the engine
 * shows it: plain data, whichever protocol era asked.
 */
export type InputRequest =
  | { kind: "form"; message: string; schema: Record<string, unknown> }
  | { kind: "url"; message: string; url: string }
  | {
      kind: "sampling";
      message: string;
      messages: { role: "user" | "assistant"; text: string }[];
      systemPrompt?: string;
      maxTokens: number;
    };

export type InputAnswer =
  | { action: "accept"; content?: Record<string, unknown> }
  | { action: "decline" | "cancel" }
  | { action: "accept"; sampling: { model: string; text: string } };

export type LogLevel = "debug" | "info" | "warn" | "error";

/** The per-call hooks the engine passes through the connection layer. */
export interface ToolCallHooks {
  signal: AbortSignal;
  onProgress(progress: { progress: number; total?: number; message?: string }): void;
  onLog(entry: { level: LogLevel; message: string }): void;
  onInputRequest(request: InputRequest, signal: AbortSignal): Promise<InputAnswer>;
}

/** The engine's view of an owner's MCP server. */
export interface ToolAccess {
  listTools(owner: ServerTarget): Promise<CatalogTool[]>;
  callTool(
    owner: ServerTarget,
    name: string,
    args: Record<string, unknown>,
    hooks: ToolCallHooks,
  ): Promise<ToolResult>;
  readResource(owner: ServerTarget, uri: string): Promise<{ bytes: Buffer; mimeType?: string } | undefined>;
  ping(owner: ServerTarget): Promise<number>;
}

/** The server's log levels, folded into the four the log pane shows. */
export function foldLogLevel(level: LoggingLevel): LogLevel {
  if (level === "debug") return "debug";
  if (level === "info" || level === "notice") return "info";
  if (level === "warning") return "warn";
  return "error";
}

function logText(data: unknown, logger: string | undefined): string {
  const text = typeof data === "string" ? data : JSON.stringify(data);
  return logger ? `[${logger}] ${text}` : text;
}

function samplingText(content: unknown): string {
  const blocks = Array.isArray(content) ? content : [content];
  return blocks
    .map((b) => {
      const block = b as { type?: string; text?: string };
      return block.type === "text" && typeof block.text === "string"
        ? block.text
        : `[${block.type ?? "content"}]`;
    })
    .join("\n");
}

/** The connection layer's input request, as the engine shows it. */
export function toEngineRequest(request: McpInputRequest): InputRequest {
  if (request.kind === "form") {
    return {
      kind: "form",
      message: request.invalidAnswer ? `${request.message}\n(${request.invalidAnswer})` : request.message,
      schema: request.schema as unknown as Record<string, unknown>,
    };
  }
  if (request.kind === "url") return { kind: "url", message: request.message, url: request.url };
  return {
    kind: "sampling",
    message: "The server asks the model to continue this conversation.",
    messages: request.messages.map((m) => ({ role: m.role, text: samplingText(m.content) })),
    ...(request.systemPrompt ? { systemPrompt: request.systemPrompt } : {}),
    maxTokens: request.maxTokens,
  };
}

/** The engine's answer, as the connection layer sends it. */
export function toMcpAnswer(answer: InputAnswer): McpInputAnswer {
  if ("sampling" in answer) {
    return {
      action: "accept",
      sampling: {
        role: "assistant",
        content: { type: "text", text: answer.sampling.text },
        model: answer.sampling.model,
        stopReason: "endTurn",
      },
    };
  }
  return answer.action === "accept" && answer.content
    ? { action: "accept", content: answer.content }
    : { action: answer.action };
}

function toHooks(hooks: ToolCallHooks, maxCallSec: number): CallHooks {
  return {
    signal: hooks.signal,
    // Progress keeps a call alive past the server's timeout, up to this bound.
    maxTotalTimeoutSec: maxCallSec,
    logLevel: "info",
    onProgress: (p) => hooks.onProgress(p),
    onLog: (m) => hooks.onLog({ level: foldLogLevel(m.level), message: logText(m.data, m.logger) }),
    onTaskStatus: (t) =>
      hooks.onLog({
        level: "info",
        message: `Task ${t.taskId}: ${t.status}${t.message ? ` — ${t.message}` : ""}`,
      }),
    onInputRequest: async (request, signal) =>
      toMcpAnswer(await hooks.onInputRequest(toEngineRequest(request), signal)),
    preferTask: true,
  };
}

export interface ToolAccessDeps {
  getOwned(userId: string, serverId: string): Promise<ServerRow>;
  withConnection<T>(row: ServerRow, fn: (connection: McpConnection) => Promise<T>): Promise<T>;
}

/** Tool access through the server registry: ownership checked, the owner's warm pooled connection. */
export function createToolAccess(servers: ToolAccessDeps, opts: { maxCallSec: number }): ToolAccess {
  const withConnection = async <T>(owner: ServerTarget, fn: (c: McpConnection) => Promise<T>) => {
    const row = owner.row ?? (await servers.getOwned(owner.userId, owner.serverId));
    if (row.id !== owner.serverId || row.userId !== owner.userId)
      throw new Error("server row of another owner");
    return servers.withConnection(row, fn);
  };
  return {
    listTools: (owner) =>
      withConnection(owner, async (c) =>
        (c.cachedTools() ?? (await c.listTools())).map((t) => ({
          name: t.name,
          ...(t.title ? { title: t.title } : {}),
          ...(t.description ? { description: t.description } : {}),
          inputSchema: t.inputSchema as Record<string, unknown>,
          ...(t.annotations ? { annotations: t.annotations as McpToolAnnotations } : {}),
        })),
      ),
    callTool: (owner, name, args, hooks) =>
      withConnection(
        owner,
        async (c) => (await c.callTool(name, args, toHooks(hooks, opts.maxCallSec))) as ToolResult,
      ),
    readResource: (owner, uri) =>
      withConnection(owner, async (c) => {
        const { contents } = await c.readResource(uri);
        const first = contents[0] as { text?: string; blob?: string; mimeType?: string } | undefined;
        if (!first) return undefined;
        const bytes =
          typeof first.blob === "string"
            ? Buffer.from(first.blob, "base64")
            : Buffer.from(first.text ?? "", "utf8");
        return { bytes, ...(first.mimeType ? { mimeType: first.mimeType } : {}) };
      }),
    ping: (owner) => withConnection(owner, (c) => c.ping()),
  };
}
