import { z } from "zod";
import { Id, Timestamp } from "./common.js";

export const AuthMethod = z.enum(["none", "api_key", "oauth"]);
export type AuthMethod = z.infer<typeof AuthMethod>;
export const ServerStatus = z.enum(["online", "offline", "error"]);
export type ServerStatus = z.infer<typeof ServerStatus>;

const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/;

export const ApiKeyCredentials = z.strictObject({
  api_key: z.string().min(1).max(4096),
  header: z.string().regex(HEADER_NAME, "header must be a valid HTTP header name").default("Authorization"),
});
export const OAuthCredentials = z.strictObject({
  client_id: z.string().min(1).max(512).optional(),
  client_secret: z.string().min(1).max(4096).optional(),
  scope: z.string().max(1024).optional(),
});
export type ApiKeyCredentials = z.infer<typeof ApiKeyCredentials>;
export type OAuthCredentials = z.infer<typeof OAuthCredentials>;

export const ServerUrl = z
  .string()
  .max(2048)
  .refine((value) => {
    try {
      const u = new URL(value);
      return (u.protocol === "http:" || u.protocol === "https:") && u.hostname !== "";
    } catch {
      return false;
    }
  }, "url must be an absolute http(s) URL")
  .refine((value) => {
    try {
      const u = new URL(value);
      return u.username === "" && u.password === "";
    } catch {
      return true;
    }
  }, "url must not contain a username or password; use credentials instead");

export const ServerName = z.string().trim().min(1, "name must not be empty").max(64);
export const TimeoutSec = z.number().int().min(1).max(300);

