import {
  type KeyboardEvent,
  memo,
  type PointerEvent,
  useCallback,
  useEffect,
  useLayoutEffect,
  useRef,
  useState,
} from "react";
import type { GraphState, NodeView } from "./session-state.js";

/** The box each node is laid out as by the API (apps/api/src/sessions/layout.ts). */
export const NODE_WIDTH = 220;
export const NODE_HEIGHT = 80;
const MIN_ZOOM = 0.1;
const MAX_ZOOM = 3;
const FIT_PADDING = 24;

/** Each status in words and a glyph (never colour alone). */
export const STATUS_LOOK: Record<NodeView["status"], { glyph: string; label: string }> = {
  pending: { glyph: "○", label: "pending" },
  approved: { glyph: "◔", label: "approved" },
  running: { glyph: "◐", label: "running" },
  awaiting_input: { glyph: "?", label: "needs input" },
  succeeded: { glyph: "✓", label: "succeeded" },
  failed: { glyph: "✕", label: "failed" },
  rejected: { glyph: "⊘", label: "rejected" },
  skipped: { glyph: "↷", label: "skipped" },
  cancelled: { glyph: "■", label: "cancelled" },
};

export interface Transform {
  x: number;
  y: number;
  k: number;
}

const clampZoom = (k: number) => Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, k));

/** The transform that shows every node in a viewport of this size (never magnified past 1). */
export function fitTransform(nodes: readonly NodeView[], width: number, height: number): Transform {
  if (nodes.length === 0 || width <= 0 || height <= 0) return { x: FIT_PADDING, y: FIT_PADDING, k: 1 };
  let minX = Number.POSITIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  let maxX = Number.NEGATIVE_INFINITY;
  let maxY = Number.NEGATIVE_INFINITY;
  for (const n of nodes) {
    minX = Math.min(minX, n.position.x);
    minY = Math.min(minY, n.position.y);
    maxX = Math.max(maxX, n.position.x + NODE_WIDTH);
    maxY = Math.max(maxY, n.position.y + NODE_HEIGHT);
  }
  const k = clampZoom(
    Math.min(1, (width - 2 * FIT_PADDING) / (maxX - minX), (height - 2 * FIT_PADDING) / (maxY - minY)),
  );
  return {
    k,
    x: (width - (maxX - minX) * k) / 2 - minX * k,
    y: (height - (maxY - minY) * k) / 2 - minY * k,
  };
}

/** The node nearest to `from` in a direction (arrow-key navigation between nodes). */
export function neighbour(
  nodes: readonly NodeView[],
  from: NodeView,
  direction: "left" | "right" | "up" | "down",
): NodeView | undefined {
  let best: NodeView | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const n of nodes) {
    if (n.id === from.id) continue;
    const dx = n.position.x - from.position.x;
    const dy = n.position.y - from.position.y;
    const along = direction === "left" ? -dx : direction === "right" ? dx : direction === "up" ? -dy : dy;
    const across = direction === "left" || direction === "right" ? Math.abs(dy) : Math.abs(dx);
    if (along <= 0) continue;
    const score = along + 2 * across;
    if (score < bestScore) {
      bestScore = score;
      best = n;
    }
  }
  return best;
}

/** Cut at a word boundary, so every word shown is a word of the node's accessible name. */
function truncate(text: string, max: number) {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const space = cut.lastIndexOf(" ");
  return `${space > max / 2 ? cut.slice(0, space) : cut}…`;
}

export function progressFraction(node: NodeView): number | undefined {
  if (node.status === "succeeded") return 1;
  const p = node.progress;
  if (!p?.total || p.total <= 0) return undefined;
  return Math.max(0, Math.min(1, p.current / p.total));
}

