import { registerAlwaysFails } from "./alwaysFails.js";
import { registerBuildReport } from "./buildReport.js";
import { registerFetchSampleApi } from "./fetchSampleApi.js";
import { registerLongRunningAnalysis } from "./longRunningAnalysis.js";
import { registerQuerySignups } from "./querySignups.js";
import { registerRenderChart } from "./renderChart.js";
import type { ToolContext } from "./types.js";

export const TOOL_NAMES = [
  "query_signups",
  "fetch_sample_api",
  "build_report",
  "long_running_analysis",
  "render_chart",
  "always_fails",
] as const;

/** Registers every demo tool on the session's McpServer. */
export function registerTools(context: ToolContext): void {
  registerQuerySignups(context);
  registerFetchSampleApi(context);
  registerBuildReport(context);
  registerLongRunningAnalysis(context);
  registerRenderChart(context);
  registerAlwaysFails(context);
}
