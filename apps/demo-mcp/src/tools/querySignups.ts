import * as z from "zod";
import { COUNTRIES, datasetRange, getSignupDataset, PLANS, querySignups, SOURCES } from "../dataset.js";
import { parseDateRange } from "../dates.js";
import { COLORS, toolIcon } from "../icons.js";
import { countryCode } from "./filters.js";
import { defineTool, toolError } from "./types.js";

export const QUERY_SIGNUPS_DEFAULT_LIMIT = 50;
export const QUERY_SIGNUPS_MAX_LIMIT = 500;

const countShape = z.record(z.string(), z.number().int());
const signupRowShape = z.object({
  id: z.string().describe("Stable signup id"),
  email: z.string().describe("Fake email address (example.com)"),
  country: z.string().describe("ISO 3166-1 alpha-2 country code"),
  plan: z.enum(PLANS).describe("Plan chosen at signup"),
  signed_up_at: z.string().describe("Signup instant, ISO 8601 UTC"),
  source: z.enum(SOURCES).describe("Acquisition channel"),
});

export const querySignupsOutputSchema = {
  total: z.number().int().describe("Number of signups matching the filters"),
  returned: z.number().int().describe("Number of rows included in `rows` (most recent first)"),
  start: z.string().describe("Effective start of the queried range (ISO 8601)"),
  end: z.string().describe("Effective end of the queried range (ISO 8601)"),
  filters: z
    .object({
      country: z.string().optional().describe("Country filter applied"),
      plan: z.enum(PLANS).optional().describe("Plan filter applied"),
      source: z.enum(SOURCES).optional().describe("Source filter applied"),
    })
    .describe("Filters that were applied"),
  by_country: countShape.describe("Matching signups per country (sums to total)"),
  by_plan: countShape.describe("Matching signups per plan (sums to total)"),
  by_source: countShape.describe("Matching signups per acquisition source (sums to total)"),
  by_day: z
    .array(
      z.object({
        date: z.string().describe("YYYY-MM-DD"),
        count: z.number().int().describe("Signups that day"),
      }),
    )
    .describe("Matching signups per UTC day, oldest first, zero days included"),
  rows: z.array(signupRowShape).describe("The most recent matching signups, newest first"),
};

export const querySignupsTool = defineTool({
  name: "query_signups",
  title: "Query user signups",
  description:
    "Query user signups from the product database (a deterministic demo dataset of ~2,000 signups over the last 90 days). " +
    "Filter by date range, country and plan; returns totals, breakdowns by country/plan/source/day and the most recent matching rows.",
  inputSchema: {
    start_date: z
      .string()
      .optional()
      .describe(
        "Inclusive start, ISO 8601 date (YYYY-MM-DD) or date-time. Defaults to the start of the dataset (90 days ago).",
      ),
    end_date: z
      .string()
      .optional()
      .describe(
        "Inclusive end, ISO 8601 date (YYYY-MM-DD, whole day) or date-time. Defaults to yesterday (end of the dataset).",
      ),
    country: countryCode()
      .optional()
      .describe(
        `ISO 3166-1 alpha-2 country code to filter on (case-insensitive). Known: ${COUNTRIES.join(", ")}.`,
      ),
    plan: z.enum(PLANS).optional().describe("Only signups on this plan."),
    source: z.enum(SOURCES).optional().describe("Only signups from this acquisition source."),
    limit: z
      .number()
      .int()
      .min(0)
      .max(QUERY_SIGNUPS_MAX_LIMIT)
      .optional()
      .describe(
        `Maximum number of rows to return, newest first (default ${QUERY_SIGNUPS_DEFAULT_LIMIT}, max ${QUERY_SIGNUPS_MAX_LIMIT}). Aggregates always cover all matches.`,
      ),
  },
  outputSchema: querySignupsOutputSchema,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  icon: toolIcon("table", COLORS.read),
  async run({ start_date, end_date, country, plan, source, limit }, _call, { referenceDate }) {
    const dataset = getSignupDataset(referenceDate);
    const parsed = parseDateRange(start_date, end_date, datasetRange(dataset));
    if (!parsed.ok) return toolError(parsed.error);
    const result = querySignups(dataset, {
      range: parsed.range,
      ...(country !== undefined && { country }),
      ...(plan !== undefined && { plan }),
      ...(source !== undefined && { source }),
      limit: limit ?? QUERY_SIGNUPS_DEFAULT_LIMIT,
    });
    const filters = Object.entries(result.filters)
      .map(([k, v]) => `${k}=${v}`)
      .join(", ");
    const top = Object.entries(result.by_country)
      .slice(0, 3)
      .map(([c, n]) => `${c} ${n}`)
      .join(", ");
    const summary =
      `Found ${result.total} signups from ${result.start.slice(0, 10)} to ${result.end.slice(0, 10)}` +
      `${filters ? ` (${filters})` : ""}; returning the ${result.returned} most recent.` +
      (result.total > 0 ? ` Top countries: ${top}.` : "");
    return { content: [{ type: "text", text: summary }], structuredContent: result };
  },
});
