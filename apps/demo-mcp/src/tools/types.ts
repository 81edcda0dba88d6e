import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import type { CallToolResult, ServerNotification, ServerRequest } from "@modelcontextprotocol/sdk/types.js";
import type { SessionLogger } from "../logging.js";

/** The `extra` argument every tool callback receives. */
export type ToolExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** Shared per-session context handed to every tool registration. */
export interface ToolContext {
  server: McpServer;
  logger: SessionLogger;
  /** `YYYY-MM-DD` the dataset is anchored to; undefined = today (UTC) at call time. */
  referenceDate: string | undefined;
}

/** A tool error result with a single text message. */
export function toolError(message: string): CallToolResult {
  return { isError: true, content: [{ type: "text", text: message }] };
}
