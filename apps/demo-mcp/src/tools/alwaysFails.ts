import * as z from "zod";
import { type ToolContext, toolError } from "./types.js";

export function registerAlwaysFails({ server }: ToolContext): void {
  server.registerTool(
    "always_fails",
    {
      title: "Always fails",
      description:
        "A tool that always fails with a clear tool error (isError: true). Useful to see how errors are surfaced.",
      inputSchema: {
        reason: z.string().max(500).optional().describe("Optional reason to include in the error message."),
      },
      annotations: { readOnlyHint: true, openWorldHint: false, idempotentHint: true },
    },
    async ({ reason }) =>
      toolError(
        `always_fails: this tool failed on purpose${reason ? `: ${reason}` : ""}. ` +
          "Nothing was changed; retrying will fail the same way.",
      ),
  );
}
