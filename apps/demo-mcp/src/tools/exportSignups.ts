import * as z from "zod";
import { datasetRange, getSignupDataset, PLANS, querySignups, type Signup } from "../dataset.js";
import { parseDateRange } from "../dates.js";
import { COLORS, toolIcon } from "../icons.js";
import { countryCode } from "./filters.js";
import { defineTool, sleep, toolError } from "./types.js";

const CHUNKS = 5;
const CSV_COLUMNS = ["id", "email", "country", "plan", "signed_up_at", "source"] as const;

function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

export function signupsCsv(rows: Signup[]): string {
  const lines = [CSV_COLUMNS.join(",")];
  for (const row of rows) lines.push(CSV_COLUMNS.map((c) => csvField(row[c])).join(","));
  return `${lines.join("\r\n")}\r\n`;
}

export const exportSignupsTool = defineTool({
  name: "export_signups",
  title: "Export signups as CSV",
  description:
    "Export the matching signups as a CSV file (returned as an embedded text resource). Takes a few seconds: it runs " +
    "as a task where the client supports tasks (2025-11-25), reports progress per chunk, and can be cancelled.",
  inputSchema: {
    start_date: z
      .string()
      .optional()
      .describe("Inclusive start, ISO 8601 (YYYY-MM-DD). Defaults to the dataset start."),
    end_date: z
      .string()
      .optional()
      .describe("Inclusive end, ISO 8601 (YYYY-MM-DD). Defaults to the dataset end."),
    country: countryCode().optional().describe("Only signups from this ISO 3166-1 alpha-2 country."),
    plan: z.enum(PLANS).optional().describe("Only signups on this plan."),
    chunk_ms: z
      .number()
      .int()
      .min(0)
      .max(5000)
      .optional()
      .describe(`Time each of the ${CHUNKS} export chunks takes, in milliseconds (0-5000, default 600).`),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  icon: toolIcon("download", COLORS.artifact),
  task: { pollIntervalMs: 200 },
  async run({ start_date, end_date, country, plan, chunk_ms = 600 }, call, { referenceDate }) {
    const dataset = getSignupDataset(referenceDate);
    const parsed = parseDateRange(start_date, end_date, datasetRange(dataset));
    if (!parsed.ok) return toolError(parsed.error);
    const result = querySignups(dataset, {
      range: parsed.range,
      ...(country !== undefined && { country }),
      ...(plan !== undefined && { plan }),
      limit: dataset.signups.length,
    });
    const rows = [...result.rows].reverse(); // oldest first
    await call.log("info", `Exporting ${rows.length} signups in ${CHUNKS} chunks`);
    await call.progress(0, CHUNKS, `Exporting ${rows.length} signups`);
    for (let chunk = 1; chunk <= CHUNKS; chunk++) {
      if (!(await sleep(chunk_ms, call.signal))) {
        await call.log("warning", `Export cancelled after ${chunk - 1}/${CHUNKS} chunks`);
        return {
          content: [{ type: "text", text: `Export cancelled after ${chunk - 1} of ${CHUNKS} chunks.` }],
        };
      }
      const done = Math.round((rows.length * chunk) / CHUNKS);
      await call.progress(chunk, CHUNKS, `Exported ${done}/${rows.length} rows`);
      await call.log("debug", `Chunk ${chunk}/${CHUNKS}: ${done}/${rows.length} rows`);
    }
    const csv = signupsCsv(rows);
    const filters = [country && `country-${country.toLowerCase()}`, plan && `plan-${plan}`].filter(Boolean);
    const fileName = `signups-${result.start.slice(0, 10)}-to-${result.end.slice(0, 10)}${filters.length ? `-${filters.join("-")}` : ""}.csv`;
    return {
      content: [
        {
          type: "text",
          text: `Exported ${rows.length} signups (${result.start.slice(0, 10)} to ${result.end.slice(0, 10)}) as ${fileName}, ${csv.length} bytes.`,
        },
        {
          type: "resource",
          resource: { uri: `export://signups/${fileName}`, mimeType: "text/csv", text: csv },
        },
      ],
    };
  },
});
