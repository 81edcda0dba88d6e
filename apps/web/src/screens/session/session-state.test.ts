import type { ServerMessage } from "@mcpdeck/contracts";
import { describe, expect, it } from "vitest";
import { applyEvents, EMPTY_SESSION } from "./session-state.js";

const at = "2026-11-28T10:00:00.000Z";
const chat = (id: number, sender: "USER" | "AGENT" | "SYSTEM", text: string): ServerMessage => ({
  id,
  type: "chat_message",
  payload: { sender, text, timestamp: at },
});
const proposal: ServerMessage = {
  id: 3,
  type: "task_graph_proposal",
  payload: {
    graph_id: "g1",
    nodes: [
      {
        id: "a",
        title: "A",
        content: "",
        status: "pending",
        position: { x: 0, y: 0 },
        tool: "t",
        arguments: {},
      },
      {
        id: "b",
        title: "B",
        content: "",
        status: "pending",
        position: { x: 310, y: 0 },
        tool: "t",
        arguments: {},
        depends_on: ["a"],
      },
    ],
  },
};

describe("session state", () => {
  it("applies a history in one batch: transcript, graph, node updates, logs, files, input requests", () => {
    const state = applyEvents(EMPTY_SESSION, [
      {
        id: 0,
        type: "connection_status",
        payload: { status: "online", latency: 5, model: "builtin", memory: { used: 1, total: 0 } },
      },
      chat(1, "USER", "hello"),
      chat(2, "AGENT", "a plan"),
      proposal,
      {
        id: 4,
        type: "task_update",
        payload: { graph_id: "g1", node_id: "a", status: "running", progress: { current: 1, total: 2 } },
      },
      {
        id: 5,
        type: "log_entry",
        payload: { timestamp: at, level: "info", message: "step 1", node_id: "a" },
      },
      {
        id: 6,
        type: "artifact_generated",
        payload: {
          artifact_id: "f1",
          name: "r.pdf",
          url: "/x",
          content_type: "application/pdf",
          size: 10,
          node_id: "a",
        },
      },
      {
        id: 7,
        type: "input_request",
        payload: { request_id: "r1", kind: "url", message: "open", url: "https://e.x" },
      },
      { id: 8, type: "input_resolved", payload: { request_id: "r1", action: "accept" } },
    ]);
    expect(state.cursor).toBe(8);
    expect(state.status?.model).toBe("builtin");
    expect(state.items.map((i) => i.kind)).toEqual(["message", "message", "graph", "artifact", "input"]);
    expect(state.graphs.g1!.nodes.a).toMatchObject({ status: "running", progress: { current: 1, total: 2 } });
    expect(state.graphs.g1!.nodes.b!.status).toBe("pending");
    expect(state.latestGraphId).toBe("g1");
    expect(state.logs).toHaveLength(1);
    expect(state.artifacts[0]!.name).toBe("r.pdf");
    expect(state.inputs.r1!.outcome).toBe("accept");
  });

  it("skips events it already has (a resumed socket may overlap) but not the connection's own", () => {
    const first = applyEvents(EMPTY_SESSION, [chat(1, "USER", "one"), chat(2, "AGENT", "two")]);
    const again = applyEvents(first, [
      chat(2, "AGENT", "two"),
      { id: 2, type: "error", payload: { code: "RATE_LIMITED", message: "slow down" } },
      chat(3, "SYSTEM", "three"),
    ]);
    expect(again.items.map((i) => (i.kind === "message" ? i.text : i.kind))).toEqual([
      "one",
      "two",
      "error",
      "three",
    ]);
    expect(again.cursor).toBe(3);
  });

  it("replaces a streamed reply by its final message", () => {
    const streaming = applyEvents(EMPTY_SESSION, [
      { id: 0, type: "chat_partial", payload: { stream_id: "s1", sender: "AGENT", text: "Hel" } },
      { id: 0, type: "chat_partial", payload: { stream_id: "s1", sender: "AGENT", text: "Hello wo" } },
    ]);
    expect(streaming.items).toHaveLength(1);
    expect(streaming.items[0]).toMatchObject({ text: "Hello wo", streaming: true });
    const done = applyEvents(streaming, [
      {
        id: 1,
        type: "chat_message",
        payload: { sender: "AGENT", text: "Hello world", timestamp: at, stream_id: "s1" },
      },
    ]);
    expect(done.items).toHaveLength(1);
    expect(done.items[0]).toMatchObject({ text: "Hello world" });
    expect(done.items[0]).not.toHaveProperty("streaming");
  });

  it("starts over on session_started (after /new): new ids, empty view", () => {
    const old = applyEvents(EMPTY_SESSION, [chat(1, "USER", "old"), proposal]);
    const fresh = applyEvents(old, [
      { id: 3, type: "session_started", payload: { session_id: "s2", title: "New" } },
      chat(1, "SYSTEM", "new conversation"),
    ]);
    expect(fresh.sessionId).toBe("s2");
    expect(fresh.cursor).toBe(1);
    expect(fresh.graphs).toEqual({});
    expect(fresh.items).toHaveLength(1);
  });
});
