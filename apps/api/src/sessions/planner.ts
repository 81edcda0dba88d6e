import type { GraphSpec } from "@mcpdeck/contracts";
import type { CatalogTool } from "./graph.js";

/** One turn of the conversation as a planner reads it. */
export interface ChatTurn {
  sender: "USER" | "AGENT" | "SYSTEM";
  text: string;
}

export interface PlanRequest {
  /** What the person just typed. */
  request: string;
  /** The conversation so far (oldest first), without `request`. */
  conversation: readonly ChatTurn[];
  tools: readonly CatalogTool[];
  signal: AbortSignal;
  /** Streams the reply as it is written (planners that can). */
  onText?: (partial: string) => void;
}

/** A planner answers with words, or with a graph of the server's tools (and words to introduce it). */
export type PlanAnswer = { kind: "reply"; text: string } | { kind: "graph"; spec: GraphSpec; text?: string };

/** What ran, for the end-of-graph summary. */
export interface GraphOutcome {
  nodes: ReadonlyArray<{
    id: string;
    title: string;
    tool: string;
    status: string;
    error?: string | undefined;
    resultPreview?: string | undefined;
  }>;
  artifacts: ReadonlyArray<{ name: string; contentType: string; size: number; nodeId?: string | undefined }>;
}

/**
 * Turns plain requests into answers or task graphs. The engine validates every graph a planner
 * proposes exactly as it validates `/graph`, so a planner can never run anything by itself.
 */
export interface Planner {
  /** Named honestly in `connection_status.model`: `builtin` without an LLM. */
  readonly name: string;
  /** The model's context budget in tokens (`memory.total`). */
  readonly contextTokens: number;
  plan(request: PlanRequest): Promise<PlanAnswer>;
  /** Writes the end-of-graph summary; the engine's own digest is used when absent or failing. */
  summarize?(outcome: GraphOutcome, signal: AbortSignal): Promise<string>;
}

/** Rough token count (≈4 characters a token) where a planner does not count for itself. */
export const estimateTokens = (text: string) => Math.ceil(text.length / 4);

/** Until a planner is configured: plain text is answered with a pointer to the commands. */
export const commandsOnlyPlanner: Planner = {
  name: "none",
  contextTokens: 0,
  async plan() {
    return {
      kind: "reply",
      text: "No planner is configured, so plain requests cannot be turned into plans yet. Use /call TOOL {json} or /graph {json}; /help lists every command.",
    };
  },
};
