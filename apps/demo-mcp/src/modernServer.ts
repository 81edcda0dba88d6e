/**
 * The 2026-07-28 era: one `@modelcontextprotocol/server` 2.x `McpServer` per HTTP request, built by
 * `createMcpHandler`'s factory from the shared tool, resource and prompt tables. The SDK carries the
 * era's mechanics: the per-request `_meta` envelope, `server/discover`, `input_required` rounds that the
 * client fulfils, the per-request log level and `subscriptions/listen`.
 */
import {
  CLIENT_CAPABILITIES_META_KEY,
  type ClientCapabilities,
  completable,
  McpServer,
  ResourceNotFoundError,
  ResourceTemplate,
  type ServerContext,
} from "@modelcontextprotocol/server";
import * as z from "zod";
import { SERVER_INSTRUCTIONS, SERVER_NAME, SERVER_TITLE, SERVER_VERSION } from "./constants.js";
import type { DemoEnv } from "./env.js";
import { PROMPTS } from "./prompts.js";
import { STATIC_RESOURCES, TEMPLATE_RESOURCES } from "./resources.js";
import { executeTool } from "./tools/execute.js";
import { TOOLS } from "./tools/index.js";
import type { DemoTool, ToolCall } from "./tools/types.js";

/** The capabilities the request's `_meta` envelope declares (the SDK types the envelope as an open record). */
function clientCapabilitiesOf(ctx: ServerContext): ClientCapabilities | undefined {
  const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
  return envelope?.[CLIENT_CAPABILITIES_META_KEY] as ClientCapabilities | undefined;
}

function modernCall(tool: DemoTool, ctx: ServerContext): ToolCall {
  const progressToken = ctx.mcpReq._meta?.progressToken;
  const requestState = ctx.mcpReq.requestState<string>();
  return {
    signal: ctx.mcpReq.signal,
    era: "modern",
    clientCapabilities: clientCapabilitiesOf(ctx),
    inputResponses: ctx.mcpReq.inputResponses,
    requestState: typeof requestState === "string" ? requestState : undefined,
    progress: async (progress, total, message) => {
      if (progressToken === undefined) return;
      await ctx.mcpReq
        .notify({
          method: "notifications/progress",
          params: { progressToken, progress, ...(total !== undefined && { total }), message },
        })
        .catch(() => {});
    },
    // The SDK sends only when the request's envelope carries a log level, and filters by it.
    log: (level, data) => ctx.mcpReq.log(level, data, tool.name).catch(() => {}),
    urlElicitationCompleted: async () => {},
  };
}

export function createModernMcpServer(env: DemoEnv): McpServer {
  const server = new McpServer(
    { name: SERVER_NAME, version: SERVER_VERSION, title: SERVER_TITLE },
    {
      capabilities: {
        logging: {},
        resources: { subscribe: true, listChanged: true },
        prompts: { listChanged: true },
      },
      instructions: SERVER_INSTRUCTIONS,
    },
  );

  for (const tool of TOOLS) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: z.object(tool.inputSchema),
        ...(tool.outputSchema && { outputSchema: z.object(tool.outputSchema) }),
        annotations: { title: tool.title, ...tool.annotations },
        icons: [tool.icon],
      },
      (args, ctx) => executeTool(tool, args, modernCall(tool, ctx), env),
    );
  }

  for (const resource of STATIC_RESOURCES) {
    server.registerResource(
      resource.name,
      resource.uri,
      { title: resource.title, description: resource.description, mimeType: resource.mimeType },
      () => ({ contents: [resource.read(env)] }),
    );
  }
  for (const template of TEMPLATE_RESOURCES) {
    const list = template.list;
    server.registerResource(
      template.name,
      new ResourceTemplate(template.uriTemplate, {
        list: list && (() => ({ resources: list(env) })),
        ...(template.complete && { complete: template.complete }),
      }),
      { title: template.title, description: template.description, mimeType: template.mimeType },
      (uri, variables) => {
        const content = template.read(uri, variables, env);
        if (!content) throw new ResourceNotFoundError(uri.href);
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
      { title: prompt.title, description: prompt.description, argsSchema: z.object(shape) },
      (args) => {
        const { description, text } = prompt.get(args as Record<string, string>);
        return { description, messages: [{ role: "user", content: { type: "text", text } }] };
      },
    );
  }
  return server;
}
