import { z } from "zod";
import { entityId, Id, multiLine, singleLine, Timestamp } from "./common.js";
import { Cursor } from "./pagination.js";

export const AuthMethod = z.enum(["none", "api_key", "oauth"]);
export type AuthMethod = z.infer<typeof AuthMethod>;
export const ServerStatus = z.enum(["online", "offline", "error"]);
export type ServerStatus = z.infer<typeof ServerStatus>;

const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/;
// Printable ASCII (the key is trimmed first): fetch refuses other header values, and a CR/LF would
// split the header.
const HEADER_VALUE = /^[\x20-\x7e]*$/;

export const ApiKeyCredentials = z.strictObject({
  api_key: z
    .string({
      error: (issue) =>
        issue.input === undefined ? 'api_key is required when auth_method is "api_key"' : undefined,
    })
    .trim()
    .min(1, "api_key must not be empty")
    .max(4096)
    .regex(HEADER_VALUE, "api_key must be printable ASCII: it is sent as an HTTP header value")
    .describe("Sent as `Authorization: Bearer <api_key>`, or as the raw value of `header`"),
  header: z.string().regex(HEADER_NAME, "header must be a valid HTTP header name").default("Authorization"),
});
export const OAuthCredentials = z.strictObject({
  client_id: singleLine().min(1).max(512).optional().describe("Absent: dynamic client registration"),
  client_secret: singleLine().min(1).max(4096).optional(),
  scope: singleLine().max(1024).optional(),
});
export type ApiKeyCredentials = z.infer<typeof ApiKeyCredentials>;
export type OAuthCredentials = z.infer<typeof OAuthCredentials>;

export const ServerUrl = singleLine()
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

export const ServerName = singleLine().trim().min(1, "name must not be empty").max(64);
export const TimeoutSec = z.number().int().min(1).max(300);
export const ServerId = entityId("MCP server");

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

/**
 * `credentials` by `auth_method`, the one definition of which credentials each method takes:
 * `none` none, `api_key` a key (and optionally the header that carries it), `oauth` optional client
 * settings. A missing `credentials` for `api_key` is read as `{}`, so the 400 names `credentials.api_key`;
 * the document still shows it as required.
 */
const credentialsByMethod = {
  none: {
    auth_method: z.literal("none"),
    credentials: z.null({ error: 'credentials must be absent when auth_method is "none"' }).optional(),
  },
  api_key: {
    auth_method: z.literal("api_key"),
    // `{}` fails on purpose (api_key is required): the prefault only moves the issue to the key itself.
    credentials: ApiKeyCredentials.prefault({} as z.input<typeof ApiKeyCredentials>),
  },
  oauth: { auth_method: z.literal("oauth"), credentials: OAuthCredentials.default({}) },
};

type RenderedObject = { required?: string[]; properties?: Record<string, unknown> };
const requireCredentials = ({ jsonSchema }: { jsonSchema: RenderedObject }) => {
  jsonSchema.required = [...new Set([...(jsonSchema.required ?? []), "credentials"])];
  const credentials = jsonSchema.properties?.credentials;
  if (credentials && typeof credentials === "object") delete (credentials as { default?: unknown }).default;
};

const AUTH_METHOD_MESSAGE = 'auth_method must be "none", "api_key" or "oauth"';

/** An input whose `credentials` are discriminated on `auth_method`, beside the given other fields. */
function byAuthMethod<Shape extends z.ZodRawShape>(shape: Shape) {
  return z.discriminatedUnion(
    "auth_method",
    [
      z.strictObject({ ...shape, ...credentialsByMethod.none }),
      z.strictObject({ ...shape, ...credentialsByMethod.api_key }).meta({ override: requireCredentials }),
      z.strictObject({ ...shape, ...credentialsByMethod.oauth }),
    ],
    { error: (issue) => (issue.code === "invalid_union" ? AUTH_METHOD_MESSAGE : undefined) },
  );
}

/** Just the credentials for an auth method: checks an update's credentials against the stored method. */
export const ServerCredentials = byAuthMethod({});
export type ParsedCredentials = z.output<typeof ServerCredentials>;

export const McpServerCreate = byAuthMethod({
  name: ServerName,
  url: ServerUrl,
  timeout: TimeoutSec.default(30),
  ssl_verify: z.boolean().default(true),
}).meta({ id: "McpServerCreate" });
export const McpServerTest = byAuthMethod({
  url: ServerUrl,
  timeout: TimeoutSec.default(30),
  ssl_verify: z.boolean().default(true),
}).meta({ id: "McpServerTest" });
/**
 * A partial change. `credentials` take one of the shapes above; they are checked against `auth_method`,
 * or against the stored method when `auth_method` is absent (so by the service, which knows it).
 */
