/** Factory for the per-session McpServer: tools, the dataset schema resource and the analysis prompt. */
import { completable } from "@modelcontextprotocol/sdk/server/completable.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import * as z from "zod";
import { SERVER_NAME, SERVER_VERSION } from "./constants.js";
import { describeDataset, getSignupDataset } from "./dataset.js";
import { SessionLogger } from "./logging.js";
import { registerTools } from "./tools/index.js";

export const SIGNUPS_SCHEMA_URI = "dataset://signups/schema";
export const PERIOD_SUGGESTIONS = ["last 7 days", "last 14 days", "last 30 days", "last 90 days"];

export interface McpServerFactoryOptions {
  /** Anchor the dataset to this `YYYY-MM-DD` (default: today in UTC, evaluated per call). */
  referenceDate?: string | undefined;
}

export function createDemoMcpServer(options: McpServerFactoryOptions = {}): McpServer {
  const server = new McpServer(
    { name: SERVER_NAME, version: SERVER_VERSION, title: "mcpdeck demo server" },
    {
      capabilities: { tools: {}, resources: {}, prompts: {}, logging: {} },
      instructions:
        "Demo server for analysing the latest user signups: query_signups → fetch_sample_api → render_chart → build_report. " +
        "long_running_analysis demonstrates progress, logging and cancellation; always_fails demonstrates tool errors.",
    },
  );
  const logger = new SessionLogger(server);
  registerTools({ server, logger, referenceDate: options.referenceDate });

  server.registerResource(
    "signups-schema",
    SIGNUPS_SCHEMA_URI,
    {
      title: "Signups dataset schema",
      description: "Fields, value domains and time span of the signups dataset used by query_signups.",
      mimeType: "application/json",
    },
    async (uri) => ({
      contents: [
        {
          uri: uri.href,
          mimeType: "application/json",
          text: JSON.stringify(describeDataset(getSignupDataset(options.referenceDate)), null, 2),
        },
      ],
    }),
  );

  server.registerPrompt(
    "analyze_signups",
    {
      title: "Analyze the latest signups",
      description: "Walks the assistant through analysing recent user signups and producing a PDF report.",
      argsSchema: {
        period: completable(
          z.string().describe("Period to analyse, e.g. 'last 7 days' or 'last 30 days'."),
          (value) => PERIOD_SUGGESTIONS.filter((p) => p.startsWith(value.toLowerCase())),
        ),
      },
    },
    ({ period }) => ({
      description: `Analyze user signups for the ${period}`,
      messages: [
        {
          role: "user",
          content: {
            type: "text",
            text:
              `Analyze the latest user signups for the ${period}.\n` +
              "1. Call query_signups for that period and look at the breakdown by country, plan and day.\n" +
              "2. Call fetch_sample_api with endpoint marketing_spend (and web_traffic if useful) for the same dates.\n" +
              "3. Call render_chart to visualise signups per day.\n" +
              "4. Summarise the trends (growth, spikes, best channels and countries) and call build_report with " +
              "sections that include the earlier tools' structured results as data.",
          },
        },
      ],
    }),
  );
  return server;
}
