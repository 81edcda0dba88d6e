import * as z from "zod";
import { dailyCounts, getSignupDataset, PLANS } from "../dataset.js";
import { COLORS, toolIcon } from "../icons.js";
import { encodeWav, synthesizeChime } from "../wav.js";
import { countryCode } from "./filters.js";
import { defineTool } from "./types.js";

export const sonifyTrendTool = defineTool({
  name: "sonify_trend",
  title: "Play the signups trend",
  description:
    "Turn the recent daily signups into a short chime (WAV audio): one note per day, the pitch rising with the " +
    "number of signups. A quick way to hear the trend.",
  inputSchema: {
    days: z
      .number()
      .int()
      .min(2)
      .max(30)
      .optional()
      .describe("How many recent days to play (2-30, default 7)."),
    country: countryCode().optional().describe("Only count signups from this ISO 3166-1 alpha-2 country."),
    plan: z.enum(PLANS).optional().describe("Only count signups on this plan."),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  icon: toolIcon("wave", COLORS.artifact),
  async run({ days = 7, country, plan }, _call, { referenceDate }) {
    const series = dailyCounts(getSignupDataset(referenceDate), days, {
      ...(country !== undefined && { country }),
      ...(plan !== undefined && { plan }),
    });
    const counts = series.map((d) => d.count);
    const wav = encodeWav(synthesizeChime(counts));
    return {
      content: [
        { type: "audio", data: wav.toString("base64"), mimeType: "audio/wav" },
        {
          type: "text",
          text:
            `A ${series.length}-note chime for ${series[0]?.date} to ${series[series.length - 1]?.date}: ` +
            `pitch rises with daily signups (${Math.min(...counts)} lowest, ${Math.max(...counts)} highest).`,
        },
      ],
    };
  },
});
