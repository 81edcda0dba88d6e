/**
 * The 2025 era (the `initialize` handshake, sessions, server-to-client requests, legacy HTTP+SSE and
 * 2025-11-25 experimental tasks): a 1.x SDK `McpServer` per session, registering the same tool,
 * resource and prompt tables as the 2026-07-28 server.
 */

import { completable } from "@modelcontextprotocol/sdk/server/completable.js";
import { McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import {
  ErrorCode,
  McpError,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import type { ClientCapabilities } from "@modelcontextprotocol/server";
import * as z from "zod";
import { SERVER_INSTRUCTIONS, SERVER_NAME, SERVER_TITLE, SERVER_VERSION } from "./constants.js";
import type { DemoEnv } from "./env.js";
import { runLegacyCall } from "./legacyInputRounds.js";
import { SessionLogger } from "./legacyLogging.js";
import { CancellableTaskStore, registerLegacyTaskTool } from "./legacyTasks.js";
import { PROMPTS } from "./prompts.js";
import { STATIC_RESOURCES, TEMPLATE_RESOURCES } from "./resources.js";
import { TOOLS } from "./tools/index.js";

export interface LegacyMcpServer {
  server: McpServer;
  /** Stops the session's running tasks and change listeners. */
  dispose(): void;
}

export function createLegacyMcpServer(env: DemoEnv): LegacyMcpServer {
  const taskStore = new CancellableTaskStore();
  const server = new McpServer(
    { name: SERVER_NAME, version: SERVER_VERSION, title: SERVER_TITLE },
    {
      capabilities: {
        tools: {},
        resources: { subscribe: true, listChanged: true },
        prompts: {},
        logging: {},
        tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } },
      },
      instructions: SERVER_INSTRUCTIONS,
      taskStore,
    },
  );
  const logger = new SessionLogger(server);

  for (const tool of TOOLS) {
    const config = {
      title: tool.title,
      description: tool.description,
      inputSchema: tool.inputSchema,
      ...(tool.outputSchema && { outputSchema: tool.outputSchema }),
      annotations: { title: tool.title, ...tool.annotations },
    };
    if (tool.task) {
      registerLegacyTaskTool(server, tool, config, taskStore, logger, env);
      continue;
    }
    server.registerTool(tool.name, config, (args: unknown, extra) =>
      runLegacyCall(
        tool,
        args,
        {
          signal: extra.signal,
          clientCapabilities: server.server.getClientCapabilities() as ClientCapabilities | undefined,
          progressToken: extra._meta?.progressToken,
          // Once the request is cancelled the SDK drops request-related notifications, so what the tool
          // still says (e.g. that it stopped) goes to the session (streamable HTTP: the GET stream).
          notify: (n) => (extra.signal.aborted ? server.server.notification(n) : extra.sendNotification(n)),
          sendRequest: (request, schema, options) => extra.sendRequest(request as never, schema, options),
          logger,
          completeElicitation: (id) => server.server.createElicitationCompletionNotifier(id)(),
        },
        env,
      ),
    );
  }

  for (const resource of STATIC_RESOURCES) {
    server.registerResource(
      resource.name,
      resource.uri,
      { title: resource.title, description: resource.description, mimeType: resource.mimeType },
      async () => ({ contents: [resource.read(env)] }),
    );
  }
  for (const template of TEMPLATE_RESOURCES) {
    const list = template.list;
    server.registerResource(
      template.name,
      new ResourceTemplate(template.uriTemplate, {
        list: list && (async () => ({ resources: list(env) })),
        ...(template.complete && { complete: template.complete }),
      }),
      { title: template.title, description: template.description, mimeType: template.mimeType },
      async (uri, variables) => {
        const content = template.read(uri, variables, env);
        if (!content) throw new McpError(-32002, `Resource ${uri.href} not found`, { uri: uri.href });
        return { contents: [content] };
      },
    );
  }

  for (const prompt of PROMPTS) {
    const shape = Object.fromEntries(
      Object.entries(prompt.args).map(([name, arg]) => [
        name,
        completable(z.string().describe(arg.description), (value) => arg.complete(value)),
      ]),
    );
    server.registerPrompt(
      prompt.name,
      { title: prompt.title, description: prompt.description, argsSchema: shape },
      (args) => {
        const { description, text } = prompt.get(args as Record<string, string>);
        return { description, messages: [{ role: "user", content: { type: "text", text } }] };
      },
    );
  }

  // resources/subscribe: only subscribable resources; updates are pushed on the session.
  const subscribed = new Set<string>();
  const subscribable = new Set(STATIC_RESOURCES.filter((r) => r.subscribable).map((r) => r.uri));
  server.server.setRequestHandler(SubscribeRequestSchema, async (request) => {
    if (!subscribable.has(request.params.uri)) {
      throw new McpError(
        ErrorCode.InvalidParams,
        `Resource ${request.params.uri} does not support subscriptions (subscribable: ${[...subscribable].join(", ")})`,
      );
    }
    subscribed.add(request.params.uri);
    return {};
  });
  server.server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
    subscribed.delete(request.params.uri);
    return {};
  });
  const stopListening = env.reports.onChange(() => {
    if (!server.isConnected()) return;
    for (const uri of subscribed) void server.server.sendResourceUpdated({ uri }).catch(() => {});
    server.sendResourceListChanged();
  });

  return {
    server,
    dispose: () => {
      stopListening();
      taskStore.abortAll();
      taskStore.cleanup();
    },
  };
}
