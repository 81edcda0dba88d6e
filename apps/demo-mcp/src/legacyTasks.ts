/**
 * 2025-11-25 experimental tasks for the tools that declare `task` (the 1.x SDK's `registerToolTask`
 * with an in-memory task store per session). A task-augmented `tools/call` answers at once with the
 * task; the tool runs in the background, its progress shown as the task's status message (and as
 * progress notifications on the session), and `tasks/cancel` aborts it. Without task augmentation the
 * SDK runs the same task and waits for it (`taskSupport: "optional"`).
 */

import type {
  CreateTaskRequestHandlerExtra,
  TaskRequestHandlerExtra,
} from "@modelcontextprotocol/sdk/experimental/tasks/interfaces.js";
import { InMemoryTaskStore } from "@modelcontextprotocol/sdk/experimental/tasks/stores/in-memory.js";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult, Task } from "@modelcontextprotocol/sdk/types.js";
import type { ClientCapabilities } from "@modelcontextprotocol/server";
import type { DemoEnv } from "./env.js";
import { type LegacyCallContext, runLegacyCall } from "./legacyInputRounds.js";
import type { SessionLogger } from "./legacyLogging.js";
import type { DemoTool } from "./tools/types.js";

/** How long a finished task's result stays readable when the client asks for no TTL. */
const DEFAULT_TASK_TTL_MS = 10 * 60 * 1000;

/** An in-memory task store that tells the running work when its task was cancelled. */
export class CancellableTaskStore extends InMemoryTaskStore {
  private readonly controllers = new Map<string, AbortController>();

  /** The abort signal of a task's work; aborted by `tasks/cancel` or `abortAll()`. */
  track(taskId: string): AbortSignal {
    const controller = new AbortController();
    this.controllers.set(taskId, controller);
    return controller.signal;
  }

  finished(taskId: string): void {
    this.controllers.delete(taskId);
  }

  override async updateTaskStatus(
    taskId: string,
    status: Task["status"],
    statusMessage?: string,
    sessionId?: string,
  ): Promise<void> {
    await super.updateTaskStatus(taskId, status, statusMessage, sessionId);
    if (status === "cancelled") this.controllers.get(taskId)?.abort(new Error("Task cancelled"));
  }

  /** Session closing: stop every running task. */
  abortAll(): void {
    for (const controller of this.controllers.values()) controller.abort(new Error("Session closed"));
    this.controllers.clear();
  }
}

export function registerLegacyTaskTool(
  server: McpServer,
  tool: DemoTool,
  config: Record<string, unknown>,
  store: CancellableTaskStore,
  logger: SessionLogger,
  env: DemoEnv,
): void {
  const pollInterval = tool.task?.pollIntervalMs ?? 1000;
  server.experimental.tasks.registerToolTask(
    tool.name,
    { ...config, execution: { taskSupport: "optional" } } as Parameters<
      typeof server.experimental.tasks.registerToolTask
    >[1],
    {
      createTask: async (args: unknown, extra: CreateTaskRequestHandlerExtra) => {
        const task = await extra.taskStore.createTask({
          ttl: extra.taskRequestedTtl ?? DEFAULT_TASK_TTL_MS,
          pollInterval,
        });
        const signal = store.track(task.taskId);
        // The request that created the task is answered at once: everything after goes to the session.
        const sessionNotify = (n: Parameters<typeof server.server.notification>[0]) =>
          server.server.notification(n);
        const ctx: LegacyCallContext = {
          signal,
          clientCapabilities: server.server.getClientCapabilities() as ClientCapabilities | undefined,
          progressToken: extra._meta?.progressToken,
          notify: sessionNotify,
          onProgress: (message) =>
            extra.taskStore.updateTaskStatus(task.taskId, "working", message).catch(() => {}), // already cancelled
          sendRequest: (request, schema, options) => extra.sendRequest(request as never, schema, options),
          logger,
          completeElicitation: (id) => server.server.createElicitationCompletionNotifier(id)(),
        };
        void runLegacyCall(tool, args, ctx, env)
          .then(
            (result) => extra.taskStore.storeTaskResult(task.taskId, "completed", result),
            (error: unknown) =>
              extra.taskStore.storeTaskResult(task.taskId, "failed", {
                isError: true,
                content: [
                  {
                    type: "text",
                    text: `${tool.name} failed: ${error instanceof Error ? error.message : String(error)}`,
                  },
                ],
              }),
          )
          .catch(() => {}) // the task was cancelled (terminal) or the session closed meanwhile
          .finally(() => store.finished(task.taskId));
        return { task };
      },
      getTask: async (_args: unknown, extra: TaskRequestHandlerExtra) =>
        extra.taskStore.getTask(extra.taskId),
      getTaskResult: async (_args: unknown, extra: TaskRequestHandlerExtra) =>
        (await extra.taskStore.getTaskResult(extra.taskId)) as CallToolResult,
    } as never,
  );
}
