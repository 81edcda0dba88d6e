import { z } from "zod";
import { entityId, multiLine, singleLine, Timestamp } from "./common.js";
import { ServerId } from "./servers.js";
import { CHAT_MAX_CHARS, InputAction, SessionSummary } from "./ws.js";

/**
 * Inputs and outputs of the session procedures (tRPC and REST): the same operations as the spec's
 * session socket. Every one names the server and, optionally, the conversation (the current one when
 * absent); another user's server or conversation is a 404.
 */
export const SessionId = entityId("Session");
export const SessionRef = z.strictObject({ server_id: ServerId, session_id: SessionId.optional() });
export const ListSessionsInput = z.strictObject({ server_id: ServerId });
export const SendMessageInput = SessionRef.extend({ text: multiLine().min(1).max(CHAT_MAX_CHARS) });
export const NodeActionInput = SessionRef.extend({
  node_id: singleLine().min(1).max(64),
  graph_id: entityId("Graph").optional(),
});
export const RespondInputInput = SessionRef.extend({
  request_id: entityId("Input request"),
  action: InputAction,
  content: z.record(z.string(), z.unknown()).optional(),
});
export const SessionEventsInput = SessionRef.extend({
  /** The last event id the client has (tRPC sets it when it reconnects a tracked subscription). */
  lastEventId: singleLine().max(32).nullish(),
});
export const SessionActionOutput = z.object({
  status: z.literal("ok"),
  /** The conversation the client now follows: a new one after `/new`. */
  session_id: z.string(),
  started: SessionSummary.optional(),
});
export const OpenSessionOutput = z.object({
  session: SessionSummary,
  /** The id of the conversation's last event now: its history ends there (0 when it has none). */
  last_event_id: z.number().int().nonnegative(),
});

export const ArtifactId = entityId("Artifact");
export const ArtifactLinkInput = z.strictObject({ artifact_id: ArtifactId });
export const ArtifactLinkOutput = z.object({
  /** A download link that works without the bearer token until `expires_at`. */
  url: z.string(),
  expires_at: Timestamp,
});
