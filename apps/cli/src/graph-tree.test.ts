import type { GraphState, NodeState } from "@mcpdeck/sdk";
import { describe, expect, it } from "vitest";
import { dependentsFirst, progressBar, renderGraph } from "./graph-tree.js";
import { createStyle } from "./style.js";

const node = (id: string, extra: Partial<NodeState> = {}): NodeState => ({
  id,
  title: id,
  content: "",
  status: "pending",
  position: { x: 0, y: 0 },
  tool: `${id}_tool`,
  arguments: {},
  ...extra,
});

describe("the graph as a tree", () => {
  it("puts each step under the first one it depends on, with status, progress and result", () => {
    const graph: GraphState = {
      id: "g",
      nodes: [
        node("fetch", { status: "succeeded", result_preview: "42 rows\nand more" }),
        node("chart", { status: "running", depends_on: ["fetch"], progress: { current: 1, total: 4 } }),
        node("report", { status: "pending", depends_on: ["fetch", "chart"] }),
        node("purge", {
          annotations: { read_only: false, destructive: true, idempotent: false, open_world: false },
        }),
      ],
    };
    expect(renderGraph(graph, createStyle(false))).toEqual([
      "  ├─ ✓ fetch  fetch_tool  succeeded — 42 rows and more",
      "  │  ├─ ▶ chart  chart_tool  running [#####---------------]  25%",
      "  │  └─ ○ report report_tool pending (also after chart)",
      "  └─ ○ purge  purge_tool  pending (destructive)",
    ]);
  });

  it("draws progress with and without a known total", () => {
    expect(progressBar({ current: 5, total: 10 }, 10)).toBe("[#####-----]  50%");
    expect(progressBar({ current: 7 })).toBe("(7)");
  });

  it("orders approvals so no step starts before the steps that wait on it are approved", () => {
    const order = dependentsFirst([
      node("a"),
      node("b", { depends_on: ["a"] }),
      node("c", { depends_on: ["b"] }),
      node("d"),
    ]).map((n) => n.id);
    expect(order.indexOf("c")).toBeLessThan(order.indexOf("b"));
    expect(order.indexOf("b")).toBeLessThan(order.indexOf("a"));
    expect(order).toHaveLength(4);
  });
});
