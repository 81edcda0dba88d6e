import * as z from "zod";
import { chartUri } from "../charts.js";
import { dailyCounts, getSignupDataset, PLANS } from "../dataset.js";
import { COLORS, toolIcon } from "../icons.js";
import { encodePng, renderBarChart } from "../png.js";
import { countryCode } from "./filters.js";
import { defineTool } from "./types.js";

export interface SignupsChart {
  png: Buffer;
  series: { date: string; count: number }[];
}

/** The PNG bar chart of signups per day; shared by the tool and the `chart://signups{?…}` resource. */
export function renderSignupsChart(
  referenceDate: string | undefined,
  days: number,
  filter: { country?: string | undefined; plan?: (typeof PLANS)[number] | undefined },
): SignupsChart {
  const series = dailyCounts(getSignupDataset(referenceDate), days, {
    ...(filter.country !== undefined && { country: filter.country }),
    ...(filter.plan !== undefined && { plan: filter.plan }),
  });
  const labels = series.map((d) => d.date.slice(5)); // MM-DD
  const width = Math.min(1600, Math.max(640, 64 + series.length * 50));
  const png = encodePng(
    renderBarChart(
      series.map((d) => d.count),
      { width, height: 320, labels },
    ),
  );
  return { png, series };
}

export const renderChartTool = defineTool({
  name: "render_chart",
  title: "Render signups chart",
  description:
    "Render a bar chart (PNG image) of user signups per day for the most recent days of the dataset (default: last 14 days). " +
    "Also links the chart as a resource (resource_link) that resources/read serves.",
  inputSchema: {
    days: z
      .number()
      .int()
      .min(1)
      .max(90)
      .optional()
      .describe("How many recent days to chart (1-90, default 14)."),
    country: countryCode().optional().describe("Only count signups from this ISO 3166-1 alpha-2 country."),
    plan: z.enum(PLANS).optional().describe("Only count signups on this plan."),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  icon: toolIcon("bars", COLORS.artifact),
  async run({ days = 14, country, plan }, _call, { referenceDate }) {
    const { png, series } = renderSignupsChart(referenceDate, days, { country, plan });
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
        {
          type: "resource_link",
          uri: chartUri(days, country, plan),
          name: `signups-${days}d.png`,
          title: `Signups per day, last ${days} days`,
          mimeType: "image/png",
          size: png.length,
        },
      ],
    };
  },
});
