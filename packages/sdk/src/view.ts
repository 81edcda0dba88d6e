import type { Artifact, EventOf, InputRequest, NodeStatus, SessionEvent, TaskNode } from "./types.js";

/** Statuses a node never leaves. */
export const TERMINAL_STATUSES: ReadonlySet<NodeStatus> = new Set<NodeStatus>([
  "succeeded",
  "failed",
  "rejected",
  "skipped",
  "cancelled",
]);

type TaskUpdate = EventOf<"task_update">["payload"];

/** A node as it stands: its proposal, with the latest status, progress, result preview or error. */
export type NodeState = TaskNode &
  Partial<Pick<TaskUpdate, "progress" | "result_preview" | "error" | "started_at" | "finished_at">>;

export interface GraphState {
  id: string;
  nodes: NodeState[];
}

/** Whether every node of a graph has ended. */
export function graphDone(graph: GraphState): boolean {
  return graph.nodes.every((node) => TERMINAL_STATUSES.has(node.status));
}

/**
 * The state of a conversation folded from its events — what a client draws: the connection, the
 * messages (and replies being written), the graphs with each node's status, the open input
 * requests and the artifacts. Feed it every event, in order; `session_started` starts it afresh.
 */
export class SessionView {
  sessionId: string | undefined;
  connection: EventOf<"connection_status">["payload"] | undefined;
  readonly messages: EventOf<"chat_message">["payload"][] = [];
  /** Replies being written (`chat_partial`), by stream id, until their `chat_message` arrives. */
  readonly partials = new Map<string, string>();
  /** Graphs by id, in the order they were proposed. */
  readonly graphs = new Map<string, GraphState>();
  /** Input requests waiting for an answer, by request id. */
  readonly inputs = new Map<string, InputRequest>();
  readonly artifacts: Artifact[] = [];

  apply(event: SessionEvent): void {
    switch (event.type) {
      case "connection_status":
        this.connection = event.payload;
        return;
      case "chat_message":
        this.messages.push(event.payload);
        if (event.payload.stream_id) this.partials.delete(event.payload.stream_id);
        return;
      case "chat_partial":
        this.partials.set(event.payload.stream_id, event.payload.text);
        return;
      case "task_graph_proposal":
        this.graphs.set(event.payload.graph_id, {
          id: event.payload.graph_id,
          nodes: event.payload.nodes.map((node) => ({ ...node })),
        });
        return;
      case "task_update": {
        const update = event.payload;
        const node = this.graphs.get(update.graph_id)?.nodes.find((n) => n.id === update.node_id);
        if (!node) return;
        // A progress-only update keeps the rest; a change of status ends the previous progress.
        if (update.status !== node.status) delete node.progress;
        node.status = update.status;
        if (update.progress) node.progress = update.progress;
        if (update.result_preview !== undefined) node.result_preview = update.result_preview;
        if (update.error !== undefined) node.error = update.error;
        if (update.started_at !== undefined) node.started_at = update.started_at;
        if (update.finished_at !== undefined) node.finished_at = update.finished_at;
        return;
      }
      case "input_request":
        this.inputs.set(event.payload.request_id, event.payload);
        return;
      case "input_resolved":
        this.inputs.delete(event.payload.request_id);
        return;
      case "artifact_generated":
        this.artifacts.push(event.payload);
        return;
      case "session_started":
        this.sessionId = event.payload.session_id;
        this.connection = undefined;
        this.messages.length = 0;
        this.partials.clear();
        this.graphs.clear();
        this.inputs.clear();
        this.artifacts.length = 0;
        return;
      case "log_entry":
      case "error":
        return;
    }
  }
}
