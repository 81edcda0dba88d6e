import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { fitTransform, GraphView, NODE_HEIGHT, NODE_WIDTH, neighbour } from "./GraphView.js";
import type { GraphState, NodeView } from "./session-state.js";

afterEach(cleanup);

function node(id: string, x: number, y: number, extra: Partial<NodeView> = {}): NodeView {
  return {
    id,
    graphId: "g1",
    title: `Step ${id}`,
    content: "",
    status: "pending",
    position: { x, y },
    tool: `tool_${id}`,
    arguments: {},
    annotations: { read_only: true, destructive: false, idempotent: true, open_world: false },
    ...extra,
  };
}

function graphOf(nodes: NodeView[], id = "g1"): GraphState {
  return { id, order: nodes.map((n) => n.id), nodes: Object.fromEntries(nodes.map((n) => [n.id, n])) };
}

const threeNodes = () =>
  graphOf([
    node("fetch", 0, 0, { status: "succeeded" }),
    node("report", 310, 0, {
      status: "running",
      depends_on: ["fetch"],
      progress: { current: 3, total: 4 },
    }),
    node("purge", 310, 120, {
      depends_on: ["fetch"],
      tool: "purge_report_cache",
      annotations: { read_only: false, destructive: true, idempotent: false, open_world: false },
    }),
  ]);

const layer = () => screen.getByTestId("graph-layer");

