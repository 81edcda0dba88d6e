/**
 * The feature tools (features.ts) on an SDK 1.x server: the reference implementation of the legacy
 * era (2025-11-25), which asks the client through server-to-client requests related to the tool
 * call (so they travel on the call's response stream) and runs tasks (experimental tasks).
 */
import { completable } from "@modelcontextprotocol/sdk/server/completable.js";
import { type McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import {
  CreateMessageResultSchema,
  ElicitResultSchema,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import {
  atLeast,
  COUNTER_URI,
  describeForm,
  type FeatureState,
  FORM_SCHEMA,
  ITEM_IDS,
  ITEM_TEMPLATE,
  LINK_URL,
  LOGGED_LEVELS,
  NAMES,
  STATS_ANNOTATIONS,
  STATS_SCHEMA,
  sleep,
} from "./features.js";

/** Advertises STATS_SCHEMA but lets anything through, so the server does not catch `bad_stats`. */
const lenientStats = z
  .object({})
  .passthrough()
  .meta(STATS_SCHEMA as never);

/** Capabilities and options the feature server needs at construction. */
export const LEGACY_FEATURE_CAPABILITIES = {
  logging: {},
  resources: { subscribe: true, listChanged: true },
  tools: { listChanged: true },
  tasks: { requests: { tools: { call: {} } }, cancel: {} },
};

export function registerLegacyFeatures(server: McpServer, state: FeatureState): void {
  server.server.setRequestHandler(SetLevelRequestSchema, async (request) => {
    state.logLevel = request.params.level;
    return {};
  });
  server.server.setRequestHandler(SubscribeRequestSchema, async (request) => {
    state.subscribed.add(request.params.uri);
    return {};
  });
  server.server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
    state.subscribed.delete(request.params.uri);
    return {};
  });

  server.registerTool(
    "confirm",
    { description: "Asks the person for their name", inputSchema: {} },
    async (_args, extra) => {
      const answer = await extra.sendRequest(
        {
          method: "elicitation/create",
          params: { mode: "form", message: "Who are you?", requestedSchema: FORM_SCHEMA as never },
        },
        ElicitResultSchema,
      );
      return { content: [{ type: "text", text: describeForm(answer.action, answer.content) }] };
    },
  );

  server.registerTool("open_link", { description: "Asks the person to open a link" }, async (extra) => {
    const answer = await extra.sendRequest(
      {
        method: "elicitation/create",
        params: { mode: "url", message: "Connect your account", url: LINK_URL, elicitationId: "link-1" },
      },
      ElicitResultSchema,
    );
    return { content: [{ type: "text", text: answer.action }] };
  });

  server.registerTool(
    "summarize",
    { description: "Asks the client's model for a summary", inputSchema: { text: z.string() } },
    async ({ text }, extra) => {
      try {
        const answer = await extra.sendRequest(
          {
            method: "sampling/createMessage",
            params: {
              messages: [{ role: "user", content: { type: "text", text: `Summarize: ${text}` } }],
              systemPrompt: "Be brief.",
              maxTokens: 50,
            },
          },
          CreateMessageResultSchema,
        );
        const content = answer.content as { type: string; text?: string };
        return { content: [{ type: "text", text: `summary: ${content.text ?? ""}` }] };
      } catch (error) {
        return {
          isError: true,
          content: [{ type: "text", text: `sampling failed: ${(error as Error).message}` }],
        };
      }
    },
  );

  server.registerTool("log_steps", { description: "Logs a few steps" }, async (extra) => {
    for (const level of LOGGED_LEVELS) {
      if (!atLeast(level, state.logLevel)) continue;
      await extra.sendNotification({
        method: "notifications/message",
        params: { level, logger: "steps", data: `step at ${level}` },
      });
    }
    // Not related to the call: travels on the session's standalone stream.
    await server.server.sendLoggingMessage({ level: "warning", logger: "server", data: "unrelated" });
    return { content: [{ type: "text", text: "logged" }] };
  });

  server.registerTool(
    "stats",
    {
      title: "Statistics",
      description: "Structured statistics",
      outputSchema: lenientStats,
      annotations: STATS_ANNOTATIONS,
    },
    async () => {
      const structuredContent = { count: 3, label: "three" };
      return { content: [{ type: "text", text: JSON.stringify(structuredContent) }], structuredContent };
    },
  );

  server.registerTool(
    "bad_stats",
    { description: "Structured statistics that break their own schema", outputSchema: lenientStats },
    async () => {
      const structuredContent = { count: "many" };
      return { content: [{ type: "text", text: JSON.stringify(structuredContent) }], structuredContent };
    },
  );

  server.registerTool("wait_for_cancel", { description: "Runs until cancelled" }, async (extra) => {
    await sleep(10_000, extra.signal);
    if (extra.signal.aborted) state.cancelled++;
    return { content: [{ type: "text", text: extra.signal.aborted ? "cancelled" : "not cancelled" }] };
  });

  server.registerTool("add_tool", { description: "Adds a tool" }, async () => {
    const name = `added_${++state.added}`;
    // Registering on a connected server announces notifications/tools/list_changed.
    server.registerTool(name, { description: "Added at run time" }, async () => ({
      content: [{ type: "text", text: name }],
    }));
    return { content: [{ type: "text", text: name }] };
  });

  server.registerTool("bump_counter", { description: "Changes the counter resource" }, async () => {
    state.counter++;
    if (state.subscribed.has(COUNTER_URI)) await server.server.sendResourceUpdated({ uri: COUNTER_URI });
    return { content: [{ type: "text", text: String(state.counter) }] };
  });

  server.experimental.tasks.registerToolTask(
    "long_task",
    {
      description: "A task reporting its steps",
      inputSchema: { steps: z.number().int(), stepMs: z.number().int() },
      execution: { taskSupport: "required" },
    },
    {
      async createTask({ steps, stepMs }, { taskStore, taskRequestedTtl }) {
        const task = await taskStore.createTask({ ttl: taskRequestedTtl ?? 60_000, pollInterval: 100 });
        void (async () => {
          for (let i = 1; i <= steps; i++) {
            await sleep(stepMs);
            if ((await taskStore.getTask(task.taskId)).status === "cancelled") return;
            await taskStore.updateTaskStatus(task.taskId, "working", `step ${i}/${steps}`);
          }
          await taskStore.storeTaskResult(task.taskId, "completed", {
            content: [{ type: "text", text: `finished ${steps} steps` }],
          });
        })().catch(() => undefined);
        return { task };
      },
      async getTask(_args, { taskId, taskStore }) {
        return taskStore.getTask(taskId);
      },
      async getTaskResult(_args, { taskId, taskStore }) {
        return (await taskStore.getTaskResult(taskId)) as never;
      },
    },
  );

  server.registerResource(
    "counter",
    COUNTER_URI,
    { description: "A counter", mimeType: "text/plain" },
    async (uri) => ({ contents: [{ uri: uri.href, text: String(state.counter) }] }),
  );
  server.registerResource(
    "item",
    new ResourceTemplate(ITEM_TEMPLATE, {
      list: undefined,
      complete: { id: (value) => ITEM_IDS.filter((id) => id.startsWith(value)) },
    }),
    { description: "An item", mimeType: "text/plain" },
    async (uri, { id }) => ({ contents: [{ uri: uri.href, text: `item ${String(id)}` }] }),
  );
  server.registerPrompt(
    "greet_person",
    {
      description: "Greets a person",
      argsSchema: { name: completable(z.string(), (value) => NAMES.filter((n) => n.startsWith(value))) },
    },
    async ({ name }) => ({
      messages: [{ role: "user", content: { type: "text", text: `Hello, ${name}!` } }],
    }),
  );
}
