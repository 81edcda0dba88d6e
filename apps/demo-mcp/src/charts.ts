/** The `chart://signups{?days,country,plan}` resource that `render_chart` links to. */
import { PLANS, type Plan } from "./dataset.js";

export const CHART_URI_TEMPLATE = "chart://signups{?days,country,plan}";

export function chartUri(days: number, country: string | undefined, plan: Plan | undefined): string {
  const query = new URLSearchParams({ days: String(days) });
  if (country !== undefined) query.set("country", country.toUpperCase());
  if (plan !== undefined) query.set("plan", plan);
  return `chart://signups?${query}`;
}

export type ChartSpec = { days: number; country: string | undefined; plan: Plan | undefined };

/** Parses a chart URI's query; undefined when a value is out of range. */
export function parseChartUri(uri: URL): ChartSpec | undefined {
  const days = Number(uri.searchParams.get("days") ?? "14");
  const country = uri.searchParams.get("country") ?? undefined;
  const plan = uri.searchParams.get("plan") ?? undefined;
  if (!Number.isInteger(days) || days < 1 || days > 90) return undefined;
  if (country !== undefined && !/^[A-Za-z]{2}$/.test(country)) return undefined;
  if (plan !== undefined && !(PLANS as readonly string[]).includes(plan)) return undefined;
  return { days, country, plan: plan as Plan | undefined };
}
