import { z } from "zod";
import { entityId, Id, multiLine, singleLine, Timestamp } from "./common.js";
import { ErrorCode } from "./errors.js";

/** Limits of the spec's WebSocket protocol. */
export const WS_MAX_MESSAGE_BYTES = 64 * 1024;
export const CHAT_MAX_CHARS = 8000;

export const NodeStatus = z.enum([
  "pending",
  "approved",
  "running",
  "awaiting_input",
  "succeeded",
  "failed",
  "rejected",
  "skipped",
  "cancelled",
]);
export type NodeStatus = z.infer<typeof NodeStatus>;

/** A node id inside one graph: short, readable, usable in result references (`{{fetch.text}}`). */
export const NodeId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, "node ids are 1–64 characters of letters, digits, _ or -");

/**
 * What a tool says about itself (MCP tool annotations, snake_case), with MCP's defaults applied where
 * the server said nothing: not read-only, destructive, not idempotent, open world.
 */
export const NodeAnnotations = z.object({
  read_only: z.boolean(),
  destructive: z.boolean(),
  idempotent: z.boolean(),
  open_world: z.boolean(),
});
export type NodeAnnotations = z.infer<typeof NodeAnnotations>;

export const TaskNode = z.object({
  id: NodeId,
  title: z.string().max(200),
  content: z.string().max(4000),
  status: NodeStatus,
  position: z.object({ x: z.number(), y: z.number() }),
  depends_on: z.array(NodeId).optional(),
  tool: z.string().max(200),
  arguments: z.record(z.string(), z.unknown()),
  annotations: NodeAnnotations.optional(),
});
export type TaskNode = z.infer<typeof TaskNode>;

/** A graph as proposed by `/graph {json}` or a planner, before it is validated and laid out. */
export const GraphSpecNode = z.strictObject({
  id: NodeId,
  title: z.string().min(1).max(200).optional(),
  content: z.string().max(4000).optional(),
  tool: z.string().min(1).max(200),
  arguments: z.record(z.string(), z.unknown()).default({}),
  depends_on: z.array(NodeId).max(64).default([]),
});
export const GraphSpec = z.strictObject({
  nodes: z.array(GraphSpecNode).min(1, "a graph needs at least one node").max(200),
});
export type GraphSpecNode = z.infer<typeof GraphSpecNode>;
export type GraphSpec = z.infer<typeof GraphSpec>;

// ---- client → server
export const ClientChatMessage = z.object({
  type: z.literal("chat_message"),
  payload: z.strictObject({ text: multiLine().min(1).max(CHAT_MAX_CHARS) }),
});
/** `graph_id` (mcpdeck) picks the graph when several of the session's graphs have a node of that id. */
const NodeRef = z.strictObject({
  node_id: singleLine().min(1).max(64),
  graph_id: entityId("Graph").optional(),
});
export const ClientApproveTask = z.object({ type: z.literal("approve_task"), payload: NodeRef });
export const ClientRejectTask = z.object({ type: z.literal("reject_task"), payload: NodeRef });
export const ClientCancel = z.object({ type: z.literal("cancel"), payload: z.strictObject({}) });
export const ClientPing = z.object({ type: z.literal("ping"), payload: z.strictObject({}) });
export const InputAction = z.enum(["accept", "decline", "cancel"]);
export const ClientRespondInput = z.object({
  type: z.literal("respond_input"),
  payload: z.strictObject({
    request_id: entityId("Input request"),
    action: InputAction,
    /** The form's answer (accept of a form), or the approved sampling result text. */
    content: z.record(z.string(), z.unknown()).optional(),
  }),
});
export const ClientMessage = z.discriminatedUnion("type", [
  ClientChatMessage,
  ClientApproveTask,
  ClientRejectTask,
  ClientCancel,
  ClientPing,
  ClientRespondInput,
]);
export type ClientMessage = z.infer<typeof ClientMessage>;

