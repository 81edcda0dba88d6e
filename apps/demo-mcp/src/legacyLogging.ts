/**
 * Per-session MCP logging for the 2025 era (`notifications/message`), honouring `logging/setLevel`.
 * (The 2026-07-28 era carries the level in each request's `_meta`; the 2.x SDK filters there.)
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import {
  type LoggingLevel,
  LoggingLevelSchema,
  type ServerNotification,
  SetLevelRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";

const SEVERITY: readonly LoggingLevel[] = LoggingLevelSchema.options;

export type SendNotification = (notification: ServerNotification) => Promise<void>;

export class SessionLogger {
  /** Minimum level requested by the client; everything is sent until it calls logging/setLevel. */
  private minLevel: LoggingLevel = "debug";

  constructor(server: McpServer) {
    // Replaces the SDK's default handler so the level is readable here.
    server.server.setRequestHandler(SetLevelRequestSchema, async (request) => {
      this.minLevel = request.params.level;
      return {};
    });
  }

  isEnabled(level: LoggingLevel): boolean {
    return SEVERITY.indexOf(level) >= SEVERITY.indexOf(this.minLevel);
  }

  /** Sends a log message through `send`; failures (closed stream) are ignored. */
  async log(send: SendNotification, level: LoggingLevel, logger: string, data: unknown): Promise<void> {
    if (!this.isEnabled(level)) return;
    try {
      await send({ method: "notifications/message", params: { level, logger, data } });
    } catch {
      // The client may have gone away; logging must never fail a tool call.
    }
  }
}
