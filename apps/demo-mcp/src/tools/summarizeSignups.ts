import { inputRequired, inputResponse } from "@modelcontextprotocol/server";
import * as z from "zod";
import { dailyCounts, datasetRange, getSignupDataset, querySignups } from "../dataset.js";
import { COLORS, toolIcon } from "../icons.js";
import { samplingUnavailable, supportsSampling } from "./clientSupport.js";
import { defineTool, toolError } from "./types.js";

const ANSWER_KEY = "summary";

export const summarizeSignupsTool = defineTool({
  name: "summarize_signups",
  title: "Summarise signups with the client's model",
  description:
    "Ask the client's language model (sampling) to write a short summary of the recent signups: totals by day, " +
    "country and plan for the last N days. Fails with a clear error when the client offers no sampling.",
  inputSchema: {
    days: z
      .number()
      .int()
      .min(1)
      .max(90)
      .optional()
      .describe("How many recent days to summarise (1-90, default 14)."),
    max_tokens: z
      .number()
      .int()
      .min(16)
      .max(2000)
      .optional()
      .describe("Longest summary the model may write, in tokens (16-2000, default 300)."),
  },
  outputSchema: {
    summary: z.string().describe("The model's summary"),
    model: z.string().describe("The model that wrote it, as the client reported"),
    days: z.number().int().describe("Days summarised"),
    total: z.number().int().describe("Signups in those days"),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  icon: toolIcon("spark", COLORS.ask),
  async run({ days = 14, max_tokens = 300 }, call, { referenceDate }) {
    if (!supportsSampling(call.clientCapabilities)) {
      return toolError(samplingUnavailable("summarize_signups", "the client does not offer sampling"));
    }
    const dataset = getSignupDataset(referenceDate);
    const series = dailyCounts(dataset, days);
    const range = datasetRange(dataset);
    const first = series[0]?.date ?? dataset.lastDay;
    const totals = querySignups(dataset, {
      range: { startMs: Date.parse(`${first}T00:00:00Z`), endMs: range.endMs },
      limit: 0,
    });
    const answer = inputResponse(call.inputResponses, ANSWER_KEY);
    if (answer.kind === "missing") {
      await call.log(
        "info",
        `Asking the client's model to summarise ${totals.total} signups over ${days} days`,
      );
      return inputRequired({
        inputRequests: {
          [ANSWER_KEY]: inputRequired.createMessage({
            systemPrompt: "You are a concise product analyst. Answer in at most three sentences.",
            messages: [
              {
                role: "user",
                content: {
                  type: "text",
                  text:
                    `Summarise these user signups for the last ${days} days (${first} to ${dataset.lastDay}).\n` +
                    `Per day: ${JSON.stringify(series)}\nBy country: ${JSON.stringify(totals.by_country)}\n` +
                    `By plan: ${JSON.stringify(totals.by_plan)}\nBy source: ${JSON.stringify(totals.by_source)}`,
                },
              },
            ],
            maxTokens: max_tokens,
            modelPreferences: { speedPriority: 0.8, intelligencePriority: 0.4, costPriority: 0.6 },
          }),
        },
      });
    }
    if (answer.kind !== "sampling") {
      return toolError(
        samplingUnavailable("summarize_signups", "the client did not answer the sampling request"),
      );
    }
    const blocks = Array.isArray(answer.result.content) ? answer.result.content : [answer.result.content];
    const summary = blocks
      .filter((b): b is Extract<typeof b, { type: "text" }> => b.type === "text")
      .map((b) => b.text)
      .join("\n")
      .trim();
    if (summary === "") {
      return toolError("summarize_signups: the client's model answered without any text. Try again.");
    }
    return {
      content: [
        {
          type: "text",
          text: `Summary of ${totals.total} signups over ${days} days (by ${answer.result.model}): ${summary}`,
        },
      ],
      structuredContent: { summary, model: answer.result.model, days, total: totals.total },
    };
  },
});
