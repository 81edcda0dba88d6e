import * as z from "zod";
import { COLORS, toolIcon } from "../icons.js";
import { defineTool } from "./types.js";

export const purgeReportCacheTool = defineTool({
  name: "purge_report_cache",
  title: "Purge the report cache",
  description:
    "Delete every report that build_report keeps in the server's report cache (the report://… resources). " +
    "Destructive: deleted reports cannot be read again and must be rebuilt.",
  inputSchema: {},
  outputSchema: {
    deleted: z.number().int().describe("How many reports were deleted"),
    reports: z.array(z.string()).describe("The deleted reports' file names"),
  },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  icon: toolIcon("trash", COLORS.change),
  async run(_args, call, { reports }) {
    const purged = reports.purge().map((r) => r.fileName);
    await call.log("warning", `Purged ${purged.length} cached report(s)`);
    return {
      content: [
        {
          type: "text",
          text:
            purged.length === 0
              ? "The report cache was already empty; nothing was deleted."
              : `Deleted ${purged.length} cached report(s): ${purged.join(", ")}.`,
        },
      ],
      structuredContent: { deleted: purged.length, reports: purged },
    };
  },
});
