import { GraphSpec } from "@mcpdeck/contracts";

/** What a line typed at the prompt asks for. Text not starting with `/` is a request for the planner. */
export type Command =
  | { kind: "help" }
  | { kind: "tools" }
  | { kind: "call"; tool: string; arguments: Record<string, unknown> }
  | { kind: "graph"; spec: GraphSpec }
  | { kind: "approve"; nodeId: string }
  | { kind: "approve_all" }
  | { kind: "reject"; nodeId: string }
  | { kind: "cancel" }
  | { kind: "new" }
  | { kind: "invalid"; message: string };

export const COMMAND_HELP: ReadonlyArray<[usage: string, what: string]> = [
  ["/help", "this list"],
  ["/tools", "the server's tools, with their arguments and annotations"],
  ["/call TOOL {json}", "propose a one-node graph calling TOOL with these arguments"],
  [
    "/graph {json}",
    'propose a whole graph: {"nodes": [{"id", "tool", "arguments", "depends_on", "title", "content"}]}',
  ],
  ["/approve NODE", "approve one node (it runs once its dependencies have succeeded)"],
  ["/approve all", "approve every pending node except destructive tools, which wait for one-by-one approval"],
  ["/reject NODE", "reject a node (its dependents are skipped)"],
  ["/cancel", "stop everything running and reject what has not started"],
  ["/new", "start a new conversation with this server"],
];

export const REFERENCE_HELP =
  "Arguments can use earlier results: {{node}} (structured content, or the text), {{node.text}}, " +
  "{{node.structured.path}} or {{node.path[0].field}}.";

const NODE_ID = /^[A-Za-z0-9_-]{1,64}$/;

function parseJsonObject(text: string, what: string): Record<string, unknown> | string {
  if (text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return `${what} must be JSON: ${error instanceof Error ? error.message : String(error)}.`;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value))
    return `${what} must be a JSON object.`;
  return value as Record<string, unknown>;
}

/** Parses a `/command`; returns undefined for plain text. */
export function parseCommand(line: string): Command | undefined {
  const text = line.trim();
  if (!text.startsWith("/")) return undefined;
  const space = text.search(/\s/);
  const name = (space === -1 ? text : text.slice(0, space)).toLowerCase();
  const rest = space === -1 ? "" : text.slice(space + 1).trim();
  switch (name) {
    case "/help":
    case "/?":
      return { kind: "help" };
    case "/tools":
      return { kind: "tools" };
    case "/new":
      return { kind: "new" };
    case "/cancel":
      return { kind: "cancel" };
    case "/call": {
      const match = /^(\S+)\s*([\s\S]*)$/.exec(rest);
      if (!match) return { kind: "invalid", message: "Usage: /call TOOL {json arguments}" };
      const args = parseJsonObject(match[2]!, "The arguments");
      if (typeof args === "string")
        return { kind: "invalid", message: `${args} Usage: /call TOOL {json arguments}` };
      return { kind: "call", tool: match[1]!, arguments: args };
    }
    case "/graph": {
      const raw = parseJsonObject(rest, "The graph");
      if (typeof raw === "string")
        return { kind: "invalid", message: `${raw} Usage: /graph {"nodes": [...]}` };
      const parsed = GraphSpec.safeParse(raw);
      if (!parsed.success) {
        const issues = parsed.error.issues
          .slice(0, 8)
          .map((i) => `${i.path.length ? i.path.join(".") : "graph"}: ${i.message}`);
        return { kind: "invalid", message: `The graph is not valid — ${issues.join("; ")}.` };
      }
      return { kind: "graph", spec: parsed.data };
    }
    case "/approve":
      if (rest.toLowerCase() === "all") return { kind: "approve_all" };
      if (NODE_ID.test(rest)) return { kind: "approve", nodeId: rest };
      return { kind: "invalid", message: "Usage: /approve NODE or /approve all" };
    case "/reject":
      if (NODE_ID.test(rest)) return { kind: "reject", nodeId: rest };
      return { kind: "invalid", message: "Usage: /reject NODE" };
    default:
      return { kind: "invalid", message: `Unknown command ${name}. Type /help for the list.` };
  }
}
