import * as z from "zod";
import { addDays, DAY_MS, parseDateRange, startOfDay, todayUtc } from "../dates.js";
import { COLORS, toolIcon } from "../icons.js";
import { fetchSampleData, SAMPLE_API_MAX_DAYS, SAMPLE_ENDPOINTS } from "../sampleApi.js";
import { defineTool, toolError } from "./types.js";

export const fetchSampleApiTool = defineTool({
  name: "fetch_sample_api",
  title: "Fetch data from a sample API",
  description:
    "Fetch daily business metrics from a sample REST API (marketing spend, web traffic or revenue). " +
    "Demo only: no network request is made; the JSON is generated deterministically for the requested dates.",
  inputSchema: {
    endpoint: z
      .enum(SAMPLE_ENDPOINTS)
      .describe(
        "Which API endpoint to call: marketing_spend (USD per channel), web_traffic (sessions, visitors) or revenue (USD).",
      ),
    start_date: z
      .string()
      .optional()
      .describe("Inclusive start date, ISO 8601 (YYYY-MM-DD). Defaults to 30 days before end_date."),
    end_date: z
      .string()
      .optional()
      .describe("Inclusive end date, ISO 8601 (YYYY-MM-DD). Defaults to yesterday."),
  },
  outputSchema: {
    endpoint: z.enum(SAMPLE_ENDPOINTS).describe("Endpoint that was called"),
    request: z.string().describe("The (simulated) request line"),
    start_date: z.string().describe("First day returned (YYYY-MM-DD)"),
    end_date: z.string().describe("Last day returned (YYYY-MM-DD)"),
    currency: z.string().optional().describe("Currency of monetary values, when relevant"),
    description: z.string().describe("What the rows contain"),
    rows: z
      .array(z.record(z.string(), z.union([z.string(), z.number()])))
      .describe("One row per day, oldest first"),
    totals: z.record(z.string(), z.number()).describe("Totals (or averages for rates) over the range"),
  },
  // The "API" is simulated locally, so the tool does not reach an open world.
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  icon: toolIcon("globe", COLORS.read),
  async run({ endpoint, start_date, end_date }, _call, { referenceDate }) {
    const lastDay = addDays(referenceDate ?? todayUtc(), -1);
    const defaultEnd = startOfDay(lastDay) + DAY_MS - 1;
    const parsed = parseDateRange(start_date, end_date, { startMs: 0, endMs: defaultEnd });
    if (!parsed.ok) return toolError(parsed.error);
    const range = { ...parsed.range };
    if (start_date === undefined)
      range.startMs = Math.min(
        startOfDay(addDays(new Date(range.endMs).toISOString().slice(0, 10), -29)),
        range.endMs,
      );
    const days = Math.floor(range.endMs / DAY_MS) - Math.floor(range.startMs / DAY_MS) + 1;
    if (days > SAMPLE_API_MAX_DAYS) {
      return toolError(
        `Invalid date range: the sample API serves at most ${SAMPLE_API_MAX_DAYS} days per request (got ${days}).`,
      );
    }
    const data = fetchSampleData(endpoint, range);
    return { content: [{ type: "text", text: JSON.stringify(data, null, 2) }], structuredContent: data };
  },
});
