/**
 * Tools run as tasks (2025-11-25 experimental tasks, legacy era): `tools/call` with a `task` field
 * answers at once with a task; the result is fetched with `tasks/result` (which blocks until the
 * task ends, delivering the task's own input requests meanwhile), while `tasks/get` polls and
 * `notifications/tasks/status` report its status. Cancelling the call sends `tasks/cancel`.
 *
 * The SDK 2.x has no runtime for tasks (their wire types only), so this module drives them with
 * explicit result schemas. The modern era's tasks extension is not supported by the SDK client
 * (it rejects a `resultType: "task"` answer), so on a modern connection tools run without tasks.
 */
import {
  type CallToolResult,
  type Client,
  type CreateTaskResult,
  type GetTaskResult,
  type RequestOptions,
  type StandardSchemaV1,
  specTypeSchemas,
  type Task,
} from "@modelcontextprotocol/client";
import type { CallScope } from "./call-scope.js";

/** How long the server should keep a task's result after it ends. */
const TASK_TTL_MS = 10 * 60 * 1000;
const DEFAULT_POLL_MS = 1000;
const MIN_POLL_MS = 100;
const TERMINAL = new Set<Task["status"]>(["completed", "failed", "cancelled"]);

/** A `tools/call` answer that is either a task (the server took the task) or the result itself. */
const TaskOrResult: StandardSchemaV1<unknown, CreateTaskResult | CallToolResult> = {
  "~standard": {
    version: 1,
    vendor: "mcpdeck",
    validate: (value) =>
      isTaskAnswer(value)
        ? specTypeSchemas.CreateTaskResult["~standard"].validate(value)
        : specTypeSchemas.CallToolResult["~standard"].validate(value),
  },
};

function isTaskAnswer(value: unknown): value is CreateTaskResult {
  return typeof value === "object" && value !== null && "task" in value && typeof value.task === "object";
}

const lastReported = new WeakMap<CallScope, string>();

/** Reports a task status to the call once per change; any status shows the server is alive. */
export function reportTaskStatus(
  scope: CallScope,
  task: Pick<Task, "taskId" | "status" | "statusMessage">,
): void {
  scope.touch();
  const key = `${task.status}\0${task.statusMessage ?? ""}`;
  if (lastReported.get(scope) === key) return;
  lastReported.set(scope, key);
  scope.hooks.onTaskStatus?.({
    taskId: task.taskId,
    status: task.status,
    ...(task.statusMessage ? { message: task.statusMessage } : {}),
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * Calls a tool as a task and follows it to its result. `params` carry the call's mark and
 * `requestOptions` the scope's signal (and no SDK timeout: the scope's clock decides). Throws what
 * the SDK threw; the caller classifies.
 */
export async function callToolAsTask(opts: {
  client: Client;
  scope: CallScope;
  params: { name: string; arguments: Record<string, unknown>; _meta?: Record<string, unknown> };
  requestOptions: RequestOptions;
  bindTask(taskId: string): void;
  cancelTimeoutMs: number;
}): Promise<CallToolResult> {
  const { client, scope, requestOptions } = opts;
  const created = await client.request(
    { method: "tools/call", params: { ...opts.params, task: { ttl: TASK_TTL_MS } } },
    TaskOrResult,
    requestOptions,
  );
  if (!isTaskAnswer(created)) return created;
  const { taskId } = created.task;
  opts.bindTask(taskId);
  reportTaskStatus(scope, created.task);

  const stopPolling = new AbortController();
  const polling = (async () => {
    let interval = Math.max(MIN_POLL_MS, created.task.pollInterval ?? DEFAULT_POLL_MS);
    const signal = AbortSignal.any([stopPolling.signal, scope.signal]);
    while (!signal.aborted) {
      await sleep(interval, signal);
      if (signal.aborted) break;
      try {
        const task: GetTaskResult = await client.request(
          { method: "tasks/get", params: { taskId } },
          specTypeSchemas.GetTaskResult,
          { signal, timeout: requestOptions.timeout },
        );
        reportTaskStatus(scope, task);
        if (TERMINAL.has(task.status)) break;
        interval = Math.max(MIN_POLL_MS, task.pollInterval ?? interval);
      } catch {
        // A failed poll changes nothing: `tasks/result` below reports the outcome either way.
      }
    }
  })();

  try {
    // Marked as the call's: the task's own input requests arrive on this answer.
    return await client.request(
      { method: "tasks/result", params: { taskId, _meta: scope.mark() } },
      specTypeSchemas.CallToolResult,
      requestOptions,
    );
  } catch (error) {
    if (scope.signal.aborted) {
      await client
        .request({ method: "tasks/cancel", params: { taskId } }, specTypeSchemas.CancelTaskResult, {
          timeout: opts.cancelTimeoutMs,
        })
        .then((task) => reportTaskStatus(scope, task))
        .catch(() => undefined);
    }
    throw error;
  } finally {
    stopPolling.abort();
    await polling;
  }
}
