/**
 * Per-call hooks: what the caller of `callTool` (and `readResource`, `getPrompt`) hears about its
 * call while it runs, and how it answers what the server asks. One interface for both protocol eras.
 *
 * Attribution (which call a server message belongs to). The SDK's transports do not tell which
 * stream a message arrived on, so the connection's fetch does (attribution.ts): a call's requests
 * carry its mark, removed before they leave, and every message on the answer to them comes back
 * stamped with it.
 * - Progress: always attributed (the SDK matches the progress token of the request).
 * - Server-to-client input requests (elicitation, sampling):
 *   - modern era: they come back in the call's own result (`input_required`), so they always belong
 *     to the call that made the request;
 *   - legacy era, streamable HTTP: a server that relates the request to the call (as the SDKs do
 *     when a tool handler asks) sends it on the call's answer stream, so it reaches that call's
 *     hook. A task's requests arrive on the answer to its `tasks/result`, or carry the task id
 *     (`io.modelcontextprotocol/related-task`), and go to the call following that task;
 *   - legacy era, anything unrelated (sent on the standalone stream, or over the legacy HTTP+SSE
 *     transport where every message shares one stream): routed to the only call in flight on the
 *     connection that has an `onInputRequest` hook; when there is none or more than one, the
 *     server gets a JSON-RPC error saying mcpdeck cannot tell which call it is for.
 * - Log messages (`notifications/message`): attributed when they arrive on the call's answer
 *   (modern era: always, logs exist only inside requests; legacy streamable HTTP: when the server
 *   relates them to the request). Everything else goes to the connection's `log` event.
 */
import type {
  CreateMessageResult,
  ElicitRequestFormParams,
  LoggingLevel,
  ModelPreferences,
  SamplingMessage,
  TaskStatus,
} from "@modelcontextprotocol/client";

export type { LoggingLevel };

/** The restricted JSON Schema of a form (a flat object of primitive fields) a server asks to be filled in. */
export type FormSchema = ElicitRequestFormParams["requestedSchema"];

/** Something a server needs from the person (or, for sampling, the model) behind the call. */
export type InputRequest =
  | {
      kind: "form";
      message: string;
      schema: FormSchema;
      /** Set when the previous answer did not match the schema and the person is asked again. */
      invalidAnswer?: string;
    }
  | {
      /** Ask the person to open `url` themselves; mcpdeck never fetches it. */
      kind: "url";
      message: string;
      url: string;
      /** Legacy era only: the server's id for this elicitation. */
      elicitationId?: string;
    }
  | {
      kind: "sampling";
      messages: SamplingMessage[];
      systemPrompt?: string;
      maxTokens: number;
      modelPreferences?: ModelPreferences;
      temperature?: number;
      stopSequences?: string[];
    };

/** The model's answer to a sampling request (the MCP `CreateMessageResult`). */
export type SamplingAnswer = Pick<CreateMessageResult, "role" | "content" | "model" | "stopReason">;

export type InputAnswer =
  | {
      action: "accept" | "decline" | "cancel";
      /** Form answers only; validated against the requested schema before it is sent. */
      content?: Record<string, unknown>;
    }
  | { action: "accept"; sampling: SamplingAnswer };

export interface ProgressUpdate {
  progress: number;
  total?: number;
  message?: string;
}

export interface LogMessage {
  level: LoggingLevel;
  logger?: string;
  data: unknown;
}

export interface TaskStatusUpdate {
  taskId: string;
  status: TaskStatus;
  message?: string;
}

export interface CallHooks {
  /** Cancels the call: `notifications/cancelled` (legacy) or closing its stream (modern), and `tasks/cancel` for a task. */
  signal?: AbortSignal;
  /** Inactivity timeout; progress (and task status) resets it. Default: the server's timeout. */
  timeoutSec?: number;
  /** Upper bound on the whole call however much progress arrives. Default: none. */
  maxTotalTimeoutSec?: number;
  /** Log level asked of the server for this call (modern era: carried in the request). */
  logLevel?: LoggingLevel;
  onProgress?(update: ProgressUpdate): void;
  onLog?(message: LogMessage): void;
  /**
   * The server needs input. May take minutes (a person answers): the call's timeouts are paused
   * while it is pending. `signal` aborts when the call ends or the server withdraws the request.
   * Without this hook, input requests are refused with a clear error.
   */
  onInputRequest?(request: InputRequest, signal: AbortSignal): Promise<InputAnswer>;
  /** A tool run as a task reports its status here (legacy era experimental tasks). */
  onTaskStatus?(update: TaskStatusUpdate): void;
  /** Run a tool whose task support is "optional" as a task (tools that require it always are). */
  preferTask?: boolean;
}
