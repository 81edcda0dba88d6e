/**
 * The SDK's public types, every one derived from the API's router type (`@mcpdeck/api/router`), so a
 * change in a contract is a compile error in every client — never a copy that drifts.
 */
import type { AppRouter, RouterInputs, RouterOutputs } from "@mcpdeck/api/router";
import type { inferRouterError } from "@trpc/server";

export type { AppRouter, RouterInputs, RouterOutputs };

type Yielded<T> = T extends AsyncIterable<infer U> ? U : never;
/** tRPC's client-side view of a `tracked()` event, `{ id, data }`, back to the event itself. */
type Untracked<T> = T extends { id: string; data: infer Event } ? Event : T;

/**
 * One event of a session, the spec's `ServerMessage` union (`connection_status`, `chat_message`,
 * `task_graph_proposal`, `task_update`, `log_entry`, `artifact_generated`, `input_request`,
 * `input_resolved`, `session_started`, `chat_partial`, `error`), as the `sessions.events`
 * subscription yields it — most of them `tracked()` with their id.
 */
export type SessionEvent = Untracked<Yielded<RouterOutputs["sessions"]["events"]>>;
export type SessionEventType = SessionEvent["type"];
/** The event of one type, e.g. `EventOf<"task_update">`. */
export type EventOf<T extends SessionEventType> = Extract<SessionEvent, { type: T }>;

export type TaskNode = EventOf<"task_graph_proposal">["payload"]["nodes"][number];
export type NodeStatus = TaskNode["status"];
export type InputRequest = EventOf<"input_request">["payload"];
export type Artifact = EventOf<"artifact_generated">["payload"];

/** The one error shape of the API (REST bodies, and `data.error` of tRPC errors). */
export type ApiErrorBody = inferRouterError<AppRouter>["data"]["error"];
/** The API's stable error codes. */
export type ErrorCode = ApiErrorBody["code"];
export type ValidationIssue = NonNullable<ApiErrorBody["issues"]>[number];
/** Why a connection to an MCP server failed (`reason` of CONNECTION_FAILED and UPSTREAM_ERROR). */
export type McpFailureReason = NonNullable<ApiErrorBody["reason"]>;

export type User = RouterOutputs["user"]["profile"];
export type McpServer = RouterOutputs["servers"]["create"];
export type SessionSummary = RouterOutputs["sessions"]["start"];
export type SessionActionResult = RouterOutputs["sessions"]["send"];
/** A task graph as `/graph {json}` takes it. */
export type GraphSpec = { nodes: GraphSpecNode[] };
export type GraphSpecNode = Pick<TaskNode, "id" | "tool"> &
  Partial<Pick<TaskNode, "title" | "content" | "arguments" | "depends_on">>;
/** An answer to an input request: `content` is the form's values when a form is accepted. */
export type InputAnswer = Pick<RouterInputs["sessions"]["respond"], "action" | "content">;

/** The pair a sign-in gives; the refresh token rotates on every refresh. */
export type Tokens = Pick<RouterOutputs["auth"]["otpVerify"], "access_token" | "refresh_token">;
