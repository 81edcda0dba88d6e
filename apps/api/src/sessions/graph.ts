import type { GraphSpec, TaskNode } from "@mcpdeck/contracts";
import { effectiveAnnotations, type McpToolAnnotations } from "./annotations.js";
import { validateAgainstSchema } from "./json-schema.js";
import { layoutGraph } from "./layout.js";
import { findReferences } from "./references.js";

/** A tool of the server, as the engine and planners see it. */
export interface CatalogTool {
  name: string;
  title?: string;
  description?: string;
  inputSchema: Record<string, unknown>;
  annotations?: McpToolAnnotations;
}

export type GraphCheck = { ok: true; nodes: TaskNode[] } | { ok: false; problems: string[] };

const MAX_LISTED_TOOLS = 12;

function firstSentence(text: string | undefined): string {
  if (!text) return "";
  const line = text.trim().split("\n")[0] ?? "";
  const end = line.search(/[.!?](\s|$)/);
  return (end === -1 ? line : line.slice(0, end + 1)).slice(0, 400);
}

/** A cycle among `ids` (which are known to contain one), as `a → b → a`. */
function describeCycle(edges: Map<string, string[]>, ids: Set<string>): string {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  let cycle: string[] | undefined;
  const visit = (id: string): boolean => {
    state.set(id, "open");
    stack.push(id);
    for (const dep of edges.get(id) ?? []) {
      if (!ids.has(dep)) continue;
      if (state.get(dep) === "open") {
        cycle = [...stack.slice(stack.indexOf(dep)), dep];
        return true;
      }
      if (!state.has(dep) && visit(dep)) return true;
    }
    stack.pop();
    state.set(id, "done");
    return false;
  };
  for (const id of ids) if (!state.has(id) && visit(id)) break;
  // Edges point from a node to what it depends on; show the flow of work instead.
  return (cycle ?? [...ids]).reverse().join(" → ");
}

/**
 * Checks a proposed graph before anyone sees it — from `/graph`, `/call` or a planner alike: unique
 * node ids, dependencies that exist, no cycle, tools the server offers, arguments valid against each
 * tool's input schema (values holding a result reference are checked once resolved, at run time).
 * A node that references another node's result depends on it. Valid graphs come back laid out, every
 * node pending, with its tool's annotations.
 */
export function checkGraph(spec: GraphSpec, tools: readonly CatalogTool[]): GraphCheck {
  const problems: string[] = [];
  const byName = new Map(tools.map((t) => [t.name, t]));
  const ids = new Set<string>();
  for (const node of spec.nodes) {
    if (ids.has(node.id)) problems.push(`Node ids must be unique: "${node.id}" is used more than once.`);
    ids.add(node.id);
  }

  const edges = new Map<string, string[]>();
  for (const node of spec.nodes) {
    const deps = new Set<string>();
    for (const dep of node.depends_on) {
      if (dep === node.id) problems.push(`Node "${node.id}" depends on itself.`);
      else if (!ids.has(dep))
        problems.push(`Node "${node.id}" depends on "${dep}", which is not in the graph.`);
      else deps.add(dep);
    }
    for (const ref of findReferences(node.arguments)) {
      if (ref.nodeId === node.id) problems.push(`Node "${node.id}" references its own result (${ref.raw}).`);
      else if (!ids.has(ref.nodeId))
        problems.push(`Node "${node.id}" references ${ref.raw}, but there is no node "${ref.nodeId}".`);
      else deps.add(ref.nodeId);
    }
    edges.set(node.id, [...deps]);
  }

  // Kahn's algorithm: whatever cannot be ordered sits on (or behind) a cycle.
  const remaining = new Map([...edges].map(([id, deps]) => [id, deps.length]));
  const dependents = new Map<string, string[]>();
  for (const [id, deps] of edges)
    for (const dep of deps) dependents.set(dep, [...(dependents.get(dep) ?? []), id]);
  const ready = [...remaining].filter(([, n]) => n === 0).map(([id]) => id);
  while (ready.length > 0) {
    const id = ready.pop()!;
    remaining.delete(id);
    for (const next of dependents.get(id) ?? []) {
      const n = remaining.get(next)! - 1;
      remaining.set(next, n);
      if (n === 0) ready.push(next);
    }
  }
  if (remaining.size > 0)
    problems.push(`The graph has a cycle: ${describeCycle(edges, new Set(remaining.keys()))}.`);

  for (const node of spec.nodes) {
    const tool = byName.get(node.tool);
    if (!tool) {
      const names = tools.map((t) => t.name);
      const offered =
        names.length === 0
          ? "it offers no tools"
          : `it offers: ${names.slice(0, MAX_LISTED_TOOLS).join(", ")}${names.length > MAX_LISTED_TOOLS ? ", …" : ""}`;
      problems.push(
        `Node "${node.id}" uses tool "${node.tool}", which this server does not offer (${offered}).`,
      );
      continue;
    }
    const referenced = new Set(
      Object.entries(node.arguments)
        .filter(([, value]) => findReferences(value).length > 0)
        .map(([key]) => key),
    );
    for (const issue of validateAgainstSchema(tool.inputSchema, node.arguments)) {
      if (referenced.has(issue.path.split(".")[0]!)) continue;
      const where = issue.path ? `arguments.${issue.path}` : "arguments";
      problems.push(`Node "${node.id}" (${node.tool}): ${where} ${issue.message}.`);
    }
  }
  if (problems.length > 0) return { ok: false, problems };

  const positions = layoutGraph(spec.nodes.map((n) => ({ id: n.id, depends_on: edges.get(n.id)! })));
  return {
    ok: true,
    nodes: spec.nodes.map((node) => {
      const tool = byName.get(node.tool)!;
      const deps = edges.get(node.id)!;
      return {
        id: node.id,
        title: node.title ?? tool.title ?? tool.annotations?.title ?? node.tool,
        content: node.content ?? firstSentence(tool.description),
        status: "pending" as const,
        position: positions.get(node.id)!,
        ...(deps.length > 0 ? { depends_on: deps } : {}),
        tool: node.tool,
        arguments: node.arguments,
        annotations: effectiveAnnotations(tool.annotations),
      };
    }),
  };
}
