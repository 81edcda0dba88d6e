/**
 * The era-neutral tool contract. Every demo tool is ONE `DemoTool` value; `modernServer.ts` serves the
 * table to 2026-07-28 clients through `@modelcontextprotocol/server` 2.x and `legacyServer.ts` to
 * 2025-era clients (handshake, sessions, legacy SSE, experimental tasks) through the 1.x SDK.
 *
 * A tool that needs the person or the client's model returns `inputRequired({...})` (the 2.x builder,
 * plain data) and reads the answers from `call.inputResponses` when it is re-entered: on the modern era
 * the client fulfils the round itself; on the legacy era `legacyInputRounds.ts` turns each embedded
 * request into a real server-to-client request and re-enters the tool with the answers.
 */
import type {
  CallToolResult,
  ClientCapabilities,
  Icon,
  InputRequiredResult,
  LoggingLevel,
} from "@modelcontextprotocol/server";
import type * as z from "zod";
import type { DemoEnv } from "../env.js";

export type ToolResult = CallToolResult;
export type ToolOutcome = ToolResult | InputRequiredResult;

/** What a running tool can see and do, whichever era and SDK serves the call. */
export interface ToolCall {
  /** Aborts when the client cancels the call (or its task), or the server shuts down. */
  readonly signal: AbortSignal;
  readonly era: "modern" | "legacy";
  /** What the client declared it can do (per request on the modern era, at initialize on the legacy era). */
  readonly clientCapabilities: ClientCapabilities | undefined;
  /** Answers to the input requests of the previous round, keyed as the tool keyed its requests. */
  readonly inputResponses: Record<string, unknown> | undefined;
  /** The `requestState` the tool returned with its previous round (untrusted: it went through the client). */
  readonly requestState: string | undefined;
  /** `notifications/progress` for this call; a no-op when the client sent no progress token. */
  progress(progress: number, total: number | undefined, message: string): Promise<void>;
  /** `notifications/message` from this tool, filtered by the client's log level; never throws. */
  log(level: LoggingLevel, data: unknown): Promise<void>;
  /**
   * The out-of-band interaction behind the URL elicitation sent under `key` has finished: the legacy era
   * sends `notifications/elicitation/complete`; the 2026-07-28 revision removed it, so there it does nothing.
   */
  urlElicitationCompleted(key: string): Promise<void>;
}

export interface ToolAnnotationHints {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

export interface DemoTool<Shape extends z.ZodRawShape = z.ZodRawShape> {
  name: string;
  title: string;
  description: string;
  inputSchema: Shape;
  outputSchema?: z.ZodRawShape;
  /** Every hint is stated: clients decide about approval from them (the engine's "approve all" skips destructive tools). */
  annotations: ToolAnnotationHints;
  icon: Icon;
  /** Offered as a task where the era has tasks (2025-11-25 experimental tasks); a plain call elsewhere. */
  task?: { pollIntervalMs: number };
  run(args: z.output<z.ZodObject<Shape>>, call: ToolCall, env: DemoEnv): Promise<ToolOutcome>;
}

/** Keeps a tool's argument types while it is written, then stores it in the table's common type. */
export function defineTool<Shape extends z.ZodRawShape>(tool: DemoTool<Shape>): DemoTool {
  return tool as unknown as DemoTool;
}

/** A tool error result with a single text message. */
export function toolError(message: string): CallToolResult {
  return { isError: true, content: [{ type: "text", text: message }] };
}

/** Resolves after `ms`, or early (returning false) when the signal aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
