/** What the tools, resources and prompts of one running demo server share, across sessions and eras. */
import type { DataSourceConnections } from "./dataSourceConnections.js";
import type { ReportCache } from "./reportCache.js";

export interface DemoEnv {
  /** `YYYY-MM-DD` the dataset is anchored to; undefined = today (UTC) at call time. */
  referenceDate: string | undefined;
  /** e.g. http://127.0.0.1:54321 — URLs handed to the person (URL elicitation) live here. */
  origin: string;
  reports: ReportCache;
  connections: DataSourceConnections;
  /** The runtime's notable-event log (`DemoMcpOptions.log`). */
  log: (line: string) => void;
}
