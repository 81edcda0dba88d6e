/** Name advertised to clients (initialize result, discover result's serverInfo). */
export const SERVER_NAME = "mcpdeck-demo";
/** Version advertised to clients. */
export const SERVER_VERSION = "0.1.0";
export const SERVER_TITLE = "mcpdeck demo server";
/** OAuth scopes this demo server supports. */
export const OAUTH_SCOPES = ["mcp"] as const;

export const SERVER_INSTRUCTIONS =
  "Demo server for analysing the latest user signups: query_signups → fetch_sample_api → render_chart → build_report. " +
  "long_running_analysis demonstrates progress, logging and cancellation; always_fails demonstrates tool errors; " +
  "configure_report, connect_data_source and summarize_signups ask the user or the client's model; export_signups " +
  "runs as a task; purge_report_cache is destructive; wait just waits.";