const GraphNode = memo(function GraphNode(props: {
  node: NodeView;
  selected: boolean;
  focusable: boolean;
  onSelect(id: string): void;
  onKey(event: KeyboardEvent<SVGGElement>, node: NodeView): void;
}) {
  const { node, selected } = props;
  const look = STATUS_LOOK[node.status];
  const fraction = progressFraction(node);
  const destructive = node.annotations?.destructive === true;
  const progressText = node.progress
    ? `${node.progress.current}${node.progress.total ? ` of ${node.progress.total}` : ""}`
    : "";
  return (
    // biome-ignore lint/a11y/useSemanticElements: an SVG group cannot be a <button>; it behaves as one.
    <g
      className={`node status-${node.status}${selected ? " selected" : ""}${destructive ? " destructive" : ""}`}
      transform={`translate(${node.position.x},${node.position.y})`}
      role="button"
      tabIndex={props.focusable ? 0 : -1}
      aria-pressed={selected}
      data-node-id={node.id}
      onClick={() => props.onSelect(node.id)}
      onKeyDown={(event) => props.onKey(event, node)}
    >
      <rect className="node-box" width={NODE_WIDTH} height={NODE_HEIGHT} rx={4} />
      <text className="node-title" x={10} y={20}>
        {truncate(node.title || node.id, 27)}
      </text>
      <text className="node-tool" x={10} y={38}>
        {truncate(node.tool, 24)}
        {destructive ? (
          // biome-ignore lint/a11y/noAriaHiddenOnFocusable: a tspan is never focusable; the glyph repeats "DESTRUCTIVE".
          <tspan aria-hidden="true"> ⚠</tspan>
        ) : null}
      </text>
      <text className="node-status" x={10} y={58}>
        {/* biome-ignore lint/a11y/noAriaHiddenOnFocusable: a tspan is never focusable; the glyph repeats the word. */}
        <tspan aria-hidden="true">{look.glyph} </tspan>
        {look.label}
        {progressText ? ` ${progressText}` : ""}
      </text>
      {destructive ? (
        <text className="node-flag" x={NODE_WIDTH - 10} y={20} textAnchor="end">
          DESTRUCTIVE
        </text>
      ) : null}
      <rect className="node-progress-track" x={10} y={66} width={NODE_WIDTH - 20} height={5} />
      {fraction !== undefined ? (
        <rect
          className="node-progress"
          data-testid={`progress-${node.id}`}
          x={10}
          y={66}
          width={(NODE_WIDTH - 20) * fraction}
          height={5}
        />
      ) : node.status === "running" || node.status === "awaiting_input" ? (
        <rect
          className="node-progress indeterminate"
          x={10}
          y={66}
          width={(NODE_WIDTH - 20) / 4}
          height={5}
        />
      ) : null}
    </g>
  );
});

const Edges = memo(function Edges({ graph }: { graph: GraphState }) {
  const paths: Array<{ key: string; d: string; done: boolean }> = [];
  for (const id of graph.order) {
    const node = graph.nodes[id]!;
    for (const depId of node.depends_on ?? []) {
      const dep = graph.nodes[depId];
      if (!dep) continue;
      const x1 = dep.position.x + NODE_WIDTH;
      const y1 = dep.position.y + NODE_HEIGHT / 2;
      const x2 = node.position.x;
      const y2 = node.position.y + NODE_HEIGHT / 2;
      const bend = Math.max(30, (x2 - x1) / 2);
      paths.push({
        key: `${depId}->${id}`,
        d: `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`,
        done: dep.status === "succeeded",
      });
    }
  }
  return (
    <g className="edges">
      {paths.map((p) => (
        <path
          key={p.key}
          data-edge={p.key}
          d={p.d}
          className={p.done ? "edge done" : "edge"}
          markerEnd="url(#arrow)"
        />
      ))}
    </g>
  );
});

/**
 * The task graph, drawn where the API laid it out, with dependency edges. Pans by dragging, zooms
 * with the wheel, the buttons or + / - / 0. The pan/zoom transform is written straight to the
 * SVG group (no React render per pointer move), and nodes are memoised, so large graphs stay smooth.
 */
