import type { DemoEnv } from "../env.js";
import type { DemoTool, ToolCall, ToolOutcome } from "./types.js";

/**
 * Runs one round of a tool for either era's server. A call whose signal aborted is noted in the
 * runtime log once the tool returns, so an operator (and the tests) can see that cancellation really
 * stopped the work and how quickly.
 */
export async function executeTool(
  tool: DemoTool,
  args: unknown,
  call: ToolCall,
  env: DemoEnv,
): Promise<ToolOutcome> {
  const started = Date.now();
  try {
    return await tool.run(args as Parameters<DemoTool["run"]>[0], call, env);
  } finally {
    if (call.signal.aborted)
      env.log(`${tool.name} stopped after cancellation (${call.era} era, ran ${Date.now() - started} ms)`);
  }
}
