import * as z from "zod";
import { COLORS, toolIcon } from "../icons.js";
import { defineTool, sleep } from "./types.js";

const STAGES = [
  "Loading signups",
  "Deduplicating accounts",
  "Joining marketing spend",
  "Computing cohorts",
  "Scoring acquisition channels",
  "Detecting anomalies",
  "Summarising findings",
];

/** Enough for an event-rate benchmark (thousands of progress notifications at step_ms 0). */
export const ANALYSIS_MAX_STEPS = 10_000;
const FINAL_PROGRESS_GAP_MS = 25;

export const longRunningAnalysisTool = defineTool({
  name: "long_running_analysis",
  title: "Run a long analysis",
  description:
    "Simulate a slow, multi-step analysis of the signups data. Reports progress (notifications/progress, when the " +
    "request has a progressToken) and log messages at each step, and stops early when the request is cancelled. " +
    "steps × step_ms sets the duration; step_ms 0 with many steps emits events as fast as possible (benchmarks).",
  inputSchema: {
    steps: z
      .number()
      .int()
      .min(1)
      .max(ANALYSIS_MAX_STEPS)
      .optional()
      .describe(`Number of steps to run (1-${ANALYSIS_MAX_STEPS}, default 5).`),
    step_ms: z
      .number()
      .int()
      .min(0)
      .max(5000)
      .optional()
      .describe("Duration of each step in milliseconds (0-5000, default 300)."),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  icon: toolIcon("clock", COLORS.read),
  async run({ steps = 5, step_ms = 300 }, call) {
    const started = Date.now();
    await call.log("info", `Starting analysis: ${steps} steps of ${step_ms} ms`);
    await call.progress(0, steps, "Starting");
    let completed = 0;
    for (let i = 1; i <= steps; i++) {
      const stage = STAGES[(i - 1) % STAGES.length] ?? "Working";
      await call.log("debug", `Step ${i}/${steps}: ${stage}...`);
      if (!(await sleep(step_ms, call.signal))) break;
      completed = i;
      await call.progress(i, steps, `Step ${i}/${steps}: ${stage}`);
      await call.log("info", `Step ${i}/${steps} done: ${stage}`);
    }
    if (completed === steps) {
      // SDK clients dispatch progress notifications a microtask later than responses; if the last
      // progress and the result land in the same network chunk the client drops that progress.
      // A short pause keeps them apart.
      await sleep(FINAL_PROGRESS_GAP_MS, call.signal);
    }
    const elapsed = Date.now() - started;
    if (call.signal.aborted || completed < steps) {
      await call.log("warning", `Cancelled after ${completed}/${steps} steps`);
      return {
        content: [
          { type: "text", text: `Analysis cancelled after ${completed} of ${steps} steps (${elapsed} ms).` },
        ],
      };
    }
    return {
      content: [
        {
          type: "text",
          text:
            `Analysis complete: ${steps} steps in ${elapsed} ms. Signups are trending up, with a spike from the ads ` +
            "campaign roughly 10-13 days ago; referral and partner signups skew towards team/enterprise plans.",
        },
      ],
    };
  },
});
