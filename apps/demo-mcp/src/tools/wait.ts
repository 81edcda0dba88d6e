import * as z from "zod";
import { COLORS, toolIcon } from "../icons.js";
import { defineTool, sleep } from "./types.js";

export const WAIT_MAX_MS = 60_000;

export const waitTool = defineTool({
  name: "wait",
  title: "Wait",
  description:
    "Wait for the given number of milliseconds, then return. Does nothing else; stops at once when cancelled. " +
    "Useful to test parallel execution and timeouts.",
  inputSchema: {
    ms: z
      .number()
      .int()
      .min(0)
      .max(WAIT_MAX_MS)
      .describe(`How long to wait, in milliseconds (0-${WAIT_MAX_MS}).`),
  },
  outputSchema: {
    requested_ms: z.number().int().describe("The requested wait"),
    waited_ms: z.number().int().describe("How long the tool actually waited"),
    cancelled: z.boolean().describe("Whether the wait was cut short by cancellation"),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  icon: toolIcon("clock", COLORS.util),
  async run({ ms }, call) {
    const started = Date.now();
    const finished = await sleep(ms, call.signal);
    const waited = Date.now() - started;
    if (!finished) await call.log("warning", `Wait cancelled after ${waited} of ${ms} ms`);
    return {
      content: [
        { type: "text", text: finished ? `Waited ${ms} ms.` : `Wait cancelled after ${waited} of ${ms} ms.` },
      ],
      structuredContent: { requested_ms: ms, waited_ms: waited, cancelled: !finished },
    };
  },
});