describe("GraphView", () => {
  it("draws each node where the server laid it out, with an edge per dependency", () => {
    const { container } = render(
      <GraphView graph={threeNodes()} selectedId={undefined} onSelect={() => {}} />,
    );
    expect(screen.getByRole("group", { name: /Task graph, 3 nodes/ })).toBeTruthy();
    const report = container.querySelector('[data-node-id="report"]')!;
    expect(report.getAttribute("transform")).toBe("translate(310,0)");
    const edges = [...container.querySelectorAll("[data-edge]")].map((e) => e.getAttribute("data-edge"));
    expect(edges.sort()).toEqual(["fetch->purge", "fetch->report"]);
    // From the dependency's right edge to the dependent's left edge, at mid-height.
    const d = container.querySelector('[data-edge="fetch->report"]')!.getAttribute("d")!;
    expect(d.startsWith(`M${NODE_WIDTH},${NODE_HEIGHT / 2} `)).toBe(true);
    expect(d.endsWith(` 310,${NODE_HEIGHT / 2}`)).toBe(true);
    // A finished dependency's edge is drawn solid.
    expect(container.querySelector('[data-edge="fetch->report"]')!.getAttribute("class")).toBe("edge done");
  });

  it("says each node's status in words, shows progress, and marks destructive tools", () => {
    const { container } = render(
      <GraphView graph={threeNodes()} selectedId={undefined} onSelect={() => {}} />,
    );
    // The name is the visible text (glyphs hidden from assistive technology).
    const fetch = screen.getByRole("button", { name: "Step fetch tool_fetch succeeded" });
    expect(fetch.textContent).toContain("✓ succeeded");
    const report = screen.getByRole("button", { name: "Step report tool_report running 3 of 4" });
    expect(report.textContent).toContain("◐ running 3 of 4");
    expect(screen.getByTestId("progress-report").getAttribute("width")).toBe(
      String((NODE_WIDTH - 20) * 0.75),
    );
    expect(screen.getByTestId("progress-fetch").getAttribute("width")).toBe(String(NODE_WIDTH - 20));
    const purge = screen.getByRole("button", { name: /Step purge/ });
    expect(purge.textContent).toContain("DESTRUCTIVE");
    expect(purge.textContent).toContain("⚠");
    expect(container.querySelector('[data-node-id="purge"]')!.getAttribute("class")).toContain("destructive");
    expect(report.textContent).not.toContain("DESTRUCTIVE");
  });

  it("selects a node by click, Enter, and the arrow keys between nodes", () => {
    const onSelect = vi.fn();
    render(<GraphView graph={threeNodes()} selectedId="fetch" onSelect={onSelect} />);
    fireEvent.click(screen.getByRole("button", { name: /Step report/ }));
    expect(onSelect).toHaveBeenLastCalledWith("report");
    const fetch = screen.getByRole("button", { name: /Step fetch/ });
    expect(fetch.getAttribute("tabindex")).toBe("0");
    expect(fetch.getAttribute("aria-pressed")).toBe("true");
    // One tab stop for the whole graph: the other nodes are reached with the arrows.
    expect(screen.getByRole("button", { name: /Step report/ }).getAttribute("tabindex")).toBe("-1");
    fireEvent.keyDown(fetch, { key: "ArrowRight" });
    expect(onSelect).toHaveBeenLastCalledWith("report");
    fireEvent.keyDown(fetch, { key: "Enter" });
    expect(onSelect).toHaveBeenLastCalledWith("fetch");
  });

  it("zooms with its buttons and the wheel, pans by dragging, and fits back", () => {
    render(<GraphView graph={threeNodes()} selectedId={undefined} onSelect={() => {}} />);
    const before = layer().getAttribute("transform")!;
    fireEvent.click(screen.getByRole("button", { name: "Zoom in" }));
    const zoomed = layer().getAttribute("transform")!;
    expect(zoomed).not.toBe(before);
    expect(screen.getByTestId("zoom").textContent).toBe("125%");
    fireEvent.click(screen.getByRole("button", { name: "Zoom out" }));
    expect(screen.getByTestId("zoom").textContent).toBe("100%");

    const canvas = screen.getByRole("group", { name: /Task graph/ });
    fireEvent.wheel(canvas, { deltaY: -200, clientX: 0, clientY: 0 });
    expect(Number.parseInt(screen.getByTestId("zoom").textContent!, 10)).toBeGreaterThan(100);

    const start = layer().getAttribute("transform")!;
    fireEvent.pointerDown(canvas, { button: 0, clientX: 100, clientY: 100, pointerId: 1 });
    fireEvent.pointerMove(canvas, { clientX: 160, clientY: 130, pointerId: 1 });
    fireEvent.pointerUp(canvas, { clientX: 160, clientY: 130, pointerId: 1 });
    const [sx, sy] = start
      .match(/translate\(([-\d.e]+),([-\d.e]+)\)/)!
      .slice(1)
      .map(Number);
    const [ex, ey] = layer()
      .getAttribute("transform")!
      .match(/translate\(([-\d.e]+),([-\d.e]+)\)/)!
      .slice(1)
      .map(Number);
    expect(ex! - sx!).toBeCloseTo(60);
    expect(ey! - sy!).toBeCloseTo(30);

    fireEvent.click(screen.getByRole("button", { name: "Fit" }));
    expect(layer().getAttribute("transform")).toBe(before);
  });

  it("keeps 200 nodes' elements in place while panning and zooming (only the layer's transform changes)", () => {
    const nodes = Array.from({ length: 200 }, (_, i) =>
      node(`n${i}`, (i % 20) * 310, Math.floor(i / 20) * 120, i > 0 ? { depends_on: [`n${i - 1}`] } : {}),
    );
    const { container } = render(
      <GraphView graph={graphOf(nodes)} selectedId={undefined} onSelect={() => {}} />,
    );
    expect(container.querySelectorAll("[data-node-id]")).toHaveLength(200);
    expect(container.querySelectorAll("[data-edge]")).toHaveLength(199);
    const first = container.querySelector('[data-node-id="n0"]');
    const canvas = screen.getByRole("group", { name: /Task graph, 200 nodes/ });
    for (let i = 0; i < 20; i++) {
      fireEvent.pointerDown(canvas, { button: 0, clientX: 0, clientY: 0, pointerId: 1 });
      fireEvent.pointerMove(canvas, { clientX: 30, clientY: 10, pointerId: 1 });
      fireEvent.pointerUp(canvas, { pointerId: 1 });
      fireEvent.wheel(canvas, { deltaY: i % 2 ? 100 : -100 });
    }
    // The same DOM nodes, untouched: pan and zoom do not re-render the graph.
    expect(container.querySelector('[data-node-id="n0"]')).toBe(first);
    expect(first!.getAttribute("transform")).toBe("translate(0,0)");
  });

  it("fits every node into the viewport without magnifying past 100 %", () => {
    const nodes = [node("a", 0, 0), node("b", 3000, 1000)];
    const t = fitTransform(nodes, 800, 400);
    expect(t.k).toBeLessThan(1);
    expect(0 * t.k + t.x).toBeGreaterThanOrEqual(0);
    expect((3000 + NODE_WIDTH) * t.k + t.x).toBeLessThanOrEqual(800);
    expect((1000 + NODE_HEIGHT) * t.k + t.y).toBeLessThanOrEqual(400);
    expect(fitTransform([node("a", 0, 0)], 800, 400).k).toBe(1);
  });

  it("finds the neighbour in each direction", () => {
    const g = threeNodes();
    const all = Object.values(g.nodes);
    expect(neighbour(all, g.nodes.fetch!, "right")?.id).toBe("report");
    expect(neighbour(all, g.nodes.report!, "down")?.id).toBe("purge");
    expect(neighbour(all, g.nodes.purge!, "up")?.id).toBe("report");
    expect(neighbour(all, g.nodes.fetch!, "left")).toBeUndefined();
  });
});
