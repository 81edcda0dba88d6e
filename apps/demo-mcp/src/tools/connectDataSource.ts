import { inputRequired, inputResponse } from "@modelcontextprotocol/server";
import * as z from "zod";
import { COLORS, toolIcon } from "../icons.js";
import { elicitationUnavailable, supportsUrlElicitation } from "./clientSupport.js";
import { defineTool, toolError } from "./types.js";

export const DATA_SOURCES = {
  google_analytics: "Google Analytics",
  stripe: "Stripe",
  hubspot: "HubSpot",
  salesforce: "Salesforce",
} as const;
type DataSource = keyof typeof DATA_SOURCES;

const ANSWER_KEY = "connect";
/** How long the tool waits for the confirmation on the page after the user accepted to open it. */
export const CONNECT_CONFIRM_TIMEOUT_MS = 2 * 60 * 1000;

export const connectDataSourceTool = defineTool({
  name: "connect_data_source",
  title: "Connect a data source",
  description:
    "Connect an external data source to the analysis. Asks the user to open a page on this server (URL elicitation) " +
    "and confirm the connection there; completes once the page was confirmed. Demo only: nothing external is contacted.",
  inputSchema: {
    source: z
      .enum(Object.keys(DATA_SOURCES) as [DataSource, ...DataSource[]])
      .describe("Which data source to connect: google_analytics, stripe, hubspot or salesforce."),
  },
  outputSchema: {
    source: z.string().describe("The data source"),
    status: z.enum(["connected", "declined", "cancelled"]).describe("Outcome"),
    connection_id: z.string().optional().describe("Id of the confirmed connection"),
  },
  // It creates a connection (not read-only); connecting again is harmless (idempotent, not destructive).
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  icon: toolIcon("link", COLORS.ask),
  async run({ source }, call, { connections, origin }) {
    const label = DATA_SOURCES[source];
    const answer = inputResponse(call.inputResponses, ANSWER_KEY);
    if (answer.kind === "missing") {
      if (!supportsUrlElicitation(call.clientCapabilities)) {
        return toolError(
          elicitationUnavailable("connect_data_source", "URL", "the client did not declare URL elicitation"),
        );
      }
      const id = connections.open(source);
      await call.log("info", `Asking the user to confirm the ${label} connection at /connect/${id}`);
      return inputRequired({
        inputRequests: {
          [ANSWER_KEY]: inputRequired.elicitUrl({
            message: `Open this page to connect ${label} to the signups analysis, then press "Connect" there.`,
            url: `${origin}/connect/${id}`,
          }),
        },
        // Only an id: it selects a pending connection and must name this tool call's source, so a
        // forged or replayed state can at most confirm a connection the user was asked about.
        requestState: id,
      });
    }
    const id = call.requestState;
    if (id === undefined || connections.sourceOf(id) !== source) {
      return toolError(
        "connect_data_source: this connection request is unknown or expired. Call the tool again.",
      );
    }
    if (answer.kind !== "elicit")
      return toolError("connect_data_source expected the user's answer to the URL request.");
    if (answer.action !== "accept") {
      connections.forget(id);
      const status = answer.action === "decline" ? "declined" : "cancelled";
      return {
        content: [
          {
            type: "text",
            text:
              answer.action === "decline"
                ? `The user declined to connect ${label}.`
                : `Connecting ${label} was cancelled.`,
          },
        ],
        structuredContent: { source, status },
      };
    }
    const outcome = await connections.waitForConfirmation(id, call.signal, CONNECT_CONFIRM_TIMEOUT_MS);
    if (outcome === "confirmed") {
      connections.forget(id);
      await call.urlElicitationCompleted(ANSWER_KEY);
      await call.log("info", `${label} connected (${id})`);
      return {
        content: [{ type: "text", text: `${label} is connected (connection ${id}).` }],
        structuredContent: { source, status: "connected", connection_id: id },
      };
    }
    if (outcome === "aborted") {
      return {
        content: [{ type: "text", text: `Connecting ${label} was cancelled.` }],
        structuredContent: { source, status: "cancelled" },
      };
    }
    connections.forget(id);
    return toolError(
      `connect_data_source: the ${label} connection was not confirmed on the page within ` +
        `${CONNECT_CONFIRM_TIMEOUT_MS / 60_000} minutes. Call the tool again to retry.`,
    );
  },
});
