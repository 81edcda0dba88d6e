import type { ServerService } from "../servers/service.js";
import type { McpToolAnnotations } from "./annotations.js";
import type { CatalogTool } from "./graph.js";

/** Whose server a call goes to. */
export interface ServerOwner {
  userId: string;
  serverId: string;
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

/** What an MCP server asks the person while a call runs (elicitation or sampling). */
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

/** The per-call hooks the engine passes through the connection layer. */
export interface ToolCallHooks {
  signal: AbortSignal;
  onProgress(progress: { progress: number; total?: number; message?: string }): void;
  onLog(entry: { level: "debug" | "info" | "warn" | "error"; message: string }): void;
  onInputRequest(request: InputRequest, signal: AbortSignal): Promise<InputAnswer>;
}

/** The engine's view of an owner's MCP server. */
export interface ToolAccess {
  listTools(owner: ServerOwner): Promise<CatalogTool[]>;
  callTool(
    owner: ServerOwner,
    name: string,
    args: Record<string, unknown>,
    hooks: ToolCallHooks,
  ): Promise<ToolResult>;
  readResource(owner: ServerOwner, uri: string): Promise<{ bytes: Buffer; mimeType?: string } | undefined>;
  ping(owner: ServerOwner): Promise<number>;
}

/** Tool access through the server registry: ownership checked, the owner's warm pooled connection. */
export function createToolAccess(servers: ServerService): ToolAccess {
  const withConn = async <T>(owner: ServerOwner, fn: Parameters<ServerService["withConnection"]>[1]) => {
    const row = await servers.getOwned(owner.userId, owner.serverId);
    return servers.withConnection(row, fn) as Promise<T>;
  };
  return {
    async listTools(owner) {
      const tools = await withConn<Awaited<ReturnType<Parameters<ServerService["withConnection"]>[1]>>>(
        owner,
        (c) => c.listTools(),
      );
      return (
        tools as {
          name: string;
          title?: string;
          description?: string;
          inputSchema: object;
          annotations?: McpToolAnnotations;
        }[]
      ).map((t) => ({
        name: t.name,
        ...(t.title ? { title: t.title } : {}),
        ...(t.description ? { description: t.description } : {}),
        inputSchema: t.inputSchema as Record<string, unknown>,
        ...(t.annotations ? { annotations: t.annotations } : {}),
      }));
    },
    async callTool(owner, name, args, hooks) {
      const result = await withConn<unknown>(owner, (c) =>
        c.callTool(name, args, {
          signal: hooks.signal,
          onprogress: (p) =>
            hooks.onProgress({
              progress: p.progress,
              ...(p.total !== undefined ? { total: p.total } : {}),
              ...(p.message !== undefined ? { message: p.message } : {}),
            }),
        }),
      );
      return result as ToolResult;
    },
    async readResource() {
      return undefined;
    },
    async ping(owner) {
      return withConn<number>(owner, (c) => c.ping());
    },
  };
}
