/**
 * Turns report sections (free text + earlier tools' structured output) into PDF blocks.
 * Known shapes (query_signups, fetch_sample_api results) get tailored summaries; anything else
 * is rendered generically (tables for arrays of objects, key/value lines for objects).
 */
import type { PdfBlock } from "./pdf.js";

export interface ReportSection {
  heading: string;
  body?: string | undefined;
  data?: unknown;
}

const MAX_TABLE_ROWS = 25;
const MAX_DEPTH = 3;

type Dict = Record<string, unknown>;

const isDict = (v: unknown): v is Dict => typeof v === "object" && v !== null && !Array.isArray(v);
const isCountRecord = (v: unknown): v is Record<string, number> =>
  isDict(v) && Object.values(v).every((x) => typeof x === "number");

/** Accepts raw structured content, a whole CallToolResult, or a JSON string of either. */
export function normaliseData(data: unknown): unknown {
  let value = data;
  if (typeof value === "string") {
    const trimmed = value.trim();
    if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
      try {
        value = JSON.parse(trimmed);
      } catch {
        return data;
      }
    }
  }
  if (isDict(value) && isDict(value.structuredContent)) return value.structuredContent;
  return value;
}

const text = (t: string, extra: Partial<Extract<PdfBlock, { kind: "text" }>> = {}): PdfBlock => ({
  kind: "text",
  text: t,
  ...extra,
});

function formatValue(value: unknown): string {
  if (value === null || value === undefined) return "-";
  if (typeof value === "number")
    return Number.isInteger(value) ? value.toLocaleString("en-US") : value.toFixed(2);
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value ? "yes" : "no";
  return JSON.stringify(value);
}

function countBars(title: string, record: Record<string, number>, total?: number): PdfBlock[] {
  const entries = Object.entries(record).sort((a, b) => b[1] - a[1]);
  if (entries.length === 0) return [];
  const max = Math.max(...entries.map(([, v]) => v));
  const blocks: PdfBlock[] = [text(title, { font: "bold", size: 11 })];
  for (const [label, value] of entries.slice(0, 15)) {
    const share = total ? ` (${((value / total) * 100).toFixed(1)}%)` : "";
    blocks.push({ kind: "bar", label: `${label}${share}`, value, max });
  }
  return blocks;
}

/** A fixed-width (Courier) table. */
function table(rows: Dict[], columns?: string[]): PdfBlock[] {
  const cols = columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))].slice(0, 6);
  const shown = rows.slice(0, MAX_TABLE_ROWS);
  const cells = shown.map((r) => cols.map((c) => formatValue(r[c])));
  const widths = cols.map((c, i) =>
    Math.min(28, Math.max(c.length, ...cells.map((row) => (row[i] ?? "").length))),
  );
  const line = (values: string[]): string =>
    values
      .map((v, i) =>
        v.length > (widths[i] ?? 0) ? `${v.slice(0, (widths[i] ?? 1) - 1)}~` : v.padEnd(widths[i] ?? 0),
      )
      .join("  ");
  const blocks: PdfBlock[] = [
    text(line(cols), { font: "mono", size: 8 }),
    text(line(widths.map((w) => "-".repeat(w))), { font: "mono", size: 8 }),
    ...cells.map((row) => text(line(row), { font: "mono", size: 8 })),
  ];
  if (rows.length > shown.length)
    blocks.push(text(`... ${rows.length - shown.length} more rows not shown`, { size: 9 }));
  return blocks;
}

function isSignupResult(d: Dict): boolean {
  return (
    typeof d.total === "number" &&
    isCountRecord(d.by_country) &&
    isCountRecord(d.by_plan) &&
    Array.isArray(d.by_day)
  );
}

function summariseSignups(d: Dict): PdfBlock[] {
  const total = d.total as number;
  const byDay = (d.by_day as unknown[]).filter(isDict);
  const blocks: PdfBlock[] = [];
  const period =
    typeof d.start === "string" && typeof d.end === "string"
      ? ` between ${d.start.slice(0, 10)} and ${d.end.slice(0, 10)}`
      : "";
  blocks.push(text(`Total signups${period}: ${total.toLocaleString("en-US")}`, { font: "bold" }));
  if (isDict(d.filters) && Object.keys(d.filters).length > 0) {
    blocks.push(
      text(
        `Filters: ${Object.entries(d.filters)
          .map(([k, v]) => `${k}=${formatValue(v)}`)
          .join(", ")}`,
      ),
    );
  }
  if (byDay.length > 0) {
    const counts = byDay.map((r) => Number(r.count) || 0);
    const best = byDay[counts.indexOf(Math.max(...counts))];
    const avg = counts.reduce((a, b) => a + b, 0) / counts.length;
    blocks.push(
      text(
        `Daily average: ${avg.toFixed(1)} over ${counts.length} days; peak ${formatValue(best?.count)} on ${formatValue(best?.date)}.`,
      ),
    );
    if (counts.length >= 14) {
      const last7 = counts.slice(-7).reduce((a, b) => a + b, 0);
      const prev7 = counts.slice(-14, -7).reduce((a, b) => a + b, 0);
      const change = prev7 > 0 ? ((last7 - prev7) / prev7) * 100 : 0;
      blocks.push(
        text(
          `Last 7 days: ${last7} signups (${change >= 0 ? "+" : ""}${change.toFixed(1)}% vs previous 7 days).`,
        ),
      );
    }
  }
  blocks.push(
    { kind: "space", height: 4 },
    ...countBars("By country", d.by_country as Record<string, number>, total),
  );
  blocks.push(
    { kind: "space", height: 4 },
    ...countBars("By plan", d.by_plan as Record<string, number>, total),
  );
  if (isCountRecord(d.by_source))
    blocks.push({ kind: "space", height: 4 }, ...countBars("By source", d.by_source, total));
  if (byDay.length > 0) {
    blocks.push(
      { kind: "space", height: 4 },
      text("Signups per day (most recent 14 days)", { font: "bold" }),
    );
    const recent = byDay.slice(-14);
    const max = Math.max(1, ...recent.map((r) => Number(r.count) || 0));
    for (const r of recent)
      blocks.push({ kind: "bar", label: formatValue(r.date), value: Number(r.count) || 0, max });
  }
  const rows = Array.isArray(d.rows) ? d.rows.filter(isDict) : [];
  if (rows.length > 0) {
    blocks.push(
      { kind: "space", height: 4 },
      text(`Latest signups (${Math.min(rows.length, MAX_TABLE_ROWS)} of ${rows.length} returned)`, {
        font: "bold",
      }),
    );
    blocks.push(...table(rows, ["id", "signed_up_at", "country", "plan", "source"]));
  }
  return blocks;
}

