import { acceptedContent, inputRequired, inputResponse } from "@modelcontextprotocol/server";
import * as z from "zod";
import { COLORS, toolIcon } from "../icons.js";
import { elicitationUnavailable, supportsFormElicitation } from "./clientSupport.js";
import { defineTool, toolError } from "./types.js";

export const REPORT_SECTION_CHOICES = [
  "summary",
  "by_country",
  "by_plan",
  "by_source",
  "daily_trend",
  "marketing_spend",
] as const;

const ANSWER_KEY = "report_settings";

/** The form's answer, validated: it comes from the client, so it is untrusted. */
const answerSchema = z.object({
  title: z.string().min(1).max(200),
  sections: z.array(z.enum(REPORT_SECTION_CHOICES)).min(1),
  include_chart: z.boolean(),
  recipient: z.email(),
});

export const configureReportTool = defineTool({
  name: "configure_report",
  title: "Configure a report",
  description:
    "Ask the user (form elicitation) how the signups report should look: its title, which sections to include, " +
    "whether to include a chart, and who receives it. Returns the choices (pass them on to build_report), or says " +
    "that the user declined or cancelled.",
  inputSchema: {
    suggested_title: z.string().min(1).max(200).optional().describe("Title to pre-fill in the form."),
  },
  outputSchema: {
    action: z.enum(["accept", "decline", "cancel"]).describe("What the user did with the form"),
    title: z.string().optional().describe("Report title (accepted only)"),
    sections: z
      .array(z.enum(REPORT_SECTION_CHOICES))
      .optional()
      .describe("Sections to include (accepted only)"),
    include_chart: z.boolean().optional().describe("Whether to include a chart (accepted only)"),
    recipient: z.string().optional().describe("Recipient email (accepted only)"),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  icon: toolIcon("form", COLORS.ask),
  async run({ suggested_title }, call) {
    const answer = inputResponse(call.inputResponses, ANSWER_KEY);
    if (answer.kind === "missing") {
      if (!supportsFormElicitation(call.clientCapabilities)) {
        return toolError(
          elicitationUnavailable("configure_report", "form", "the client did not declare form elicitation"),
        );
      }
      await call.log("info", "Asking the user how to configure the report");
      return inputRequired({
        inputRequests: {
          [ANSWER_KEY]: inputRequired.elicit({
            message: "How should the signups report look?",
            requestedSchema: {
              type: "object",
              properties: {
                title: {
                  type: "string",
                  title: "Report title",
                  minLength: 1,
                  maxLength: 200,
                  default: suggested_title ?? "Latest signups",
                },
                sections: {
                  type: "array",
                  title: "Sections",
                  description: "Which parts of the analysis to include.",
                  minItems: 1,
                  items: { type: "string", enum: [...REPORT_SECTION_CHOICES] },
                  default: ["summary", "daily_trend"],
                },
                include_chart: { type: "boolean", title: "Include a chart", default: true },
                recipient: {
                  type: "string",
                  title: "Recipient email",
                  description: "Who should receive the report.",
                  format: "email",
                },
              },
              required: ["title", "sections", "include_chart", "recipient"],
            },
          }),
        },
      });
    }
    if (answer.kind !== "elicit")
      return toolError("configure_report expected the user's form answer, got another kind of answer.");
    if (answer.action === "decline") {
      await call.log("info", "The user declined to configure the report");
      return {
        content: [{ type: "text", text: "The user declined to configure the report; nothing was chosen." }],
        structuredContent: { action: "decline" },
      };
    }
    if (answer.action === "cancel") {
      await call.log("info", "The user cancelled the report configuration");
      return {
        content: [{ type: "text", text: "The report configuration was cancelled; nothing was chosen." }],
        structuredContent: { action: "cancel" },
      };
    }
    const chosen = acceptedContent(call.inputResponses, ANSWER_KEY, answerSchema);
    if (!chosen) {
      return toolError(
        "configure_report: the form answer did not match the form (title, at least one known section, " +
          "include_chart and a valid recipient email are required). Ask again.",
      );
    }
    return {
      content: [
        {
          type: "text",
          text:
            `The user configured the report "${chosen.title}" for ${chosen.recipient}: sections ` +
            `${chosen.sections.join(", ")}; ${chosen.include_chart ? "with" : "without"} a chart.`,
        },
      ],
      structuredContent: { action: "accept", ...chosen },
    };
  },
});
