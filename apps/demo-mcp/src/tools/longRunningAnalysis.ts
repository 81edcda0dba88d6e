import * as z from "zod";
import type { ToolContext, ToolExtra } from "./types.js";

const STAGES = [
  "Loading signups",
  "Deduplicating accounts",
  "Joining marketing spend",
  "Computing cohorts",
  "Scoring acquisition channels",
  "Detecting anomalies",
  "Summarising findings",
];

const FINAL_PROGRESS_GAP_MS = 25;

/** Resolves after `ms`, or early (returning false) when the signal aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

async function sendProgress(
  extra: ToolExtra,
  progress: number,
  total: number,
  message: string,
): Promise<void> {
  const progressToken = extra._meta?.progressToken;
  if (progressToken === undefined) return;
  try {
    await extra.sendNotification({
      method: "notifications/progress",
      params: { progressToken, progress, total, message },
    });
  } catch {
    // Stream closed (client went away); keep going so cancellation/abort logic decides.
  }
}

export function registerLongRunningAnalysis({ server, logger }: ToolContext): void {
  server.registerTool(
    "long_running_analysis",
    {
      title: "Run a long analysis",
      description:
        "Simulate a slow, multi-step analysis of the signups data. Reports progress (notifications/progress, when the " +
        "request has a progressToken) and log messages at each step, and stops early when the request is cancelled.",
      inputSchema: {
        steps: z
          .number()
          .int()
          .min(1)
          .max(50)
          .optional()
          .describe("Number of steps to run (1-50, default 5)."),
        step_ms: z
          .number()
          .int()
          .min(10)
          .max(5000)
          .optional()
          .describe("Duration of each step in milliseconds (10-5000, default 300)."),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ steps = 5, step_ms = 300 }, extra) => {
      const started = Date.now();
      await logger.log(
        extra,
        "info",
        "long_running_analysis",
        `Starting analysis: ${steps} steps of ${step_ms} ms`,
      );
      await sendProgress(extra, 0, steps, "Starting");
      let completed = 0;
      for (let i = 1; i <= steps; i++) {
        const stage = STAGES[(i - 1) % STAGES.length] ?? "Working";
        await logger.log(extra, "debug", "long_running_analysis", `Step ${i}/${steps}: ${stage}...`);
        if (!(await sleep(step_ms, extra.signal))) break;
        completed = i;
        await sendProgress(extra, i, steps, `Step ${i}/${steps}: ${stage}`);
        await logger.log(extra, "info", "long_running_analysis", `Step ${i}/${steps} done: ${stage}`);
      }
      if (completed === steps && extra._meta?.progressToken !== undefined) {
        // SDK clients dispatch progress notifications a microtask later than responses; if the last
        // progress and the result land in the same network chunk the client drops that progress.
        // A short pause keeps them apart.
        await sleep(FINAL_PROGRESS_GAP_MS, extra.signal);
      }
      const elapsed = Date.now() - started;
      if (extra.signal.aborted || completed < steps) {
        await logger.log(
          extra,
          "warning",
          "long_running_analysis",
          `Cancelled after ${completed}/${steps} steps`,
        );
        return {
          content: [
            {
              type: "text",
              text: `Analysis cancelled after ${completed} of ${steps} steps (${elapsed} ms).`,
            },
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
  );
}
