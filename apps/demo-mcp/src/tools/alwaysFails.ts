import * as z from "zod";
import { COLORS, toolIcon } from "../icons.js";
import { defineTool, toolError } from "./types.js";

export const alwaysFailsTool = defineTool({
  name: "always_fails",
  title: "Always fails",
  description:
    "A tool that always fails with a clear tool error (isError: true). Useful to see how errors are surfaced.",
  inputSchema: {
    reason: z.string().max(500).optional().describe("Optional reason to include in the error message."),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  icon: toolIcon("cross", COLORS.util),
  async run({ reason }) {
    return toolError(
      `always_fails: this tool failed on purpose${reason ? `: ${reason}` : ""}. ` +
        "Nothing was changed; retrying will fail the same way.",
    );
  },
});
