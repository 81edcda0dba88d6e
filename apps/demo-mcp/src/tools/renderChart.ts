import * as z from "zod";
import { dailyCounts, getSignupDataset, PLANS } from "../dataset.js";
import { encodePng, renderBarChart } from "../png.js";
import type { ToolContext } from "./types.js";

export function registerRenderChart({ server, referenceDate }: ToolContext): void {
  server.registerTool(
    "render_chart",
    {
      title: "Render signups chart",
      description:
        "Render a bar chart (PNG image) of user signups per day for the most recent days of the dataset (default: last 14 days).",
      inputSchema: {
        days: z
          .number()
          .int()
          .min(1)
          .max(90)
          .optional()
          .describe("How many recent days to chart (1-90, default 14)."),
        country: z
          .string()
          .regex(/^[A-Za-z]{2}$/, "country must be a 2-letter ISO 3166-1 alpha-2 code")
          .optional()
          .describe("Only count signups from this ISO 3166-1 alpha-2 country."),
        plan: z.enum(PLANS).optional().describe("Only count signups on this plan."),
      },
      annotations: { readOnlyHint: true, openWorldHint: false, idempotentHint: true },
    },
    async ({ days = 14, country, plan }) => {
      const series = dailyCounts(getSignupDataset(referenceDate), days, {
        ...(country !== undefined && { country }),
        ...(plan !== undefined && { plan }),
      });
      const labels = series.map((d) => d.date.slice(5)); // MM-DD
      const width = Math.min(1600, Math.max(640, 64 + series.length * 50));
      const png = encodePng(
        renderBarChart(
          series.map((d) => d.count),
          { width, height: 320, labels },
        ),
      );
      const total = series.reduce((sum, d) => sum + d.count, 0);
      const filters = [country && `country=${country.toUpperCase()}`, plan && `plan=${plan}`]
        .filter(Boolean)
        .join(", ");
      return {
        content: [
          { type: "image", data: png.toString("base64"), mimeType: "image/png" },
          {
            type: "text",
            text:
              `Signups per day from ${series[0]?.date} to ${series[series.length - 1]?.date}${filters ? ` (${filters})` : ""}: ` +
              `${total} total. Daily counts: ${series.map((d) => d.count).join(", ")}.`,
          },
        ],
      };
    },
  );
}
