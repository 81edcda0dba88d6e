import type { GraphState, NodeState, NodeStatus } from "@mcpdeck/sdk";
import type { Style } from "./style.js";

const ICONS: Record<NodeStatus, string> = {
  pending: "○",
  approved: "◎",
  running: "▶",
  awaiting_input: "?",
  succeeded: "✓",
  failed: "✗",
  rejected: "⊘",
  skipped: "↷",
  cancelled: "■",
};

export function statusIcon(status: NodeStatus, style: Style): string {
  const icon = ICONS[status];
  if (status === "succeeded") return style.green(icon);
  if (status === "failed") return style.red(icon);
  if (status === "running" || status === "awaiting_input") return style.cyan(icon);
  if (status === "pending" || status === "approved") return icon;
  return style.dim(icon);
}

/** `[######----]  60%`, or the count so far when the total is unknown. */
export function progressBar(progress: { current: number; total?: number | undefined }, width = 20): string {
  if (!progress.total || progress.total <= 0) return `(${progress.current})`;
  const share = Math.max(0, Math.min(1, progress.current / progress.total));
  const filled = Math.round(share * width);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${String(Math.round(share * 100)).padStart(3)}%`;
}

const oneLine = (text: string) => text.replace(/\s+/g, " ").trim();

/**
 * A step's new status as a line of its own (where nothing is redrawn): its icon, id and status, and
 * its error or, once it succeeded, its result (cut to `maxDetail` characters).
 */
export function stepLine(node: NodeState, style: Style, maxDetail?: number): string {
  const detail = node.error ?? (node.status === "succeeded" ? node.result_preview : undefined);
  return `  ${statusIcon(node.status, style)} ${node.id} ${node.status.replace("_", " ")}${detail ? style.dim(` — ${detail.replace(/\s+/g, " ").slice(0, maxDetail)}`) : ""}`;
}

function nodeLine(node: NodeState, style: Style, nameWidth: number, toolWidth: number): string {
  const parts = [
    statusIcon(node.status, style),
    style.bold(node.id.padEnd(nameWidth)),
    style.dim(node.tool.padEnd(toolWidth)),
    node.status.replace("_", " "),
  ];
  if (node.annotations?.destructive && (node.status === "pending" || node.status === "approved"))
    parts.push(style.yellow("(destructive)"));
  if (node.progress && (node.status === "running" || node.status === "awaiting_input"))
    parts.push(progressBar(node.progress));
  const detail = node.error ?? node.result_preview;
  if (detail && node.status !== "running") parts.push(style.dim(`— ${oneLine(detail)}`));
  return parts.join(" ");
}

/**
 * A graph as an indented tree: each node under the first step it depends on (other dependencies
 * named after it), with its status, progress bar, and result or error.
 */
export function renderGraph(graph: GraphState, style: Style): string[] {
  const ids = new Set(graph.nodes.map((n) => n.id));
  const parentOf = (node: NodeState) => node.depends_on?.find((d) => ids.has(d));
  const children = new Map<string | undefined, NodeState[]>();
  for (const node of graph.nodes) {
    const parent = parentOf(node);
    children.set(parent, [...(children.get(parent) ?? []), node]);
  }
  const nameWidth = Math.max(...graph.nodes.map((n) => n.id.length));
  const toolWidth = Math.max(...graph.nodes.map((n) => n.tool.length));
  const lines: string[] = [];
  const walk = (parent: string | undefined, indent: string) => {
    const siblings = children.get(parent) ?? [];
    siblings.forEach((node, i) => {
      const last = i === siblings.length - 1;
      const also = (node.depends_on ?? []).filter((d) => d !== parent);
      lines.push(
        `${indent}${last ? "└─" : "├─"} ${nodeLine(node, style, nameWidth, toolWidth)}${
          also.length ? style.dim(` (also after ${also.join(", ")})`) : ""
        }`,
      );
      walk(node.id, `${indent}${last ? "   " : "│  "}`);
    });
  };
  walk(undefined, "  ");
  return lines;
}

/**
 * Nodes in an order to approve them one by one: each before the steps it depends on, so nothing
 * starts — and no failure skips a dependent — until all of them are approved.
 */
export function dependentsFirst<T extends Pick<NodeState, "id" | "depends_on">>(nodes: T[]): T[] {
  const order: T[] = [];
  const placed = new Set<string>();
  while (order.length < nodes.length) {
    const before = order.length;
    for (const node of nodes) {
      if (placed.has(node.id)) continue;
      const waitedOn = nodes.some(
        (m) => !placed.has(m.id) && m.id !== node.id && (m.depends_on ?? []).includes(node.id),
      );
      if (!waitedOn) {
        order.push(node);
        placed.add(node.id);
      }
    }
    if (order.length === before) return [...order, ...nodes.filter((n) => !placed.has(n.id))];
  }
  return order;
}