export const McpServerUpdate = z.strictObject({
  name: ServerName.optional(),
  url: ServerUrl.optional(),
  auth_method: AuthMethod.optional(),
  credentials: z.union([ApiKeyCredentials, OAuthCredentials]).nullable().optional(),
  timeout: TimeoutSec.optional(),
  ssl_verify: z.boolean().optional(),
});
export type McpServerCreate = z.infer<typeof McpServerCreate>;
export type McpServerUpdate = z.infer<typeof McpServerUpdate>;
export type McpServerTest = z.infer<typeof McpServerTest>;

/**
 * Validates `credentials` for an auth method. Returns issues with paths under `credentials` so a 400
 * names the field.
 */
export function parseCredentials(
  authMethod: AuthMethod,
  credentials: unknown,
): { ok: true; value: ParsedCredentials } | { ok: false; issues: { path: string; message: string }[] } {
  const r = ServerCredentials.safeParse({
    auth_method: authMethod,
    ...(credentials === undefined ? {} : { credentials }),
  });
  if (r.success) return { ok: true, value: r.data };
  return {
    ok: false,
    issues: r.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
  };
}

export const ServerIdInput = z.object({ server_id: ServerId });
/**
 * `refresh` (mcpdeck): probe the server now instead of answering from the last check. Without
 * it the answer is probed afresh only when the last check is older than the interval or a new
 * check is due (after the endpoint changed or an authorization completed). In a query string,
 * `true` or `false`.
 */
export const ServerStatusInput = ServerIdInput.extend({
  refresh: z.boolean().optional().describe("Probe the server now instead of answering from the last check"),
});
export const ListServersInput = z.object({
  cursor: Cursor.optional(),
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
  /** (mcpdeck) What the server speaks, as of its last successful check. */
  protocol_version: z.string().optional(),
  era: z.enum(["modern", "legacy"]).optional(),
  transport: z.string().optional(),
});
/**
 * One server's live status on the `servers.statusEvents` subscription *(mcpdeck)*: each of the
 * user's servers once when it starts, then again whenever status, reason or latency bucket changes.
 * `last_checked` is absent until the server's first check.
 */
export const ServerStatusEvent = ServerStatusOutput.extend({
  server_id: Id,
  last_checked: Timestamp.optional(),
});
export type ServerStatusEvent = z.infer<typeof ServerStatusEvent>;

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
export const ReadResourceInput = z.object({ server_id: ServerId, uri: singleLine().min(1).max(2048) });
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
  server_id: ServerId,
  name: singleLine().min(1).max(256),
  arguments: z.record(singleLine().max(256), multiLine().max(4096)).optional(),
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
  server_id: ServerId,
  ref: z.discriminatedUnion("type", [
    z.object({ type: z.literal("prompt"), name: singleLine().min(1).max(256) }),
    z.object({ type: z.literal("resource_template"), uri_template: singleLine().min(1).max(2048) }),
  ]),
  argument: z.object({ name: singleLine().min(1).max(256), value: multiLine().max(4096) }),
  /** Values of the other arguments already chosen. */
  context: z.record(singleLine().max(256), multiLine().max(4096)).optional(),
});
export type CompleteInput = z.infer<typeof CompleteInput>;
export const CompleteOutput = z.object({
  values: z.array(z.string()),
  total: z.number().int().optional(),
  has_more: z.boolean().optional(),
});
export const OAuthStartOutput = z.object({ authorization_url: z.string() });
/** mcpdeck's OAuth Client ID Metadata Document: its URL is mcpdeck's `client_id` where supported. */
export const ClientMetadataDocument = z
  .object({
    client_id: z.string(),
    client_name: z.string(),
    client_uri: z.string(),
    redirect_uris: z.array(z.string()),
    grant_types: z.array(z.string()),
    response_types: z.array(z.string()),
    token_endpoint_auth_method: z.literal("none"),
    application_type: z.literal("web"),
  })
  .meta({ id: "ClientMetadataDocument" });
export type ClientMetadataDocument = z.infer<typeof ClientMetadataDocument>;
export const OAuthCallbackInput = z.object({
  code: singleLine().max(2048).optional(),
  state: singleLine().max(2048),
  error: singleLine().max(256).optional(),
  error_description: singleLine().max(2048).optional(),
});
