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

/** What any answer may add: a note for the person, who really planned it, what the model counted. */
interface PlanAnswerExtras {
  /** Shown first as a SYSTEM message (e.g. "the model failed, the built-in planner answered"). */
  notice?: string;
  /** Who planned it, when not the planner itself (its fallback); names the proposal's source. */
  plannedBy?: string;
  /** The conversation's size in tokens after this answer, as the model counted it. */
  contextTokens?: number;
}

/** A planner answers with words, or with a graph of the server's tools (and words to introduce it). */
export type PlanAnswer =
  | ({ kind: "reply"; text: string } & PlanAnswerExtras)
  | ({ kind: "graph"; spec: GraphSpec; text?: string } & PlanAnswerExtras);

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