export const McpServer = z
  .object({
    id: Id,
    name: z.string(),
    url: z.string(),
    auth_method: AuthMethod,
    status: ServerStatus,
    timeout: z.number().int(),
    ssl_verify: z.boolean(),
    has_credentials: z.boolean(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({ id: "McpServer" });
export type McpServer = z.infer<typeof McpServer>;

/** Credentials are checked against auth_method by `credentialsFor` (shared by create, update and test). */
export const CredentialsInput = z.record(z.string(), z.unknown());

export const McpServerCreate = z.strictObject({
  name: ServerName,
  url: ServerUrl,
  auth_method: AuthMethod,
  credentials: CredentialsInput.optional(),
  timeout: TimeoutSec.default(30),
  ssl_verify: z.boolean().default(true),
});
export const McpServerUpdate = z.strictObject({
  name: ServerName.optional(),
  url: ServerUrl.optional(),
  auth_method: AuthMethod.optional(),
  credentials: CredentialsInput.optional(),
  timeout: TimeoutSec.optional(),
  ssl_verify: z.boolean().optional(),
});
export const McpServerTest = z.strictObject({
  url: ServerUrl,
  auth_method: AuthMethod,
  credentials: CredentialsInput.optional(),
  timeout: TimeoutSec.default(30),
  ssl_verify: z.boolean().default(true),
});
export type McpServerCreate = z.infer<typeof McpServerCreate>;
export type McpServerUpdate = z.infer<typeof McpServerUpdate>;
export type McpServerTest = z.infer<typeof McpServerTest>;

export type ParsedCredentials =
  | { auth_method: "none" }
  | { auth_method: "api_key"; credentials: ApiKeyCredentials }
  | { auth_method: "oauth"; credentials: OAuthCredentials };

/**
 * Validates `credentials` for an auth method. Returns zod issues with paths under `credentials`
 * so a 400 names the field.
 */
export function parseCredentials(
  authMethod: AuthMethod,
  credentials: unknown,
): { ok: true; value: ParsedCredentials } | { ok: false; issues: { path: string; message: string }[] } {
  if (authMethod === "none") {
    if (credentials === undefined || credentials === null)
      return { ok: true, value: { auth_method: "none" } };
    return {
      ok: false,
      issues: [{ path: "credentials", message: 'credentials must be absent when auth_method is "none"' }],
    };
  }
  if (authMethod === "api_key") {
    if (credentials === undefined) {
      return {
        ok: false,
        issues: [
          { path: "credentials.api_key", message: 'api_key is required when auth_method is "api_key"' },
        ],
      };
    }
    const r = ApiKeyCredentials.safeParse(credentials);
    if (!r.success)
      return {
        ok: false,
        issues: r.error.issues.map((i) => ({
          path: ["credentials", ...i.path].join("."),
          message: i.message,
        })),
      };
    return { ok: true, value: { auth_method: "api_key", credentials: r.data } };
  }
  const r = OAuthCredentials.safeParse(credentials ?? {});
  if (!r.success)
    return {
      ok: false,
      issues: r.error.issues.map((i) => ({ path: ["credentials", ...i.path].join("."), message: i.message })),
    };
  return { ok: true, value: { auth_method: "oauth", credentials: r.data } };
}

export const ServerIdInput = z.object({ server_id: Id });
export const ListServersInput = z.object({
  cursor: z.string().max(256).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});
export const ListServersOutput = z.object({ servers: z.array(McpServer), next: z.string().optional() });
export const DeleteServerOutput = z.object({ status: z.literal("deleted") });
export const TestServerOutput = z.object({ status: z.literal("success"), message: z.string() });
export const ServerStatusOutput = z.object({
  status: ServerStatus,
  latency: z.number().optional(),
  last_checked: Timestamp,
  reason: z.string().optional(),
});

/** An icon a server offers for a tool, resource or prompt (`src` is a URL or a data: URI). */
export const IconInfo = z.object({
  src: z.string(),
  mime_type: z.string().optional(),
  sizes: z.array(z.string()).optional(),
  theme: z.enum(["light", "dark"]).optional(),
});
/** What the server says about a tool's behaviour: hints, not guarantees. */
export const ToolAnnotations = z.object({
  title: z.string().optional(),
  read_only_hint: z.boolean().optional(),
  destructive_hint: z.boolean().optional(),
  idempotent_hint: z.boolean().optional(),
  open_world_hint: z.boolean().optional(),
});
export const ToolInfo = z.object({
  name: z.string(),
  title: z.string().optional(),
  description: z.string().optional(),
  input_schema: z.record(z.string(), z.unknown()),
  /** JSON Schema of the tool's structured result; results are checked against it. */
  output_schema: z.record(z.string(), z.unknown()).optional(),
  annotations: ToolAnnotations.optional(),
  icons: z.array(IconInfo).optional(),
});
export const ListToolsOutput = z.object({ tools: z.array(ToolInfo) });
export const ResourceInfo = z.object({
  uri: z.string(),
  name: z.string(),
  title: z.string().optional(),
  description: z.string().optional(),
  mime_type: z.string().optional(),
  icons: z.array(IconInfo).optional(),
});
export const ListResourcesOutput = z.object({ resources: z.array(ResourceInfo) });
export const ResourceTemplateInfo = z.object({
  /** An RFC 6570 URI template, e.g. `items://{id}`; its variables complete with `complete`. */
  uri_template: z.string(),
  name: z.string(),
  title: z.string().optional(),
  description: z.string().optional(),
  mime_type: z.string().optional(),
  icons: z.array(IconInfo).optional(),
});
export const ListResourceTemplatesOutput = z.object({ resource_templates: z.array(ResourceTemplateInfo) });
export const ReadResourceInput = z.object({ server_id: Id, uri: z.string().min(1).max(2048) });
/** One piece of a resource: text, or binary as base64 in `blob`. */
export const ResourceContents = z.object({
  uri: z.string(),
  mime_type: z.string().optional(),
  text: z.string().optional(),
  blob: z.string().optional(),
});
export const ReadResourceOutput = z.object({ contents: z.array(ResourceContents) });
export const PromptInfo = z.object({
  name: z.string(),
  title: z.string().optional(),
  description: z.string().optional(),
  arguments: z.array(
    z.object({ name: z.string(), description: z.string().optional(), required: z.boolean().optional() }),
  ),
  icons: z.array(IconInfo).optional(),
});
export const ListPromptsOutput = z.object({ prompts: z.array(PromptInfo) });
export const GetPromptInput = z.object({
  server_id: Id,
  name: z.string().min(1).max(256),
  arguments: z.record(z.string(), z.string().max(4096)).optional(),
});
/** A message's content: text; image or audio (base64 `data`); a resource, embedded or linked. */
export const PromptContent = z.object({
  type: z.string(),
  text: z.string().optional(),
  data: z.string().optional(),
  mime_type: z.string().optional(),
  uri: z.string().optional(),
  name: z.string().optional(),
  resource: ResourceContents.optional(),
});
export const GetPromptOutput = z.object({
  description: z.string().optional(),
  messages: z.array(z.object({ role: z.enum(["user", "assistant"]), content: PromptContent })),
});
/** Suggestions for a prompt argument or a resource template variable, as the user types it. */
export const CompleteInput = z.object({
  server_id: Id,
  ref: z.discriminatedUnion("type", [
    z.object({ type: z.literal("prompt"), name: z.string().min(1).max(256) }),
    z.object({ type: z.literal("resource_template"), uri_template: z.string().min(1).max(2048) }),
  ]),
  argument: z.object({ name: z.string().min(1).max(256), value: z.string().max(4096) }),
  /** Values of the other arguments already chosen. */
  context: z.record(z.string(), z.string().max(4096)).optional(),
});
export type CompleteInput = z.infer<typeof CompleteInput>;
export const CompleteOutput = z.object({
  values: z.array(z.string()),
  total: z.number().int().optional(),
  has_more: z.boolean().optional(),
});
export const OAuthStartOutput = z.object({ authorization_url: z.string() });
export const OAuthCallbackInput = z.object({
  code: z.string().max(2048).optional(),
  state: z.string().max(2048),
  error: z.string().max(256).optional(),
  error_description: z.string().max(2048).optional(),
});
