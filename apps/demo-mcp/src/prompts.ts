/** The demo's prompts, written once for both eras' servers. */

export const PERIOD_SUGGESTIONS = ["last 7 days", "last 14 days", "last 30 days", "last 90 days"];

export interface PromptArgumentDef {
  description: string;
  complete(value: string): string[];
}

export interface PromptDef {
  name: string;
  title: string;
  description: string;
  /** Every argument is a required string. */
  args: Record<string, PromptArgumentDef>;
  get(args: Record<string, string>): { description: string; text: string };
}

export const PROMPTS: readonly PromptDef[] = [
  {
    name: "analyze_signups",
    title: "Analyze the latest signups",
    description: "Walks the assistant through analysing recent user signups and producing a PDF report.",
    args: {
      period: {
        description: "Period to analyse, e.g. 'last 7 days' or 'last 30 days'.",
        complete: (value) => PERIOD_SUGGESTIONS.filter((p) => p.startsWith(value.toLowerCase())),
      },
    },
    get: ({ period }) => ({
      description: `Analyze user signups for the ${period}`,
      text:
        `Analyze the latest user signups for the ${period}.\n` +
        "1. Call query_signups for that period and look at the breakdown by country, plan and day.\n" +
        "2. Call fetch_sample_api with endpoint marketing_spend (and web_traffic if useful) for the same dates.\n" +
        "3. Call render_chart to visualise signups per day.\n" +
        "4. Summarise the trends (growth, spikes, best channels and countries) and call build_report with " +
        "sections that include the earlier tools' structured results as data.",
    }),
  },
];
