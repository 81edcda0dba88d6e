import { describe, expect, it } from "vitest";
import type { SessionEvent } from "./types.js";
import { graphDone, SessionView } from "./view.js";

const at = "2026-11-28T10:00:00.000Z";
const node = (id: string, depends_on: string[] = []) => ({
  id,
  title: id,
  content: "",
  status: "pending" as const,
  position: { x: 0, y: 0 },
  depends_on,
  tool: "t",
  arguments: {},
});

describe("SessionView", () => {
  it("folds events into graphs, messages, input requests and artifacts", () => {
    const view = new SessionView();
    const events: SessionEvent[] = [
      {
        id: 0,
        type: "connection_status",
        payload: { status: "online", latency: 3, model: "builtin", memory: { used: 1, total: 9 } },
      },
      { id: 1, type: "chat_message", payload: { sender: "USER", text: "go", timestamp: at } },
      { id: 1, type: "chat_partial", payload: { stream_id: "s", sender: "AGENT", text: "Work" } },
      {
        id: 2,
        type: "chat_message",
        payload: { sender: "AGENT", text: "Working.", timestamp: at, stream_id: "s" },
      },
      {
        id: 3,
        type: "task_graph_proposal",
        payload: { graph_id: "g", nodes: [node("a"), node("b", ["a"])] },
      },
      {
        id: 4,
        type: "task_update",
        payload: { graph_id: "g", node_id: "a", status: "running", started_at: at },
      },
      {
        id: 5,
        type: "task_update",
        payload: { graph_id: "g", node_id: "a", status: "running", progress: { current: 1, total: 2 } },
      },
      {
        id: 6,
        type: "input_request",
        payload: { request_id: "r", node_id: "a", kind: "url", message: "open", url: "https://x" },
      },
    ];
    for (const event of events) view.apply(event);
    expect(view.connection?.model).toBe("builtin");
    expect(view.messages.map((m) => m.text)).toEqual(["go", "Working."]);
    expect(view.partials.size).toBe(0);
    const graph = view.graphs.get("g")!;
    expect(graph.nodes[0]).toMatchObject({
      status: "running",
      started_at: at,
      progress: { current: 1, total: 2 },
    });
    expect(view.inputs.has("r")).toBe(true);

    view.apply({ id: 7, type: "input_resolved", payload: { request_id: "r", action: "accept" } });
    view.apply({
      id: 8,
      type: "task_update",
      payload: { graph_id: "g", node_id: "a", status: "succeeded", result_preview: "ok", finished_at: at },
    });
    view.apply({
      id: 9,
      type: "artifact_generated",
      payload: { artifact_id: "x", name: "a.png", url: "/x", content_type: "image/png", size: 1 },
    });
    expect(view.inputs.size).toBe(0);
    expect(graph.nodes[0]).toMatchObject({ status: "succeeded", result_preview: "ok" });
    expect(graph.nodes[0]!.progress).toBeUndefined();
    expect(graphDone(graph)).toBe(false);
    view.apply({
      id: 10,
      type: "task_update",
      payload: { graph_id: "g", node_id: "b", status: "skipped", error: "no" },
    });
    expect(graphDone(graph)).toBe(true);
    expect(view.artifacts.map((a) => a.name)).toEqual(["a.png"]);

    view.apply({ id: 10, type: "session_started", payload: { session_id: "s2", title: "" } });
    expect(view.sessionId).toBe("s2");
    expect([view.messages.length, view.graphs.size, view.artifacts.length]).toEqual([0, 0, 0]);
  });
});
