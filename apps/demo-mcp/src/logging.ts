/**
 * Per-session MCP logging (`notifications/message`) that honours `logging/setLevel`.
 *
 * Messages are sent through the request's `extra.sendNotification`, so with streamable HTTP they
 * travel on the same response stream as the tool call (no standalone GET stream needed).
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import {
  type LoggingLevel,
  LoggingLevelSchema,
  SetLevelRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import type { ToolExtra } from "./tools/types.js";

const SEVERITY: readonly LoggingLevel[] = LoggingLevelSchema.options;

export class SessionLogger {
  /** Minimum level requested by the client; everything is sent until it calls logging/setLevel. */
  private minLevel: LoggingLevel = "debug";

  constructor(private readonly server: McpServer) {
    // Replaces the SDK's default handler so the level is readable here.
    server.server.setRequestHandler(SetLevelRequestSchema, async (request) => {
      this.minLevel = request.params.level;
      return {};
    });
  }

  get level(): LoggingLevel {
    return this.minLevel;
  }

  isEnabled(level: LoggingLevel): boolean {
    return SEVERITY.indexOf(level) >= SEVERITY.indexOf(this.minLevel);
  }

  /**
   * Sends a log message related to the current request; failures (closed stream) are ignored.
   * Once the request was cancelled the SDK drops request-related notifications, so the message is
   * sent as a session-level notification instead (streamable HTTP: the standalone GET stream).
   */
  async log(extra: ToolExtra, level: LoggingLevel, logger: string, data: unknown): Promise<void> {
    if (!this.isEnabled(level)) return;
    const notification = { method: "notifications/message" as const, params: { level, logger, data } };
    try {
      if (extra.signal.aborted) await this.server.server.notification(notification);
      else await extra.sendNotification(notification);
    } catch {
      // The client may have gone away; logging must never fail a tool call.
    }
  }
}
