import type { ServerMessage, ServerPayload, TaskNode } from "@mcpdeck/contracts";

export type ConnectionStatus = ServerPayload<"connection_status">;
export type LogEntry = ServerPayload<"log_entry">;
export type Artifact = ServerPayload<"artifact_generated">;
export type InputRequest = ServerPayload<"input_request">;
export type InputOutcome = ServerPayload<"input_resolved">["action"];

/** A node as proposed, with what its runs reported since. */
export interface NodeView extends TaskNode {
  graphId: string;
  progress?: { current: number; total?: number | undefined } | undefined;
  result_preview?: string | undefined;
  error?: string | undefined;
  started_at?: string | undefined;
  finished_at?: string | undefined;
}

export interface GraphState {
  id: string;
  /** Node ids in proposal order. */
  order: string[];
  nodes: Record<string, NodeView>;
}

export type TranscriptItem =
  | {
      kind: "message";
      key: string;
      sender: "AGENT" | "USER" | "SYSTEM";
      text: string;
      timestamp?: string;
      streaming?: boolean;
      streamId?: string;
    }
  | { kind: "graph"; key: string; graphId: string }
  | { kind: "input"; key: string; requestId: string }
  | { kind: "error"; key: string; code: string; message: string }
  | { kind: "artifact"; key: string; artifactId: string };

export interface SessionState {
  sessionId?: string;
  /** The last resumable event applied: the socket resumes after it. */
  cursor: number;
  status?: ConnectionStatus;
  items: TranscriptItem[];
  graphs: Record<string, GraphState>;
  /** The newest graph, the one the graph view shows by default. */
  latestGraphId?: string;
  logs: LogEntry[];
  artifacts: Artifact[];
  inputs: Record<string, { request: InputRequest; outcome?: InputOutcome }>;
}

export const EMPTY_SESSION: SessionState = {
  cursor: 0,
  items: [],
  graphs: {},
  logs: [],
  artifacts: [],
  inputs: {},
};

/** Events about the connection rather than the conversation: their id repeats the last one. */
const UNNUMBERED = new Set<ServerMessage["type"]>(["connection_status", "error", "chat_partial"]);

/**
 * Applies a batch of events. Pure, and copying each collection at most once per batch, so a history
 * of thousands of events (a reload mid-run) is applied in one pass. Numbered events at or below the
 * cursor were seen already (a resumed socket may overlap) and are skipped.
 */
export function applyEvents(state: SessionState, events: readonly ServerMessage[]): SessionState {
  let next = state;
  let items: TranscriptItem[] | undefined;
  let logs: LogEntry[] | undefined;
  let artifacts: Artifact[] | undefined;
  let graphs: Record<string, GraphState> | undefined;
  let inputs: SessionState["inputs"] | undefined;
  const own = <T>(current: T[] | undefined, from: T[]) => current ?? [...from];

  const flush = () => {
    next = {
      ...next,
      ...(items ? { items } : {}),
      ...(logs ? { logs } : {}),
      ...(artifacts ? { artifacts } : {}),
      ...(graphs ? { graphs } : {}),
      ...(inputs ? { inputs } : {}),
    };
    items = logs = artifacts = undefined;
    graphs = inputs = undefined;
  };

  for (const event of events) {
    if (!UNNUMBERED.has(event.type) && event.type !== "session_started") {
      if (event.id <= next.cursor && next.cursor > 0) continue;
    }
    switch (event.type) {
      case "session_started":
        flush();
        next = {
          ...EMPTY_SESSION,
          sessionId: event.payload.session_id,
          ...(next.status ? { status: next.status } : {}),
        };
        continue;
      case "connection_status":
        flush();
        next = { ...next, status: event.payload };
        continue;
      case "error":
        items = own(items, next.items);
        items.push({ kind: "error", key: `error-${event.id}-${items.length}`, ...event.payload });
        continue;
      case "chat_partial": {
        items = own(items, next.items);
        const at = items.findIndex((i) => i.kind === "message" && i.streamId === event.payload.stream_id);
        const item: TranscriptItem = {
          kind: "message",
          key: `stream-${event.payload.stream_id}`,
          sender: "AGENT",
          text: event.payload.text,
          streaming: true,
          streamId: event.payload.stream_id,
        };
        if (at >= 0) items[at] = item;
        else items.push(item);
        continue;
      }
      case "chat_message": {
        items = own(items, next.items);
        const { stream_id: streamId, ...message } = event.payload;
        const item: TranscriptItem = {
          kind: "message",
          key: `event-${event.id}`,
          ...message,
          ...(streamId ? { streamId } : {}),
        };
        const at = streamId ? items.findIndex((i) => i.kind === "message" && i.streamId === streamId) : -1;
        if (at >= 0) items[at] = item;
        else items.push(item);
        break;
      }
      case "task_graph_proposal": {
        graphs ??= { ...next.graphs };
        const nodes: Record<string, NodeView> = {};
        for (const node of event.payload.nodes) nodes[node.id] = { ...node, graphId: event.payload.graph_id };
        graphs[event.payload.graph_id] = {
          id: event.payload.graph_id,
          order: event.payload.nodes.map((n) => n.id),
          nodes,
        };
        items = own(items, next.items);
        items.push({ kind: "graph", key: `event-${event.id}`, graphId: event.payload.graph_id });
        next = { ...next, latestGraphId: event.payload.graph_id };
        break;
      }
      case "task_update": {
        graphs ??= { ...next.graphs };
        const graph = graphs[event.payload.graph_id];
        const node = graph?.nodes[event.payload.node_id];
        if (!graph || !node) break;
        const { graph_id: _graph, node_id: _node, ...update } = event.payload;
        graphs[graph.id] = { ...graph, nodes: { ...graph.nodes, [node.id]: { ...node, ...update } } };
        break;
      }
      case "log_entry":
        logs = own(logs, next.logs);
        logs.push(event.payload);
        break;
      case "artifact_generated":
        artifacts = own(artifacts, next.artifacts);
        artifacts.push(event.payload);
        items = own(items, next.items);
        items.push({ kind: "artifact", key: `event-${event.id}`, artifactId: event.payload.artifact_id });
        break;
      case "input_request":
        inputs ??= { ...next.inputs };
        inputs[event.payload.request_id] = { request: event.payload };
        items = own(items, next.items);
        items.push({ kind: "input", key: `event-${event.id}`, requestId: event.payload.request_id });
        break;
      case "input_resolved": {
        inputs ??= { ...next.inputs };
        const known = inputs[event.payload.request_id];
        if (known) inputs[event.payload.request_id] = { ...known, outcome: event.payload.action };
        break;
      }
    }
    if (!UNNUMBERED.has(event.type)) next = { ...next, cursor: event.id };
  }
  flush();
  return next;
}

/** Every node of every graph, in proposal order (for node lookups by the prompt's commands). */
export function allNodes(state: SessionState): NodeView[] {
  return Object.values(state.graphs).flatMap((g) => g.order.map((id) => g.nodes[id]!));
}