// ---- server → client payloads
export const ConnectionStatusPayload = z.object({
  status: z.enum(["online", "offline"]),
  latency: z.number().nullable(),
  model: z.string(),
  memory: z.object({ used: z.number().int(), total: z.number().int() }),
});
export const ChatMessagePayload = z.object({
  sender: z.enum(["AGENT", "USER", "SYSTEM"]),
  text: z.string(),
  timestamp: Timestamp,
  /** (mcpdeck) The `chat_partial` stream this message completes, when it was streamed. */
  stream_id: Id.optional(),
});
/**
 * (mcpdeck) A reply being written: `text` is everything so far. Not stored and not replayed — its id
 * repeats the last event's; the `chat_message` with the same `stream_id` replaces it when done.
 */
export const ChatPartialPayload = z.object({ stream_id: Id, sender: z.enum(["AGENT"]), text: z.string() });
export const TaskGraphProposalPayload = z.object({ graph_id: Id, nodes: z.array(TaskNode) });
export const LogEntryPayload = z.object({
  timestamp: Timestamp,
  level: z.enum(["debug", "info", "warn", "error"]),
  message: z.string(),
  node_id: z.string().optional(),
});
export const ArtifactGeneratedPayload = z.object({
  artifact_id: Id,
  name: z.string(),
  url: z.string(),
  content_type: z.string(),
  size: z.number().int(),
  node_id: z.string().optional(),
});
export const TaskUpdatePayload = z.object({
  graph_id: Id,
  node_id: z.string(),
  status: NodeStatus,
  progress: z.object({ current: z.number(), total: z.number().optional() }).optional(),
  result_preview: z.string().optional(),
  error: z.string().optional(),
  started_at: Timestamp.optional(),
  finished_at: Timestamp.optional(),
});
export const ErrorPayload = z.object({ code: ErrorCode, message: z.string() });
/**
 * The socket now follows another conversation (after `/new`): event ids start again from that
 * session's; clients reset their `last_event_id` and clear the view before its history arrives.
 */
export const SessionStartedPayload = z.object({ session_id: Id, title: z.string() });
export const InputRequestKind = z.enum(["form", "url", "sampling"]);
export const SamplingMessage = z.object({ role: z.enum(["user", "assistant"]), text: z.string() });
export const InputRequestPayload = z.object({
  request_id: Id,
  node_id: z.string().optional(),
  graph_id: Id.optional(),
  kind: InputRequestKind,
  message: z.string(),
  /** form: the JSON schema of the answer. */
  schema: z.record(z.string(), z.unknown()).optional(),
  /** url: the address the server asks the person to open, shown whole; never fetched by mcpdeck. */
  url: z.string().optional(),
  /** sampling: the conversation the server wants the model to continue. */
  messages: z.array(SamplingMessage).optional(),
  system_prompt: z.string().optional(),
  max_tokens: z.number().int().optional(),
  expires_at: Timestamp.optional(),
});
export const InputResolvedPayload = z.object({
  request_id: Id,
  action: z.enum(["accept", "decline", "cancel", "expired"]),
});

const serverMessage = <T extends string, P extends z.ZodType>(type: T, payload: P) =>
  z.object({ id: z.number().int().nonnegative(), type: z.literal(type), payload });

export const ServerMessage = z.discriminatedUnion("type", [
  serverMessage("connection_status", ConnectionStatusPayload),
  serverMessage("chat_message", ChatMessagePayload),
  serverMessage("task_graph_proposal", TaskGraphProposalPayload),
  serverMessage("log_entry", LogEntryPayload),
  serverMessage("artifact_generated", ArtifactGeneratedPayload),
  serverMessage("task_update", TaskUpdatePayload),
  serverMessage("error", ErrorPayload),
  serverMessage("input_request", InputRequestPayload),
  serverMessage("input_resolved", InputResolvedPayload),
  serverMessage("session_started", SessionStartedPayload),
  serverMessage("chat_partial", ChatPartialPayload),
]);
export type ServerMessage = z.infer<typeof ServerMessage>;
export type ServerMessageType = ServerMessage["type"];
export type ServerPayload<T extends ServerMessageType> = Extract<ServerMessage, { type: T }>["payload"];

/** A conversation with one server (mcpdeck): one per (user, server) is current; `/new` starts another. */
export const SessionSummary = z.object({
  id: Id,
  title: z.string(),
  created_at: Timestamp,
  updated_at: Timestamp,
  current: z.boolean(),
});
export type SessionSummary = z.infer<typeof SessionSummary>;
export const ListSessionsOutput = z.object({ sessions: z.array(SessionSummary) });
