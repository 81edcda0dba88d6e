/**
 * The demo's resources, written once for both eras' servers: static resources and URI templates
 * (with listing and argument completion where natural). Reads return `undefined` for a URI that names
 * nothing; each era's server turns that into its SDK's "resource not found" error.
 */
import { CHART_COMPLETIONS, CHART_URI_TEMPLATE, parseChartVariables } from "./charts.js";
import { COUNTRIES, datasetRange, describeDataset, getSignupDataset, querySignups } from "./dataset.js";
import type { DemoEnv } from "./env.js";
import { describeReportCache, REPORT_CACHE_URI, reportUri } from "./reportCache.js";
import { renderSignupsChart } from "./tools/renderChart.js";

export const SIGNUPS_SCHEMA_URI = "dataset://signups/schema";

export type ResourceContent = { uri: string; mimeType: string } & ({ text: string } | { blob: string });

export interface ListedResource {
  uri: string;
  name: string;
  title?: string;
  mimeType?: string;
  size?: number;
}

export interface StaticResourceDef {
  name: string;
  uri: string;
  title: string;
  description: string;
  mimeType: string;
  /** Clients may subscribe to it (`resources/subscribe`, or a `subscriptions/listen` filter). */
  subscribable?: true;
  read(env: DemoEnv): ResourceContent;
}

export interface TemplateResourceDef {
  name: string;
  uriTemplate: string;
  title: string;
  description: string;
  mimeType: string;
  /** The concrete resources to show in `resources/list`; absent: the template is not enumerated. */
  list?(env: DemoEnv): ListedResource[];
  /** Argument completion per template variable. */
  complete?: Record<string, (value: string) => string[]>;
  read(uri: URL, variables: Record<string, string | string[]>, env: DemoEnv): ResourceContent | undefined;
}

const json = (uri: string, value: unknown): ResourceContent => ({
  uri,
  mimeType: "application/json",
  text: JSON.stringify(value, null, 2),
});

const single = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value[0] : value;

export const STATIC_RESOURCES: readonly StaticResourceDef[] = [
  {
    name: "signups-schema",
    uri: SIGNUPS_SCHEMA_URI,
    title: "Signups dataset schema",
    description: "Fields, value domains and time span of the signups dataset used by query_signups.",
    mimeType: "application/json",
    read: (env) => json(SIGNUPS_SCHEMA_URI, describeDataset(getSignupDataset(env.referenceDate))),
  },
  {
    name: "report-cache",
    uri: REPORT_CACHE_URI,
    title: "Report cache",
    description:
      "Index of the reports build_report keeps (newest first). Subscribe to hear when reports are built or purged.",
    mimeType: "application/json",
    subscribable: true,
    read: (env) => json(REPORT_CACHE_URI, describeReportCache(env.reports)),
  },
];

export const TEMPLATE_RESOURCES: readonly TemplateResourceDef[] = [
  {
    name: "report",
    uriTemplate: "report://{file}",
    title: "Cached report",
    description: "A PDF report built by build_report, while it is in the report cache.",
    mimeType: "application/pdf",
    list: (env) =>
      env.reports.list().map((r) => ({
        uri: reportUri(r.fileName),
        name: r.fileName,
        title: r.title,
        mimeType: "application/pdf",
        size: r.pdf.length,
      })),
    read: (uri, variables, env) => {
      const report = env.reports.get(single(variables.file) ?? "");
      return report && { uri: uri.href, mimeType: "application/pdf", blob: report.pdf.toString("base64") };
    },
  },
  {
    name: "signups-by-country",
    uriTemplate: "signups://country/{country}",
    title: "Signups of one country",
    description: "Totals by plan, source and day for one country's signups over the whole dataset (JSON).",
    mimeType: "application/json",
    complete: {
      country: (value) => COUNTRIES.filter((c) => c.startsWith(value.toUpperCase())),
    },
    read: (uri, variables, env) => {
      const country = single(variables.country)?.toUpperCase() ?? "";
      if (!(COUNTRIES as readonly string[]).includes(country)) return undefined;
      const dataset = getSignupDataset(env.referenceDate);
      const {
        rows: _rows,
        returned: _returned,
        ...summary
      } = querySignups(dataset, {
        range: datasetRange(dataset),
        country,
        limit: 0,
      });
      return json(uri.href, summary);
    },
  },
  {
    name: "signups-chart",
    uriTemplate: CHART_URI_TEMPLATE,
    title: "Signups chart",
    description:
      "PNG bar chart of signups per day, as render_chart draws it: days 1-90, a country code or 'all', a plan or 'all'.",
    mimeType: "image/png",
    complete: CHART_COMPLETIONS,
    read: (uri, variables, env) => {
      const spec = parseChartVariables(variables);
      if (!spec) return undefined;
      const { png } = renderSignupsChart(env.referenceDate, spec.days, spec);
      return { uri: uri.href, mimeType: "image/png", blob: png.toString("base64") };
    },
  },
];
