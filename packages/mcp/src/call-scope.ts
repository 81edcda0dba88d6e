/**
 * One running call (tool call, resource read, prompt get) and the connection's registry of them.
 *
 * The scope owns the call's clock instead of the SDK: an inactivity timeout that progress (and a
 * task's status) resets, an optional total bound, and pauses while a person answers an input
 * request, which the SDK's request timeout cannot do (a legacy-era `elicitation/create` arrives
 * while the `tools/call` is still pending, and its timer would keep running). The SDK gets the
 * scope's abort signal and no timeout of its own.
 *
 * The scope is also how server messages find their call: its requests carry its mark, and every
 * message on their answers comes back stamped with it (attribution.ts); handlers look the mark up
 * in the connection's `CallRouter`.
 */
import { performance } from "node:perf_hooks";
import { RELATED_TASK_META_KEY } from "@modelcontextprotocol/client";
import { CALL_MARK, callMarkOf } from "./attribution.js";
import { type ClassifyContext, classifyMcpError, McpConnectionError, timeoutMessage } from "./errors.js";
import type { CallHooks } from "./hooks.js";

let nextCallId = 1;

class TimedOut extends Error {
  constructor() {
    super("timed out");
    this.name = "TimeoutError";
  }
}

export class CallScope {
  readonly id = nextCallId++;
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private pauses = 0;
  /** Active (not paused) time used before the current active stretch began. */
  private usedMs = 0;
  private activeSince = performance.now();
  private readonly onCallerAbort: (() => void) | undefined;
  private timedOut = false;
  private ended = false;

  constructor(
    readonly hooks: CallHooks,
    private readonly timeoutSec: number,
    private readonly router: CallRouter,
  ) {
    const caller = hooks.signal;
    if (caller?.aborted) {
      this.controller.abort(caller.reason);
    } else if (caller) {
      this.onCallerAbort = () => this.controller.abort(caller.reason);
      caller.addEventListener("abort", this.onCallerAbort, { once: true });
    }
    this.arm();
    router.add(this);
  }

  /** Aborts when the caller cancels or the call times out. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The `_meta` that marks a request as this call's (merged over `meta`). */
  mark(meta?: Record<string, unknown>): Record<string, unknown> {
    return { ...meta, [CALL_MARK]: this.id };
  }

  /** Progress or a task status: the server is working, restart the inactivity timeout. */
  touch(): void {
    if (this.pauses === 0 && !this.controller.signal.aborted && !this.ended) this.arm();
  }

  /** Stops the clock while someone answers an input request; returns the function that restarts it. */
  pause(): () => void {
    if (this.pauses++ === 0) {
      clearTimeout(this.timer);
      this.usedMs += performance.now() - this.activeSince;
    }
    let resumed = false;
    return () => {
      if (resumed) return;
      resumed = true;
      if (--this.pauses === 0) {
        this.activeSince = performance.now();
        if (!this.controller.signal.aborted && !this.ended) this.arm();
      }
    };
  }

  private arm(): void {
    clearTimeout(this.timer);
    let wait = this.timeoutSec * 1000;
    const total = this.hooks.maxTotalTimeoutSec;
    if (total !== undefined) {
      wait = Math.min(wait, total * 1000 - this.usedMs - (performance.now() - this.activeSince));
    }
    this.timer = setTimeout(this.expire, Math.max(1, wait));
    this.timer.unref?.();
  }

  private readonly expire = () => {
    this.timedOut = true;
    this.controller.abort(new TimedOut());
  };

  /** What the caller gets when the call failed: its own abort, the timeout, or the classified error. */
  failure(error: unknown, ctx: ClassifyContext): Error {
    if (this.timedOut) {
      const sec =
        this.hooks.maxTotalTimeoutSec !== undefined
          ? Math.min(this.timeoutSec, this.hooks.maxTotalTimeoutSec)
          : this.timeoutSec;
      return new McpConnectionError("TIMEOUT", timeoutMessage(sec), { detail: "RequestTimeout" });
    }
    const caller = this.hooks.signal;
    if (caller?.aborted) {
      return caller.reason instanceof Error
        ? caller.reason
        : new DOMException("The operation was aborted.", "AbortError");
    }
    return classifyMcpError(error, { ...ctx, timeoutSec: this.timeoutSec });
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.timer);
    if (this.onCallerAbort) this.hooks.signal?.removeEventListener("abort", this.onCallerAbort);
    this.router.delete(this);
  }
}

function relatedTaskId(meta: unknown): string | undefined {
  if (typeof meta !== "object" || meta === null) return undefined;
  const related = (meta as Record<string, unknown>)[RELATED_TASK_META_KEY];
  const taskId = (related as { taskId?: unknown } | undefined)?.taskId;
  return typeof taskId === "string" ? taskId : undefined;
}

/** The calls running on one connection, and which one a server message belongs to. */
export class CallRouter {
  private readonly scopes = new Map<number, CallScope>();
  private readonly tasks = new Map<string, CallScope>();

  add(scope: CallScope): void {
    this.scopes.set(scope.id, scope);
  }

  delete(scope: CallScope): void {
    this.scopes.delete(scope.id);
    if (this.tasks.size > 0) for (const [taskId, s] of this.tasks) if (s === scope) this.tasks.delete(taskId);
  }

  /** Messages carrying this task id (`io.modelcontextprotocol/related-task`) belong to `scope`. */
  bindTask(taskId: string, scope: CallScope): void {
    this.tasks.set(taskId, scope);
  }

  /** The call following this task. */
  forTask(taskId: string): CallScope | undefined {
    return this.tasks.get(taskId);
  }

  /** The call whose answer (or task) carried this message, if any. */
  related(meta?: unknown): CallScope | undefined {
    const call = callMarkOf(meta);
    if (call !== undefined) return this.scopes.get(call);
    const taskId = relatedTaskId(meta);
    return taskId === undefined ? undefined : this.tasks.get(taskId);
  }

  /**
   * The call that should answer an input request: the related one, else the only call in flight
   * that can answer at all (so legacy HTTP+SSE servers, whose messages all share one stream, work
   * when one call asks at a time); undefined when nobody can tell.
   */
  answering(meta?: unknown): CallScope | undefined {
    const related = this.related(meta);
    if (related) return related;
    let only: CallScope | undefined;
    for (const scope of this.scopes.values()) {
      if (!scope.hooks.onInputRequest) continue;
      if (only) return undefined;
      only = scope;
    }
    return only;
  }
}
