/**
 * What the API shows of a server's tools, resources and prompts: the MCP objects (camelCase, as
 * the protocol spells them) mapped onto the contracts (snake_case), keeping only documented fields.
 */
import type {
  CompleteOutput,
  GetPromptOutput,
  IconInfo,
  PromptInfo,
  ResourceContents,
  ResourceInfo,
  ResourceTemplateInfo,
  ToolInfo,
} from "@mcpdeck/contracts";
import type { Completion } from "@mcpdeck/mcp";
import type {
  ContentBlock,
  Icon,
  Prompt,
  PromptMessage,
  Resource,
  ResourceTemplateType,
  Tool,
} from "@modelcontextprotocol/client";
import type { z } from "zod";

type Out<T extends z.ZodType> = z.infer<T>;

function toIcons(icons: Icon[] | undefined): { icons?: Out<typeof IconInfo>[] } {
  if (!icons || icons.length === 0) return {};
  return {
    icons: icons.map((i) => ({
      src: i.src,
      ...(i.mimeType ? { mime_type: i.mimeType } : {}),
      ...(i.sizes ? { sizes: i.sizes } : {}),
      ...(i.theme ? { theme: i.theme } : {}),
    })),
  };
}

export function toTool(t: Tool): Out<typeof ToolInfo> {
  const a = t.annotations;
  const annotations = a
    ? {
        ...(a.title !== undefined ? { title: a.title } : {}),
        ...(a.readOnlyHint !== undefined ? { read_only_hint: a.readOnlyHint } : {}),
        ...(a.destructiveHint !== undefined ? { destructive_hint: a.destructiveHint } : {}),
        ...(a.idempotentHint !== undefined ? { idempotent_hint: a.idempotentHint } : {}),
        ...(a.openWorldHint !== undefined ? { open_world_hint: a.openWorldHint } : {}),
      }
    : undefined;
  return {
    name: t.name,
    ...(t.title ? { title: t.title } : {}),
    ...(t.description ? { description: t.description } : {}),
    input_schema: t.inputSchema as Record<string, unknown>,
    ...(t.outputSchema ? { output_schema: t.outputSchema as Record<string, unknown> } : {}),
    ...(annotations && Object.keys(annotations).length > 0 ? { annotations } : {}),
    ...toIcons(t.icons),
  };
}

export function toResource(r: Resource): Out<typeof ResourceInfo> {
  return {
    uri: r.uri,
    name: r.name,
    ...(r.title ? { title: r.title } : {}),
    ...(r.description ? { description: r.description } : {}),
    ...(r.mimeType ? { mime_type: r.mimeType } : {}),
    ...toIcons(r.icons),
  };
}

export function toTemplate(t: ResourceTemplateType): Out<typeof ResourceTemplateInfo> {
  return {
    uri_template: t.uriTemplate,
    name: t.name,
    ...(t.title ? { title: t.title } : {}),
    ...(t.description ? { description: t.description } : {}),
    ...(t.mimeType ? { mime_type: t.mimeType } : {}),
    ...toIcons(t.icons),
  };
}

export function toResourceContents(c: {
  uri: string;
  mimeType?: string | undefined;
  text?: unknown;
  blob?: unknown;
}): Out<typeof ResourceContents> {
  return {
    uri: c.uri,
    ...(c.mimeType ? { mime_type: c.mimeType } : {}),
    ...(typeof c.text === "string" ? { text: c.text } : {}),
    ...(typeof c.blob === "string" ? { blob: c.blob } : {}),
  };
}

export function toPrompt(p: Prompt): Out<typeof PromptInfo> {
  return {
    name: p.name,
    ...(p.title ? { title: p.title } : {}),
    ...(p.description ? { description: p.description } : {}),
    arguments: (p.arguments ?? []).map((a) => ({
      name: a.name,
      ...(a.description ? { description: a.description } : {}),
      ...(a.required !== undefined ? { required: a.required } : {}),
    })),
    ...toIcons(p.icons),
  };
}

function toContent(block: ContentBlock): Out<typeof GetPromptOutput>["messages"][number]["content"] {
  switch (block.type) {
    case "text":
      return { type: "text", text: block.text };
    case "image":
    case "audio":
      return { type: block.type, data: block.data, mime_type: block.mimeType };
    case "resource_link":
      return {
        type: "resource_link",
        uri: block.uri,
        name: block.name,
        ...(block.mimeType ? { mime_type: block.mimeType } : {}),
      };
    case "resource":
      return { type: "resource", resource: toResourceContents(block.resource) };
    default:
      return { type: (block as { type: string }).type };
  }
}

export function toPromptMessages(messages: PromptMessage[]): Out<typeof GetPromptOutput>["messages"] {
  return messages.map((m) => ({ role: m.role, content: toContent(m.content) }));
}

export function toCompletion(c: Completion): Out<typeof CompleteOutput> {
  return {
    values: c.values,
    ...(c.total !== undefined ? { total: c.total } : {}),
    ...(c.hasMore !== undefined ? { has_more: c.hasMore } : {}),
  };
}
