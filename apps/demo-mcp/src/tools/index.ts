/** The one table of demo tools: both eras' servers register exactly these, in this order. */
import { alwaysFailsTool } from "./alwaysFails.js";
import { buildReportTool } from "./buildReport.js";
import { configureReportTool } from "./configureReport.js";
import { connectDataSourceTool } from "./connectDataSource.js";
import { exportSignupsTool } from "./exportSignups.js";
import { fetchSampleApiTool } from "./fetchSampleApi.js";
import { longRunningAnalysisTool } from "./longRunningAnalysis.js";
import { purgeReportCacheTool } from "./purgeReportCache.js";
import { querySignupsTool } from "./querySignups.js";
import { renderChartTool } from "./renderChart.js";
import { sonifyTrendTool } from "./sonifyTrend.js";
import { summarizeSignupsTool } from "./summarizeSignups.js";
import type { DemoTool } from "./types.js";
import { waitTool } from "./wait.js";

export const TOOLS: readonly DemoTool[] = [
  querySignupsTool,
  fetchSampleApiTool,
  buildReportTool,
  longRunningAnalysisTool,
  renderChartTool,
  alwaysFailsTool,
  configureReportTool,
  connectDataSourceTool,
  summarizeSignupsTool,
  exportSignupsTool,
  purgeReportCacheTool,
  waitTool,
  sonifyTrendTool,
];

export const TOOL_NAMES: readonly string[] = TOOLS.map((tool) => tool.name);
