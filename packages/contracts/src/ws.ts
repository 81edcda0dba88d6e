import { z } from "zod";
import { Id, multiLine, singleLine, Timestamp } from "./common.js";
import { ErrorCode } from "./errors.js";

/** Limits of the spec's WebSocket protocol. */
export const WS_MAX_MESSAGE_BYTES = 64 * 1024;
export const CHAT_MAX_CHARS = 8000;

export const NodeStatus = z.enum([
  "pending",
  "approved",
  "running",
  "succeeded",
  "failed",
  "rejected",
  "skipped",
  "cancelled",
]);
export type NodeStatus = z.infer<typeof NodeStatus>;

export const TaskNode = z.object({
  id: z.string().min(1).max(64),
  title: z.string().max(200),
  content: z.string().max(4000),
  status: NodeStatus,
  position: z.object({ x: z.number(), y: z.number() }),
  depends_on: z.array(z.string().min(1).max(64)).optional(),
  tool: z.string().max(200),
  arguments: z.record(z.string(), z.unknown()),
});
export type TaskNode = z.infer<typeof TaskNode>;

// ---- client → server
export const ClientChatMessage = z.object({
  type: z.literal("chat_message"),
  payload: z.strictObject({ text: multiLine().min(1).max(CHAT_MAX_CHARS) }),
});
export const ClientApproveTask = z.object({
  type: z.literal("approve_task"),
  payload: z.strictObject({ node_id: singleLine().min(1).max(64) }),
});
export const ClientRejectTask = z.object({
  type: z.literal("reject_task"),
  payload: z.strictObject({ node_id: singleLine().min(1).max(64) }),
});
export const ClientCancel = z.object({ type: z.literal("cancel"), payload: z.strictObject({}) });
export const ClientPing = z.object({ type: z.literal("ping"), payload: z.strictObject({}) });
export const ClientMessage = z.discriminatedUnion("type", [
  ClientChatMessage,
  ClientApproveTask,
  ClientRejectTask,
  ClientCancel,
  ClientPing,
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
});
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
]);
export type ServerMessage = z.infer<typeof ServerMessage>;
export type ServerMessageType = ServerMessage["type"];
export type ServerPayload<T extends ServerMessageType> = Extract<ServerMessage, { type: T }>["payload"];