function isSampleApiResult(d: Dict): boolean {
  return typeof d.endpoint === "string" && Array.isArray(d.rows) && isCountRecord(d.totals);
}

function summariseSampleApi(d: Dict): PdfBlock[] {
  const rows = (d.rows as unknown[]).filter(isDict);
  const blocks: PdfBlock[] = [
    text(
      `Source: ${formatValue(d.endpoint)} (${formatValue(d.start_date)} to ${formatValue(d.end_date)}, ${rows.length} days)`,
      {
        font: "bold",
      },
    ),
  ];
  if (typeof d.description === "string") blocks.push(text(d.description));
  const unit = typeof d.currency === "string" ? ` ${d.currency}` : "";
  for (const [key, value] of Object.entries(d.totals as Record<string, number>)) {
    blocks.push(
      text(`${key.replace(/_/g, " ")}: ${formatValue(value)}${key.includes("rate") ? "" : unit}`, {
        indent: 12,
      }),
    );
  }
  if (rows.length > 0) {
    blocks.push(
      { kind: "space", height: 4 },
      text("Most recent days", { font: "bold" }),
      ...table(rows.slice(-10)),
    );
  }
  return blocks;
}

function genericBlocks(value: unknown, depth: number, indent: number): PdfBlock[] {
  if (Array.isArray(value)) {
    if (value.length === 0) return [text("(empty list)", { indent })];
    if (value.every(isDict)) return table(value);
    if (value.every((v) => typeof v === "number")) {
      const nums = value as number[];
      const sum = nums.reduce((a, b) => a + b, 0);
      return [
        text(
          `${nums.length} numbers: min ${formatValue(Math.min(...nums))}, max ${formatValue(Math.max(...nums))}, sum ${formatValue(sum)}, mean ${formatValue(sum / nums.length)}`,
          { indent },
        ),
      ];
    }
    return value.slice(0, MAX_TABLE_ROWS).map((v) => text(`- ${formatValue(v)}`, { indent }));
  }
  if (isDict(value)) {
    if (isSignupResult(value)) return summariseSignups(value);
    if (isSampleApiResult(value)) return summariseSampleApi(value);
    const blocks: PdfBlock[] = [];
    for (const [key, v] of Object.entries(value)) {
      if ((isDict(v) || Array.isArray(v)) && depth < MAX_DEPTH) {
        blocks.push(text(`${key}:`, { font: "bold", indent }), ...genericBlocks(v, depth + 1, indent + 12));
      } else {
        blocks.push(text(`${key}: ${formatValue(v)}`, { indent }));
      }
    }
    return blocks;
  }
  return [text(formatValue(value), { indent })];
}

/** Summarises one section's data into PDF blocks. */
export function dataToBlocks(data: unknown): PdfBlock[] {
  return genericBlocks(normaliseData(data), 0, 0);
}

/** Builds the complete block list for a report. */
export function reportBlocks(title: string, sections: ReportSection[], generatedAt: Date): PdfBlock[] {
  const blocks: PdfBlock[] = [
    text(title, { font: "bold", size: 20 }),
    text(
      `Generated ${generatedAt.toISOString().replace("T", " ").slice(0, 16)} UTC by the mcpdeck demo MCP server`,
      {
        size: 9,
        color: [0.4, 0.4, 0.4],
      },
    ),
    { kind: "rule" },
  ];
  sections.forEach((section, i) => {
    blocks.push(
      { kind: "space", height: 8 },
      text(`${i + 1}. ${section.heading}`, { font: "bold", size: 14 }),
    );
    if (section.body) blocks.push(text(section.body));
    if (section.data !== undefined) blocks.push({ kind: "space", height: 2 }, ...dataToBlocks(section.data));
  });
  return blocks;
}

/** URL-friendly slug for file names and resource URIs. */
export function slugify(title: string): string {
  const slug = title
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 60)
    .replace(/-+$/g, "");
  return slug || "report";
}