export function GraphView(props: {
  graph: GraphState;
  selectedId: string | undefined;
  onSelect(id: string): void;
  /** Ask the view to fit (bumped by the `0` shortcut); the view also fits a new graph by itself. */
  fitSignal?: number;
  zoomSignal?: { n: number; factor: number };
}) {
  const { graph, selectedId, onSelect } = props;
  const svg = useRef<SVGSVGElement>(null);
  const layer = useRef<SVGGElement>(null);
  const transform = useRef<Transform>({ x: 0, y: 0, k: 1 });
  const drag = useRef<{ x: number; y: number; moved: boolean } | undefined>(undefined);
  const [zoomLabel, setZoomLabel] = useState(100);
  const nodes = graph.order.map((id) => graph.nodes[id]!);

  const apply = useCallback((next: Transform) => {
    transform.current = next;
    layer.current?.setAttribute("transform", `translate(${next.x},${next.y}) scale(${next.k})`);
    setZoomLabel(Math.round(next.k * 100));
  }, []);

  const fitToView = useCallback(() => {
    const box = svg.current?.getBoundingClientRect();
    apply(fitTransform(Object.values(graph.nodes), box?.width ?? 800, box?.height ?? 400));
  }, [apply, graph.nodes]);

  const zoomBy = useCallback(
    (factor: number, cx?: number, cy?: number) => {
      const box = svg.current?.getBoundingClientRect();
      const px = cx !== undefined && Number.isFinite(cx) ? cx : (box?.width ?? 0) / 2;
      const py = cy !== undefined && Number.isFinite(cy) ? cy : (box?.height ?? 0) / 2;
      const t = transform.current;
      const k = clampZoom(t.k * factor);
      apply({ k, x: px - ((px - t.x) * k) / t.k, y: py - ((py - t.y) * k) / t.k });
    },
    [apply],
  );

  // A new graph is fitted once; later updates of its nodes keep the person's view.
  // biome-ignore lint/correctness/useExhaustiveDependencies: refit only when the graph changes.
  useLayoutEffect(() => fitToView(), [graph.id]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the signal's number is the trigger.
  useEffect(() => {
    if (props.fitSignal) fitToView();
  }, [props.fitSignal]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the signal's number is the trigger.
  useEffect(() => {
    if (props.zoomSignal?.n) zoomBy(props.zoomSignal.factor);
  }, [props.zoomSignal?.n]);

  useEffect(() => {
    const el = svg.current;
    if (!el) return;
    // Non-passive, so the page does not scroll while zooming the graph.
    const onWheel = (event: WheelEvent) => {
      event.preventDefault();
      const box = el.getBoundingClientRect();
      zoomBy(Math.exp(-event.deltaY * 0.0015), event.clientX - box.left, event.clientY - box.top);
    };
    el.addEventListener("wheel", onWheel, { passive: false });
    return () => el.removeEventListener("wheel", onWheel);
  }, [zoomBy]);

  const onPointerDown = (event: PointerEvent<SVGSVGElement>) => {
    if (event.button !== 0) return;
    drag.current = { x: event.clientX, y: event.clientY, moved: false };
  };
  const onPointerMove = (event: PointerEvent<SVGSVGElement>) => {
    const d = drag.current;
    if (!d) return;
    const dx = event.clientX - d.x;
    const dy = event.clientY - d.y;
    if (!d.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
    if (!d.moved) svg.current?.setPointerCapture?.(event.pointerId);
    d.moved = true;
    d.x = event.clientX;
    d.y = event.clientY;
    const t = transform.current;
    apply({ ...t, x: t.x + dx, y: t.y + dy });
  };
  const onPointerUp = (event: PointerEvent<SVGSVGElement>) => {
    if (drag.current?.moved) svg.current?.releasePointerCapture?.(event.pointerId);
    drag.current = undefined;
  };

  const onNodeKey = useCallback(
    (event: KeyboardEvent<SVGGElement>, node: NodeView) => {
      const directions: Record<string, "left" | "right" | "up" | "down"> = {
        ArrowLeft: "left",
        ArrowRight: "right",
        ArrowUp: "up",
        ArrowDown: "down",
      };
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        onSelect(node.id);
        return;
      }
      const direction = directions[event.key];
      if (!direction) return;
      event.preventDefault();
      const next = neighbour(Object.values(graph.nodes), node, direction);
      if (!next) return;
      onSelect(next.id);
      svg.current?.querySelector<SVGGElement>(`[data-node-id="${next.id}"]`)?.focus();
    },
    [graph.nodes, onSelect],
  );

  const focusId = selectedId && graph.nodes[selectedId] ? selectedId : graph.order[0];
  return (
    <div className="graph">
      <div className="graph-tools" role="toolbar" aria-label="Graph view">
        <button type="button" className="small" onClick={() => zoomBy(1.25)} aria-label="Zoom in">
          +
        </button>
        <button type="button" className="small" onClick={() => zoomBy(0.8)} aria-label="Zoom out">
          −
        </button>
        <button type="button" className="small" onClick={fitToView}>
          Fit
        </button>
        <span className="muted" aria-live="off" data-testid="zoom">
          {zoomLabel}%
        </span>
      </div>
      {/* biome-ignore lint/a11y/useSemanticElements: a drawing cannot be a <fieldset>; it groups the node buttons. */}
      <svg
        ref={svg}
        className="graph-canvas"
        role="group"
        aria-label={`Task graph, ${nodes.length} node${nodes.length === 1 ? "" : "s"}; arrow keys move between nodes`}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={onPointerUp}
      >
        <defs>
          <marker
            id="arrow"
            viewBox="0 0 10 10"
            refX="9"
            refY="5"
            markerWidth="7"
            markerHeight="7"
            orient="auto"
          >
            <path d="M0,0 L10,5 L0,10 z" className="arrowhead" />
          </marker>
        </defs>
        <g ref={layer} data-testid="graph-layer">
          <Edges graph={graph} />
          {nodes.map((node) => (
            <GraphNode
              key={node.id}
              node={node}
              selected={node.id === selectedId}
              focusable={node.id === focusId}
              onSelect={onSelect}
              onKey={onNodeKey}
            />
          ))}
        </g>
      </svg>
    </div>
  );
}
