import { Graph, layout } from "@dagrejs/dagre";

/** Size of a node as the clients draw it; the layout keeps this much room around each node. */
export const NODE_WIDTH = 220;
export const NODE_HEIGHT = 80;

export interface LayoutNode {
  id: string;
  depends_on: readonly string[];
}

/**
 * Positions for a task graph: a layered DAG layout (dagre) with dependencies flowing left to right
 * and no overlaps. Positions are the top-left corners of `NODE_WIDTH × NODE_HEIGHT` boxes, in whole
 * pixels, with the graph's top-left at (0, 0).
 */
export function layoutGraph(nodes: readonly LayoutNode[]): Map<string, { x: number; y: number }> {
  const g = new Graph();
  g.setGraph({ rankdir: "LR", nodesep: 40, ranksep: 90, marginx: 0, marginy: 0 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const node of nodes) g.setNode(node.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const node of nodes) for (const dep of node.depends_on) g.setEdge(dep, node.id);
  layout(g);
  const positions = new Map<string, { x: number; y: number }>();
  for (const node of nodes) {
    const { x, y } = g.node(node.id) as { x: number; y: number };
    positions.set(node.id, { x: Math.round(x - NODE_WIDTH / 2), y: Math.round(y - NODE_HEIGHT / 2) });
  }
  return positions;
}
