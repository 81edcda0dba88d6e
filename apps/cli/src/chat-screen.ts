import {
  type GraphState,
  graphDone,
  type McpServer,
  type SessionEvent,
  type SessionView,
} from "@mcpdeck/sdk";
import { formatSize } from "./artifacts.js";
import { renderGraph, stepLine } from "./graph-tree.js";
import type { Terminal } from "./terminal.js";

/**
 * Draws a conversation's events: messages and logs as lines, graphs as trees. At a terminal the
 * graphs still running live in the region above the prompt, redrawn as statuses and progress change,
 * and are printed for good once every step has ended; elsewhere each change is a line of its own.
 */
export class ChatScreen {
  readonly #term: Terminal;
  readonly #view: SessionView;
  readonly #server: Pick<McpServer, "name">;
  /** Lines this client sent: their echo (the USER message) is not printed again. */
  readonly #echoes: string[] = [];
  readonly #finished = new Set<string>();
  #online: string | undefined;

  constructor(term: Terminal, view: SessionView, server: Pick<McpServer, "name">) {
    this.#term = term;
    this.#view = view;
    this.#server = server;
  }

  sent(text: string) {
    this.#echoes.push(text);
  }

  unsent(text: string) {
    const i = this.#echoes.indexOf(text);
    if (i >= 0) this.#echoes.splice(i, 1);
  }

  graphHeader(graph: GraphState): string {
    const n = graph.nodes.length;
    return this.#term.style.bold(`Plan · ${n} step${n === 1 ? "" : "s"} · graph …${graph.id.slice(-6)}`);
  }

  show(event: SessionEvent) {
    const term = this.#term;
    const { style } = term;
    // The live region first: lines printed below are drawn above the region as it now is.
    this.#drawLive();
    switch (event.type) {
      case "connection_status": {
        const { status, latency, model, memory } = event.payload;
        if (status === this.#online) break;
        this.#online = status;
        term.print(
          style.dim(
            `${this.#server.name}: ${status}${latency !== null ? ` · ${latency} ms` : ""} · planner ${model} · memory ${memory.used}/${memory.total} tokens`,
          ),
        );
        break;
      }
      case "chat_message": {
        const { sender, text } = event.payload;
        if (sender === "USER") {
          if (this.#echoes[0] === text) {
            this.#echoes.shift();
            break;
          }
          term.print(style.dim(`> ${text}`));
        } else if (sender === "AGENT") term.print(`${style.blue("agent:")} ${text}`);
        else term.print(style.yellow(text));
        break;
      }
      case "task_graph_proposal": {
        const graph = this.#view.graphs.get(event.payload.graph_id);
        if (graph && !term.interactive)
          term.print([this.graphHeader(graph), ...renderGraph(graph, style)].join("\n"));
        break;
      }
      case "task_update": {
        const graph = this.#view.graphs.get(event.payload.graph_id);
        const node = graph?.nodes.find((n) => n.id === event.payload.node_id);
        if (!graph || !node) break;
        if (!term.interactive && !event.payload.progress) term.print(stepLine(node, style));
        if (graphDone(graph) && !this.#finished.has(graph.id)) {
          this.#finished.add(graph.id);
          term.print([this.graphHeader(graph), ...renderGraph(graph, style)].join("\n"));
        }
        break;
      }
      case "log_entry":
        if (event.payload.level !== "debug") {
          const where = event.payload.node_id ? `${event.payload.node_id}: ` : "";
          const line = `  · ${where}${event.payload.message}`;
          term.print(event.payload.level === "error" ? style.red(line) : style.dim(line));
        }
        break;
      case "artifact_generated": {
        const { name, content_type, size } = event.payload;
        const n = this.#view.artifacts.length;
        term.print(
          `  ${style.green("⤓")} artifact ${n}: ${name} (${content_type}, ${formatSize(size)}) — /save ${n} to download`,
        );
        break;
      }
      case "input_resolved":
        if (event.payload.action === "expired")
          term.print(style.yellow("  The input request expired unanswered."));
        break;
      case "error":
        term.print(`${style.red("error:")} ${event.payload.message} ${style.dim(`(${event.payload.code})`)}`);
        break;
      case "session_started":
        this.#finished.clear();
        this.#echoes.length = 0;
        this.#online = undefined;
        term.print(style.bold(`── new conversation: ${event.payload.title || "untitled"} ──`));
        break;
      case "chat_partial":
      case "input_request":
        break;
    }
  }

  /** The live region: graphs not finished, and a reply being written. */
  #drawLive() {
    const { style } = this.#term;
    const lines: string[] = [];
    for (const graph of this.#view.graphs.values()) {
      if (graphDone(graph)) continue;
      lines.push(this.graphHeader(graph), ...renderGraph(graph, style));
    }
    for (const text of this.#view.partials.values()) {
      const tail = text.split("\n").slice(-3);
      lines.push(`${style.blue("agent:")} ${tail.join(" ")}`);
    }
    this.#term.setLive(lines);
  }
}
