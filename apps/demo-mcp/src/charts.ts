/**
 * The `chart://signups/{days}/{country}/{plan}` resource that `render_chart` links to ("all" for no
 * filter). Path segments rather than an optional query: the SDKs' URI templates match a query
 * expansion only when every variable is present.
 */
import { COUNTRIES, PLANS, type Plan } from "./dataset.js";

export const CHART_URI_TEMPLATE = "chart://signups/{days}/{country}/{plan}";
const ALL = "all";

export function chartUri(days: number, country: string | undefined, plan: Plan | undefined): string {
  return `chart://signups/${days}/${country?.toUpperCase() ?? ALL}/${plan ?? ALL}`;
}

export type ChartSpec = { days: number; country: string | undefined; plan: Plan | undefined };

/** The chart a URI's template variables name; undefined when a value is out of range. */
export function parseChartVariables(variables: Record<string, string | string[]>): ChartSpec | undefined {
  const value = (name: string): string => {
    const v = variables[name];
    return (Array.isArray(v) ? v[0] : v) ?? "";
  };
  const days = Number(value("days"));
  const country = value("country").toUpperCase();
  const plan = value("plan").toLowerCase();
  if (!Number.isInteger(days) || days < 1 || days > 90) return undefined;
  if (country !== ALL.toUpperCase() && !(COUNTRIES as readonly string[]).includes(country)) return undefined;
  if (plan !== ALL && !(PLANS as readonly string[]).includes(plan)) return undefined;
  return {
    days,
    country: country === ALL.toUpperCase() ? undefined : country,
    plan: plan === ALL ? undefined : (plan as Plan),
  };
}

/** Completion values for the template's filter variables. */
export const CHART_COMPLETIONS = {
  country: (value: string) =>
    [ALL, ...COUNTRIES].filter((c) => c.toLowerCase().startsWith(value.toLowerCase())),
  plan: (value: string) => [ALL, ...PLANS].filter((p) => p.startsWith(value.toLowerCase())),
};
