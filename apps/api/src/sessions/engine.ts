import type { GraphSpec, InputAction, NodeAnnotations, NodeStatus, TaskNode } from "@mcpdeck/contracts";
import {
  chatSessions,
  type Database,
  type DbHandle,
  inputRequests,
  mcpServers,
  newId,
  sessionEvents,
  taskGraphs,
  taskNodes,
  withTransaction,
} from "@mcpdeck/db";
import { and, asc, desc, eq, getTableColumns, inArray, isNull, lt, type SQL, sql } from "drizzle-orm";
import type { z } from "zod";
import type { ArtifactService } from "../artifacts/service.js";
import type { Clock } from "../clock.js";
import { AppError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { ToolCallOutcome } from "../metrics.js";
import type { ServerRow } from "../servers/service.js";
import { COMMAND_HELP, parseCommand, REFERENCE_HELP } from "./commands.js";
import type { EventLog, NewSessionEvent } from "./events.js";
import { type CatalogTool, checkGraph } from "./graph.js";
import { validateAgainstSchema } from "./json-schema.js";
import { type ChatTurn, estimateTokens, type GraphOutcome, type Planner } from "./planner.js";
import {
  hasReference,
  type ReferencedResult,
  resolveReferences,
  UnresolvedReferenceError,
} from "./references.js";
import { captureResult } from "./results.js";
import { storable, storableText } from "./storable.js";
import type { SessionRow, SessionStore } from "./store.js";
import { digestGraph } from "./summary.js";
import type {
  InputAnswer,
  InputRequest,
  ServerOwner,
  ServerTarget,
  ToolAccess,
  ToolResult,
} from "./tools.js";

export type NodeRow = typeof taskNodes.$inferSelect;
type InputRow = typeof inputRequests.$inferSelect;

export interface EngineConfig {
  /** A running node's lease: renewed while its process lives; expired means the process died. */
  leaseSec: number;
  /** How long an input request waits for the person before the call goes on with `cancel`. */
  inputTimeoutSec: number;
  /** Calls running at once per session, and per process. */
  sessionConcurrency: number;
  processConcurrency: number;
}

/**
 * Who is acting, on which conversation. The transports check ownership before calling the engine —
 * except for `approve` and `reject`, whose lookup of the node checks it in the same query.
 */
export interface Actor extends ServerOwner {
  sessionId: string;
}

export interface NodeRef {
  node_id: string;
  graph_id?: string | undefined;
}

/** Answers an approved sampling request with the configured model. */
export interface Sampler {
  readonly model: string;
  sample(
    request: Extract<InputRequest, { kind: "sampling" }>,
    signal: AbortSignal,
  ): Promise<{ model: string; text: string }>;
}

const TERMINAL = new Set<NodeStatus>(["succeeded", "failed", "rejected", "skipped", "cancelled"]);
const DEAD_ENDS = new Set<NodeStatus>(["failed", "rejected", "skipped", "cancelled"]);
const COMMANDS_CHANNEL = "engine_commands";
const INTERRUPTED =
  "Interrupted: the process running this call stopped before it finished. It was not retried, because the tool may already have acted.";
const CONVERSATION_TURNS = 50;

type Command = { t: "cancel"; k: string } | { t: "input"; k: string; r: string } | { t: "kick"; g: string };
/** Why a stopping process aborts the calls still running at the end of its grace period. */
const STOPPING = new Error("the process is stopping");

interface LocalRun {
  sessionId: string;
  controller: AbortController;
  inputs: Map<string, (answer: InputAnswer) => void>;
}

const keyOf = (graphId: string, nodeId: string) => `${graphId}/${nodeId}`;

/**
 * Resolves once the event loop has polled for I/O again. Work that follows a call's outcome (moving
 * the graph on, the summary) waits for it: with PGlite every query runs on this thread, so a chain
 * of them would hold back socket reads and writes — the outcome's event reaching a client among
 * them — until it ends.
 */
const pendingIoFirst = () => new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

export function toTaskNode(row: NodeRow): TaskNode {
  return {
    id: row.nodeId,
    title: row.title,
    content: row.content,
    status: row.status,
    position: row.position,
    ...(row.dependsOn.length > 0 ? { depends_on: row.dependsOn } : {}),
    tool: row.tool,
    arguments: row.arguments as Record<string, unknown>,
    annotations: row.annotations as NodeAnnotations,
  };
}

/**
 * The task-graph engine. Every state change is a conditional update of the node's row and the event
 * announcing it, in one transaction: whichever process wins the update owns the change, so a node is
 * approved, claimed and finished exactly once however many processes and tabs act on it. Running a
 * node belongs to the process that claimed it; cancellations and input answers reach that process
 * through `engine_commands` notifications.
 */
export function createSessionEngine(deps: {
  db: Database;
  dbHandle: DbHandle;
  clock: Clock;
  log: Logger;
  events: EventLog;
  sessions: SessionStore;
  tools: ToolAccess;
  artifacts: ArtifactService;
  planner: Planner;
  sampler?: Sampler | undefined;
  config: EngineConfig;
  /** Told how each call this process ran ended (metrics). */
  onCallEnded?: (outcome: ToolCallOutcome, seconds: number) => void;
}) {
  const { db, dbHandle, clock, log, events, tools, config } = deps;
  const runnerId = newId();
  const local = new Map<string, LocalRun>();
  const sessionRunning = new Map<string, number>();
  let processRunning = 0;
  const waiting = new Set<string>();
  const timers: NodeJS.Timeout[] = [];
  let unlisten: (() => Promise<void>) | undefined;
  let stopped = false;
  /** Calls this process runs, until their outcome is stored and their graph moved on. */
  const executing = new Set<Promise<void>>();

  const now = () => clock.now();
  const iso = () => now().toISOString();
  const chat = (sender: "AGENT" | "USER" | "SYSTEM", text: string): NewSessionEvent => ({
    type: "chat_message",
    payload: { sender, text, timestamp: iso() },
  });
  const logEntry = (
    level: "debug" | "info" | "warn" | "error",
    message: string,
    nodeId?: string,
  ): NewSessionEvent => ({
    type: "log_entry",
    payload: { timestamp: iso(), level, message, ...(nodeId ? { node_id: nodeId } : {}) },
  });
  const taskUpdate = (
    row: NodeRow,
    extra: { progress?: { current: number; total?: number } } = {},
  ): NewSessionEvent => ({
    type: "task_update",
    payload: {
      graph_id: row.graphId,
      node_id: row.nodeId,
      status: row.status,
      ...(extra.progress ? { progress: extra.progress } : {}),
      ...(row.resultPreview ? { result_preview: row.resultPreview } : {}),
      ...(row.error ? { error: row.error } : {}),
      ...(row.startedAt ? { started_at: row.startedAt.toISOString() } : {}),
      ...(row.finishedAt ? { finished_at: row.finishedAt.toISOString() } : {}),
    },
  });

  const say = (sessionId: string, sender: "AGENT" | "SYSTEM", text: string) =>
    events.append(sessionId, [chat(sender, text)]);

  /**
   * Graphs this process proposed, as proposed (every node pending) — their plan never changes
   * after that, so an approval in this process need not read it back (see `approve`). Forgotten
   * when the graph ends, and the oldest first beyond a bound.
   */
  const proposals = new Map<string, Map<string, NodeRow>>();
  function remember(nodes: NodeRow[]) {
    const graphId = nodes[0]?.graphId;
    if (!graphId) return;
    proposals.set(graphId, new Map(nodes.map((n) => [n.nodeId, n])));
    if (proposals.size > 1_000) proposals.delete(proposals.keys().next().value!);
  }

  // ---- proposals -------------------------------------------------------------------------------

  async function listTools(actor: Actor): Promise<CatalogTool[] | undefined> {
    try {
      return await tools.listTools(actor);
    } catch (error) {
      await say(actor.sessionId, "SYSTEM", `Could not get the server's tools: ${messageOf(error)}`);
      return undefined;
    }
  }

  /** Validates a graph and, when it holds, records and shows it; an invalid plan is reported, never run. */
  async function propose(
    actor: Actor,
    spec: GraphSpec,
    source: string,
    intro?: string,
    streamId?: string,
  ): Promise<string | undefined> {
    const catalog = await listTools(actor);
    if (!catalog) return undefined;
    const check = checkGraph(spec, catalog);
    // A streamed intro is always completed, so the partial text a client shows is replaced.
    const introChat = (): NewSessionEvent[] =>
      intro
        ? [
            {
              type: "chat_message",
              payload: {
                sender: "AGENT",
                text: intro,
                timestamp: iso(),
                ...(streamId ? { stream_id: streamId } : {}),
              },
            },
          ]
        : [];
    if (!check.ok) {
      await events.append(actor.sessionId, [
        ...(streamId ? introChat() : []),
        chat(
          "SYSTEM",
          `The plan was not accepted, so nothing will run:\n${check.problems.map((p) => `- ${p}`).join("\n")}`,
        ),
      ]);
      return undefined;
    }
    const graphId = newId();
    const proposed = await withTransaction(db, async (tx) => {
      await tx
        .insert(taskGraphs)
        .values({ id: graphId, sessionId: actor.sessionId, source, createdAt: now() });
      const rows = await tx
        .insert(taskNodes)
        .values(
          check.nodes.map((node, ordinal) => ({
            graphId,
            nodeId: node.id,
            sessionId: actor.sessionId,
            ordinal,
            title: node.title,
            content: node.content,
            tool: node.tool,
            arguments: node.arguments,
            dependsOn: node.depends_on ?? [],
            position: node.position,
            annotations: node.annotations!,
            status: "pending" as const,
          })),
        )
        .returning();
      const destructive = check.nodes.filter((n) => n.annotations?.destructive).map((n) => n.id);
      await events.append(
        actor.sessionId,
        [
          ...introChat(),
          { type: "task_graph_proposal", payload: { graph_id: graphId, nodes: check.nodes } },
          logEntry(
            "info",
            `Proposed ${check.nodes.length} step${check.nodes.length === 1 ? "" : "s"} (${source}); nothing runs until approved.${
              destructive.length ? ` Destructive: ${destructive.join(", ")}.` : ""
            }`,
          ),
        ],
        tx,
      );
      return rows;
    });
    remember(proposed);
    return graphId;
  }

  // ---- approvals -------------------------------------------------------------------------------

  /**
   * The node a person names and the rest of its graph, in one statement that also checks the
   * conversation is the actor's (as `SessionService.open` does: nothing is found otherwise). Of the
   * nodes with that id, the newest graph's that has not ended, else the newest.
   */
  async function lookUp(actor: Actor, ref: NodeRef): Promise<{ node: NodeRow; graph: NodeRow[] }> {
    const newest = db
      .select({ graphId: taskNodes.graphId })
      .from(taskNodes)
      .innerJoin(taskGraphs, eq(taskGraphs.id, taskNodes.graphId))
      .where(
        and(
          eq(taskNodes.sessionId, actor.sessionId),
          eq(taskNodes.nodeId, ref.node_id),
          ref.graph_id ? eq(taskNodes.graphId, ref.graph_id) : undefined,
        ),
      )
      .orderBy(inArray(taskNodes.status, [...TERMINAL]), desc(taskGraphs.createdAt))
      .limit(1);
    const rows = await db
      .select({ node: taskNodes })
      .from(taskNodes)
      .innerJoin(chatSessions, eq(chatSessions.id, taskNodes.sessionId))
      .where(
        and(
          eq(taskNodes.graphId, sql`(${newest})`),
          eq(chatSessions.id, actor.sessionId),
          eq(chatSessions.userId, actor.userId),
          eq(chatSessions.serverId, actor.serverId),
        ),
      );
    const node = rows.find((r) => r.node.nodeId === ref.node_id)?.node;
    if (!node) throw new AppError("NOT_FOUND", `There is no node "${ref.node_id}" in this conversation.`);
    return { node, graph: rows.map((r) => r.node) };
  }

  /**
   * Moves the nodes (of one graph) that are still in one of `from` to `set`, announcing each moved
   * node with `announce` — one statement, so a change and its events commit together. The events
   * are built beforehand from the rows as read plus `set`: whatever a transition does not set (the
   * plan, the start of a run) is only ever written by the one before it, so the rows as read are
   * what the nodes hold. Answers the moved nodes as they are now.
   */
  async function transition(
    nodes: readonly NodeRow[],
    from: NodeStatus[],
    set: Partial<typeof taskNodes.$inferInsert> & { status: NodeStatus },
    announce: (row: NodeRow) => NewSessionEvent[] = (row) => [taskUpdate(row)],
  ): Promise<NodeRow[]> {
    const first = nodes[0];
    if (!first) return [];
    const after = nodes.map((node) => ({ ...node, ...set }) as NodeRow);
    const change = db
      .update(taskNodes)
      .set(set)
      .where(
        and(
          eq(taskNodes.graphId, first.graphId),
          inArray(
            taskNodes.nodeId,
            nodes.map((n) => n.nodeId),
          ),
          inArray(taskNodes.status, from),
        ),
      )
      .returning({ nodeId: taskNodes.nodeId });
    const moved = await events.appendWithChange(
      first.sessionId,
      after.flatMap((row) => announce(row).map((event) => ({ node: row.nodeId, event }))),
      change,
    );
    const ids = new Set(moved.map((m) => m.nodeId));
    return after.filter((row) => ids.has(row.nodeId));
  }

  /** What a claim sets: this process runs the call, under a lease it renews while it lives. */
  const claimedAt = (at: Date) =>
    ({
      status: "running",
      startedAt: at,
      runnerId,
      leaseUntil: new Date(at.getTime() + config.leaseSec * 1000),
    }) as const;
  const announceStart = (row: NodeRow) => [
    taskUpdate(row),
    logEntry("info", `Calling ${row.tool}.`, row.nodeId),
  ];

  /** Why a node the person named cannot be approved: it is not pending (any more). */
  const notPending = (node: NodeRow) =>
    new AppError(
      "CONFLICT",
      node.status === "pending"
        ? `Node "${node.nodeId}" was acted on a moment ago (in another tab?): only pending nodes can be approved.`
        : `Node "${node.nodeId}" is ${node.status.replace("_", " ")}: only pending nodes can be approved.`,
    );

  async function approve(actor: Actor, ref: NodeRef): Promise<void> {
    // A node of a graph this process proposed that depends on nothing: try one statement first.
    const proposed = ref.graph_id ? proposals.get(ref.graph_id)?.get(ref.node_id) : undefined;
    if (proposed?.sessionId === actor.sessionId && proposed.dependsOn.length === 0) {
      if (await approveAndStart(actor, proposed)) return;
    }
    const { node, graph } = await lookUp(actor, ref);
    if (node.status !== "pending") throw notPending(node);
    const ready = node.dependsOn.every((d) => graph.find((n) => n.nodeId === d)?.status === "succeeded");
    if (ready && (await approveAndStart(actor, node))) return;
    const [approved] = await transition([node], ["pending"], { status: "approved", approvedAt: now() });
    if (!approved) throw notPending(node);
    await kick(node.graphId);
  }

  /**
   * Approves a pending node whose dependencies all succeeded and starts it, when a slot is free: one
   * statement moves it from pending to running (if it is still pending and the conversation is the
   * actor's), announces both steps and reads the server the call goes to. False when it did not.
   */
  async function approveAndStart(actor: Actor, node: NodeRow): Promise<boolean> {
    if (!hasSlot(node.sessionId)) return false;
    takeSlot(node.sessionId);
    const at = now();
    const set = { ...claimedAt(at), approvedAt: at };
    const running = { ...node, ...set };
    const change = db
      .update(taskNodes)
      .set(set)
      .from(chatSessions)
      .innerJoin(
        mcpServers,
        and(eq(mcpServers.id, chatSessions.serverId), eq(mcpServers.userId, chatSessions.userId)),
      )
      .where(
        and(
          eq(taskNodes.graphId, node.graphId),
          eq(taskNodes.nodeId, node.nodeId),
          eq(taskNodes.status, "pending"),
          eq(chatSessions.id, taskNodes.sessionId),
          eq(chatSessions.id, actor.sessionId),
          eq(chatSessions.userId, actor.userId),
          eq(chatSessions.serverId, actor.serverId),
        ),
      )
      .returning({ nodeId: taskNodes.nodeId, server: getTableColumns(mcpServers) });
    const announced = [
      taskUpdate({ ...node, status: "approved", approvedAt: at }),
      ...announceStart(running),
    ].map((event) => ({ node: node.nodeId, event }));
    const [started] = await events
      .appendWithChange(node.sessionId, announced, change)
      .catch((error: unknown) => {
        releaseSlot(node.sessionId);
        throw error;
      });
    if (!started) {
      releaseSlot(node.sessionId);
      return false;
    }
    track(execute(running, started.server));
    return true;
  }

  async function approveAll(actor: Actor): Promise<void> {
    const pending = await db
      .select()
      .from(taskNodes)
      .where(and(eq(taskNodes.sessionId, actor.sessionId), eq(taskNodes.status, "pending")))
      .orderBy(asc(taskNodes.ordinal));
    if (pending.length === 0) {
      await say(actor.sessionId, "SYSTEM", "Nothing is waiting for approval.");
      return;
    }
    const destructive = pending.filter((n) => (n.annotations as NodeAnnotations).destructive);
    const safe = pending.filter((n) => !(n.annotations as NodeAnnotations).destructive);
    const approved: NodeRow[] = [];
    for (const graphId of new Set(safe.map((n) => n.graphId))) {
      approved.push(
        ...(await transition(
          safe.filter((n) => n.graphId === graphId),
          ["pending"],
          { status: "approved", approvedAt: now() },
        )),
      );
    }
    const parts: string[] = [];
    if (approved.length > 0)
      parts.push(`Approved ${approved.length}: ${approved.map((n) => n.nodeId).join(", ")}.`);
    if (destructive.length > 0) {
      parts.push(
        `Left for one-by-one approval because their tools are destructive: ${destructive
          .map((n) => `${n.nodeId} (${n.tool})`)
          .join(", ")}. Approve each with /approve NODE.`,
      );
    }
    await say(actor.sessionId, "SYSTEM", parts.join(" "));
    for (const graphId of new Set(approved.map((n) => n.graphId))) await kick(graphId);
  }

  async function requestCancel(row: NodeRow): Promise<void> {
    await dbHandle.notify(
      COMMANDS_CHANNEL,
      JSON.stringify({ t: "cancel", k: keyOf(row.graphId, row.nodeId) } satisfies Command),
    );
  }

  /** Rejects a node that has not started; a running one is stopped (and ends `cancelled`). */
  async function reject(actor: Actor, ref: NodeRef): Promise<void> {
    const { node } = await lookUp(actor, ref);
    if (node.status === "running" || node.status === "awaiting_input") {
      await requestCancel(node);
      return;
    }
    const [rejected] = await transition([node], ["pending", "approved"], {
      status: "rejected",
      finishedAt: now(),
    });
    if (!rejected) {
      throw new AppError(
        "CONFLICT",
        node.status === "pending" || node.status === "approved"
          ? `Node "${node.nodeId}" was acted on a moment ago (in another tab?): it can no longer be rejected.`
          : `Node "${node.nodeId}" has already ${node.status}.`,
      );
    }
    await kick(node.graphId);
  }

  /** Stops everything running in the session and cancels what has not started. */
  async function cancel(actor: Actor): Promise<void> {
    const open = await db
      .select()
      .from(taskNodes)
      .where(
        and(
          eq(taskNodes.sessionId, actor.sessionId),
          inArray(taskNodes.status, ["pending", "approved", "running", "awaiting_input"]),
        ),
      );
    const notStarted = open.filter((n) => n.status === "pending" || n.status === "approved");
    const running = open.filter((n) => n.status === "running" || n.status === "awaiting_input");
    let cancelled = 0;
    for (const graphId of new Set(notStarted.map((n) => n.graphId))) {
      cancelled += (
        await transition(
          notStarted.filter((n) => n.graphId === graphId),
          ["pending", "approved"],
          { status: "cancelled", finishedAt: now() },
        )
      ).length;
    }
    for (const node of running) await requestCancel(node);
    await say(
      actor.sessionId,
      "SYSTEM",
      open.length === 0
        ? "Nothing is running or waiting."
        : `Cancelling: ${running.length} running call${running.length === 1 ? "" : "s"} stopped, ${cancelled} step${cancelled === 1 ? "" : "s"} that had not started cancelled.`,
    );
    for (const graphId of new Set(notStarted.map((n) => n.graphId))) await kick(graphId);
  }

  // ---- input requests --------------------------------------------------------------------------

  async function respondInput(
    actor: Actor,
    answer: {
      request_id: string;
      action: z.infer<typeof InputAction>;
      content?: Record<string, unknown> | undefined;
    },
  ): Promise<void> {
    const [request] = await db
      .select()
      .from(inputRequests)
      .where(and(eq(inputRequests.id, answer.request_id), eq(inputRequests.sessionId, actor.sessionId)));
    if (!request) throw new AppError("NOT_FOUND", "That input request does not exist in this conversation.");
    if (request.status !== "open") {
      throw new AppError("CONFLICT", `That request was already answered (${request.status}).`);
    }
    if (request.kind === "form" && answer.action === "accept") {
      const schema = (request.request as { schema?: Record<string, unknown> }).schema ?? { type: "object" };
      const issues = validateAgainstSchema(schema, answer.content ?? {});
      if (issues.length > 0) {
        throw new AppError(
          "VALIDATION_FAILED",
          "The answer does not fit the form: see issues for the fields to fix.",
          {
            issues: issues.map((i) => ({
              path: i.path ? `content.${i.path}` : "content",
              message: i.message,
            })),
          },
        );
      }
    }
    const resolved = await resolveInput(request, answer.action, answer.content);
    if (!resolved) throw new AppError("CONFLICT", "That request was answered or expired a moment ago.");
  }

  /** Records an input request's outcome (once) and wakes the process waiting for it. */
  async function resolveInput(
    request: InputRow,
    status: "accept" | "decline" | "cancel" | "expired",
    content?: Record<string, unknown>,
  ): Promise<boolean> {
    const done = await withTransaction(db, async (tx) => {
      const [row] = await tx
        .update(inputRequests)
        .set({ status, answer: content ?? null, resolvedAt: now() })
        .where(and(eq(inputRequests.id, request.id), eq(inputRequests.status, "open")))
        .returning();
      if (!row) return false;
      const resumed =
        request.graphId && request.nodeId
          ? await tx
              .update(taskNodes)
              .set({ status: "running" })
              .where(
                and(
                  eq(taskNodes.graphId, request.graphId),
                  eq(taskNodes.nodeId, request.nodeId),
                  eq(taskNodes.status, "awaiting_input"),
                ),
              )
              .returning()
          : [];
      await events.append(
        request.sessionId,
        [
          { type: "input_resolved", payload: { request_id: request.id, action: status } },
          ...resumed.map((r) => taskUpdate(r)),
        ],
        tx,
      );
      return true;
    });
    if (done && request.graphId && request.nodeId) {
      await dbHandle.notify(
        COMMANDS_CHANNEL,
        JSON.stringify({
          t: "input",
          k: keyOf(request.graphId, request.nodeId),
          r: request.id,
        } satisfies Command),
      );
    }
    return done;
  }

  function toAnswer(row: InputRow): InputAnswer {
    if (row.status === "accept")
      return { action: "accept", ...(row.answer ? { content: row.answer as Record<string, unknown> } : {}) };
    if (row.status === "decline") return { action: "decline" };
    return { action: "cancel" };
  }

  // ---- running ---------------------------------------------------------------------------------

  function hasSlot(sessionId: string) {
    return (
      processRunning < config.processConcurrency &&
      (sessionRunning.get(sessionId) ?? 0) < config.sessionConcurrency
    );
  }
  function takeSlot(sessionId: string) {
    processRunning++;
    sessionRunning.set(sessionId, (sessionRunning.get(sessionId) ?? 0) + 1);
  }
  function releaseSlot(sessionId: string) {
    processRunning--;
    const n = (sessionRunning.get(sessionId) ?? 1) - 1;
    if (n <= 0) sessionRunning.delete(sessionId);
    else sessionRunning.set(sessionId, n);
  }

  /** Graphs being moved forward now, and whether another pass was asked for meanwhile. */
  const advancing = new Map<string, { again: boolean; done: Promise<void> }>();

  /**
   * Moves a graph forward (see `advance`). A call for a graph that is being moved forward already
   * asks for one more pass after the current one, and resolves with it: eight calls ending at once
   * read the graph twice, not eight times.
   */
  function kick(graphId: string): Promise<void> {
    const current = advancing.get(graphId);
    if (current) {
      current.again = true;
      return current.done;
    }
    const state = { again: true, done: Promise.resolve() };
    advancing.set(graphId, state);
    state.done = (async () => {
      try {
        while (state.again) {
          state.again = false;
          try {
            await advance(graphId);
          } catch (error) {
            // Another pass was asked for: it reads the graph afresh and may well succeed.
            if (!state.again) throw error;
            log.warn({ err: error, graphId }, "moving a graph on failed; trying again");
          }
        }
      } finally {
        advancing.delete(graphId);
      }
    })();
    return state.done;
  }

  /**
   * Skips what can no longer run, starts every approved node whose dependencies all succeeded (as
   * slots allow), and posts the summary once everything has ended.
   */
  async function advance(graphId: string): Promise<void> {
    if (stopped) return handOff(graphId);
    for (let round = 0; round < 100; round++) {
      // With the server the calls go to: read now, so they go out with the settings in force.
      const rows = await db
        .select({ node: taskNodes, server: mcpServers })
        .from(taskNodes)
        .innerJoin(chatSessions, eq(chatSessions.id, taskNodes.sessionId))
        .innerJoin(
          mcpServers,
          and(eq(mcpServers.id, chatSessions.serverId), eq(mcpServers.userId, chatSessions.userId)),
        )
        .where(eq(taskNodes.graphId, graphId));
      if (rows.length === 0) return;
      const nodes = rows.map((r) => r.node);
      const byId = new Map(nodes.map((n) => [n.nodeId, n]));
      const doomed = nodes.filter(
        (n) =>
          (n.status === "pending" || n.status === "approved") &&
          n.dependsOn.some((d) => DEAD_ENDS.has(byId.get(d)?.status ?? "failed")),
      );
      if (doomed.length > 0) {
        await transition(doomed, ["pending", "approved"], {
          status: "skipped",
          finishedAt: now(),
          error: "Skipped: a step it depends on did not succeed.",
        });
        continue;
      }
      const ready = nodes.filter(
        (n) => n.status === "approved" && n.dependsOn.every((d) => byId.get(d)?.status === "succeeded"),
      );
      const batch: NodeRow[] = [];
      for (const node of ready) {
        if (!hasSlot(node.sessionId)) {
          waiting.add(graphId);
          break;
        }
        takeSlot(node.sessionId);
        batch.push(node);
      }
      if (batch.length > 0) {
        // One claim for all of them: whichever process's claim moves a node runs it.
        const claimed = await transition(batch, ["approved"], claimedAt(now()), announceStart).catch(
          (error) => {
            log.warn({ err: error, graphId }, "claiming nodes failed");
            return [];
          },
        );
        const mine = new Set(claimed.map((r) => r.nodeId));
        for (const node of batch) if (!mine.has(node.nodeId)) releaseSlot(node.sessionId);
        for (const row of claimed) track(execute(row, rows[0]!.server));
      }
      if (nodes.every((n) => TERMINAL.has(n.status))) {
        proposals.delete(graphId);
        await finishGraph(graphId, nodes);
      }
      return;
    }
  }

  /** Progress and log lines of a running call, written in batches: at most one write in flight. */
  function createPump(sessionId: string, row: NodeRow) {
    let logs: NewSessionEvent[] = [];
    let progress: NewSessionEvent | undefined;
    let writing: Promise<void> | undefined;
    let dropped = 0;
    const loop = async () => {
      while (logs.length > 0 || progress) {
        const batch = [...logs, ...(progress ? [progress] : [])];
        if (dropped > 0)
          batch.push(
            logEntry(
              "warn",
              `${dropped} log line(s) dropped: the server logged faster than they could be kept.`,
              row.nodeId,
            ),
          );
        logs = [];
        progress = undefined;
        dropped = 0;
        try {
          await events.append(sessionId, batch);
        } catch (error) {
          log.warn({ err: error, sessionId }, "could not record progress or logs");
        }
      }
      writing = undefined;
    };
    const schedule = () => {
      writing ??= loop();
    };
    return {
      progress(current: number, total?: number) {
        progress = taskUpdate(
          { ...row, status: "running" },
          { progress: { current, ...(total !== undefined ? { total } : {}) } },
        );
        schedule();
      },
      log(level: "debug" | "info" | "warn" | "error", message: string) {
        if (logs.length >= 1000) dropped++;
        else logs.push(logEntry(level, message.slice(0, 4000), row.nodeId));
        schedule();
      },
      async flush() {
        while (writing) await writing;
      },
    };
  }

  async function resultsOf(graphId: string, nodeIds: string[]): Promise<Map<string, ReferencedResult>> {
    if (nodeIds.length === 0) return new Map();
    const rows = await db
      .select({ nodeId: taskNodes.nodeId, result: taskNodes.result })
      .from(taskNodes)
      .where(and(eq(taskNodes.graphId, graphId), inArray(taskNodes.nodeId, nodeIds)));
    return new Map(rows.filter((r) => r.result).map((r) => [r.nodeId, r.result as ReferencedResult]));
  }

  async function execute(row: NodeRow, server: ServerRow): Promise<void> {
    const key = keyOf(row.graphId, row.nodeId);
    const run: LocalRun = { sessionId: row.sessionId, controller: new AbortController(), inputs: new Map() };
    local.set(key, run);
    const pump = createPump(row.sessionId, row);
    const started = now().getTime();
    let outcome: {
      status: "succeeded" | "failed" | "cancelled";
      result?: ToolResult;
      preview?: string;
      error?: string;
    };
    try {
      const owner: ServerTarget = { userId: server.userId, serverId: server.id, row: server };
      const args = resolveReferences(
        row.arguments as Record<string, unknown>,
        await resultsOf(row.graphId, row.dependsOn),
      );
      if (hasReference(row.arguments)) {
        const tool = (await tools.listTools(owner)).find((t) => t.name === row.tool);
        const issues = tool ? validateAgainstSchema(tool.inputSchema, args) : [];
        if (issues.length > 0) {
          throw new UnresolvedReferenceError(
            `With earlier results filled in, the arguments do not fit ${row.tool}: ${issues
              .map((i) => `${i.path ? `arguments.${i.path}` : "arguments"} ${i.message}`)
              .join("; ")}.`,
          );
        }
      }
      const result = await tools.callTool(owner, row.tool, args, {
        signal: run.controller.signal,
        onProgress: (p) => pump.progress(p.progress, p.total),
        onLog: (entry) => pump.log(entry.level, entry.message),
        onInputRequest: (request, signal) => askPerson(row, run, pump, request, signal),
      });
      await pump.flush();
      const captured = await captureResult(
        result,
        { owner, sessionId: row.sessionId, graphId: row.graphId, nodeId: row.nodeId, tool: row.tool },
        { artifacts: deps.artifacts, tools, warn: (message) => pump.log("warn", message) },
      );
      outcome = result.isError
        ? {
            status: "failed",
            result: captured.stored,
            preview: captured.preview,
            error: `The tool reported an error: ${captured.preview}`,
          }
        : { status: "succeeded", result: captured.stored, preview: captured.preview };
    } catch (error) {
      if (run.controller.signal.reason === STOPPING) outcome = { status: "failed", error: INTERRUPTED };
      else if (run.controller.signal.aborted)
        outcome = { status: "cancelled", error: "Stopped before it finished." };
      else outcome = { status: "failed", error: messageOf(error) };
    } finally {
      local.delete(key);
    }
    await pump.flush();
    const ms = now().getTime() - started;
    deps.onCallEnded?.(outcome.error === INTERRUPTED ? "interrupted" : outcome.status, ms / 1000);
    await transition(
      [row],
      ["running", "awaiting_input"],
      {
        status: outcome.status,
        finishedAt: now(),
        result: outcome.result ? storable(outcome.result) : null,
        resultPreview: outcome.preview ? storableText(outcome.preview) : null,
        error: outcome.error ? storableText(outcome.error) : null,
        runnerId: null,
        leaseUntil: null,
      },
      (r) => [
        taskUpdate(r),
        logEntry(
          outcome.status === "succeeded" ? "info" : outcome.status === "cancelled" ? "warn" : "error",
          `${r.tool} ${outcome.status} after ${ms} ms${outcome.error ? `: ${outcome.error}` : "."}`,
          r.nodeId,
        ),
      ],
    ).catch(async (error) => {
      // The outcome could not be stored (an odd result, a database hiccup): record a plain failure
      // instead. If even that fails, the lease is no longer renewed, and recovery fails the node.
      log.error({ err: error, key }, "could not record a node's outcome");
      await transition([row], ["running", "awaiting_input"], {
        status: "failed",
        finishedAt: now(),
        error: `mcpdeck could not store the outcome of this call (${outcome.status}).`,
        runnerId: null,
        leaseUntil: null,
      }).catch(() => undefined);
    });
    releaseSlot(row.sessionId);
    await pendingIoFirst();
    await kick(row.graphId).catch((error) => log.warn({ err: error }, "moving the graph on failed"));
    for (const graphId of [...waiting]) {
      waiting.delete(graphId);
      void kick(graphId).catch((error) => log.warn({ err: error }, "moving a waiting graph on failed"));
    }
  }

  /** The input-request hook: shows the request, waits for the person (or the deadline), answers. */
  async function askPerson(
    row: NodeRow,
    run: LocalRun,
    pump: ReturnType<typeof createPump>,
    request: InputRequest,
    signal: AbortSignal,
  ): Promise<InputAnswer> {
    if (request.kind === "sampling" && !deps.sampler) {
      pump.log(
        "warn",
        "The server asked for a model completion (sampling), but no model is configured: refused.",
      );
      return { action: "decline" };
    }
    await pump.flush();
    const id = newId();
    const expiresAt = new Date(now().getTime() + config.inputTimeoutSec * 1000);
    const shown =
      request.kind === "form"
        ? { message: request.message, schema: request.schema }
        : request.kind === "url"
          ? { message: request.message, url: request.url }
          : {
              message: request.message,
              messages: request.messages,
              ...(request.systemPrompt ? { system_prompt: request.systemPrompt } : {}),
              max_tokens: request.maxTokens,
            };
    const answered = new Promise<InputAnswer>((resolve) => run.inputs.set(id, resolve));
    const stored = await withTransaction(db, async (tx) => {
      const [input] = await tx
        .insert(inputRequests)
        .values({
          id,
          sessionId: row.sessionId,
          graphId: row.graphId,
          nodeId: row.nodeId,
          kind: request.kind,
          request: storable(shown),
          expiresAt,
          createdAt: now(),
        })
        .returning();
      const waitingRows = await tx
        .update(taskNodes)
        .set({ status: "awaiting_input" })
        .where(
          and(
            eq(taskNodes.graphId, row.graphId),
            eq(taskNodes.nodeId, row.nodeId),
            eq(taskNodes.status, "running"),
          ),
        )
        .returning();
      await events.append(
        row.sessionId,
        [
          ...waitingRows.map((r) => taskUpdate(r)),
          {
            type: "input_request",
            payload: {
              request_id: id,
              node_id: row.nodeId,
              graph_id: row.graphId,
              kind: request.kind,
              ...shown,
              expires_at: expiresAt.toISOString(),
            },
          },
        ],
        tx,
      );
      return input!;
    });
    const expiry = setTimeout(() => {
      void resolveInput(stored, "expired").then((done) => {
        if (done)
          pump.log("warn", "Nobody answered the input request in time: the call goes on as cancelled.");
      });
    }, config.inputTimeoutSec * 1000);
    expiry.unref();
    const onAbort = () => void resolveInput(stored, "cancel");
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      const answer = await answered;
      if (request.kind === "sampling" && answer.action === "accept" && deps.sampler) {
        const sampled = await deps.sampler.sample(request, signal);
        pump.log("info", `Answered the server's sampling request with ${sampled.model}.`);
        return { action: "accept", sampling: sampled };
      }
      return answer;
    } finally {
      clearTimeout(expiry);
      signal.removeEventListener("abort", onAbort);
      run.inputs.delete(id);
    }
  }

  async function onCommand(payload: string) {
    let command: Command;
    try {
      command = JSON.parse(payload) as Command;
    } catch {
      return;
    }
    if (command.t === "kick") {
      if (!stopped) await kick(command.g);
      return;
    }
    const run = local.get(command.k);
    if (!run) return;
    if (command.t === "cancel") {
      run.controller.abort(new Error("cancelled by the person"));
      return;
    }
    const resolve = run.inputs.get(command.r);
    if (!resolve) return;
    const [row] = await db.select().from(inputRequests).where(eq(inputRequests.id, command.r));
    if (row && row.status !== "open") resolve(toAnswer(row));
  }

  // ---- the summary -----------------------------------------------------------------------------

  async function finishGraph(graphId: string, nodes: NodeRow[]): Promise<void> {
    const [graph] = await db
      .update(taskGraphs)
      .set({ finishedAt: now() })
      .where(and(eq(taskGraphs.id, graphId), isNull(taskGraphs.finishedAt)))
      .returning();
    if (!graph || !nodes.some((n) => n.startedAt)) return;
    const produced = await deps.artifacts.listForSession(graph.sessionId);
    const outcome: GraphOutcome = {
      nodes: [...nodes]
        .sort((a, b) => a.ordinal - b.ordinal)
        .map((n) => ({
          id: n.nodeId,
          title: n.title,
          tool: n.tool,
          status: n.status,
          error: n.error ?? undefined,
          resultPreview: n.resultPreview ?? undefined,
        })),
      artifacts: produced
        .filter((a) => a.graphId === graphId)
        .map((a) => ({
          name: a.name,
          contentType: a.contentType,
          size: a.size,
          nodeId: a.nodeId ?? undefined,
        })),
    };
    let text = digestGraph(outcome);
    if (deps.planner.summarize) {
      try {
        text = await deps.planner.summarize(outcome, AbortSignal.timeout(60_000));
      } catch (error) {
        log.warn({ err: error, graphId }, "the planner could not summarise; using the digest");
      }
    }
    await say(graph.sessionId, "AGENT", text);
  }

  // ---- conversation ----------------------------------------------------------------------------

  async function conversation(sessionId: string): Promise<ChatTurn[]> {
    const rows = await db
      .select({ payload: sessionEvents.payload })
      .from(sessionEvents)
      .where(and(eq(sessionEvents.sessionId, sessionId), eq(sessionEvents.type, "chat_message")))
      .orderBy(desc(sessionEvents.seq))
      .limit(CONVERSATION_TURNS);
    return rows.reverse().map((r) => {
      const p = r.payload as { sender: ChatTurn["sender"]; text: string };
      return { sender: p.sender, text: p.text };
    });
  }

  function describeTools(catalog: CatalogTool[]): string {
    if (catalog.length === 0) return "This server offers no tools.";
    const lines = catalog.map((t) => {
      const schema = t.inputSchema as {
        properties?: Record<string, { type?: unknown }>;
        required?: string[];
      };
      const required = new Set(schema.required ?? []);
      const args = Object.entries(schema.properties ?? {}).map(
        ([name, p]) =>
          `${name}${required.has(name) ? "*" : ""}${typeof p.type === "string" ? `: ${p.type}` : ""}`,
      );
      const hints = [
        t.annotations?.readOnlyHint ? "read-only" : undefined,
        !t.annotations?.readOnlyHint && (t.annotations?.destructiveHint ?? true) ? "destructive" : undefined,
      ].filter(Boolean);
      const description = (t.description ?? "").split("\n")[0]!.slice(0, 200);
      return `${t.name}${t.title ? ` — ${t.title}` : ""}${hints.length ? ` [${hints.join(", ")}]` : ""}\n  ${description}${
        args.length ? `\n  arguments: ${args.join(", ")}` : ""
      }`;
    });
    return `${catalog.length} tool${catalog.length === 1 ? "" : "s"} (* = required):\n${lines.join("\n")}`;
  }

  /** A reply streamed as `chat_partial` events: at most one in flight, the latest text wins. */
  function createTextStream(sessionId: string, streamId: string) {
    let latest: string | undefined;
    let sending: Promise<void> | undefined;
    let used = false;
    const loop = async () => {
      while (latest !== undefined) {
        const text = latest;
        latest = undefined;
        await events
          .broadcast(sessionId, {
            type: "chat_partial",
            payload: { stream_id: streamId, sender: "AGENT", text },
          })
          .catch((error) => log.warn({ err: error }, "could not stream a partial reply"));
      }
      sending = undefined;
    };
    return {
      push: (text: string) => {
        used = true;
        latest = text;
        sending ??= loop();
      },
      used: () => used,
      async end() {
        while (sending) await sending;
      },
    };
  }

  async function plan(actor: Actor, text: string) {
    const catalog = await listTools(actor);
    if (!catalog) return;
    const history = await conversation(actor.sessionId);
    let answer: Awaited<ReturnType<Planner["plan"]>>;
    const streamId = newId();
    const stream = createTextStream(actor.sessionId, streamId);
    try {
      answer = await deps.planner.plan({
        request: text,
        conversation: history.slice(0, -1),
        tools: catalog,
        signal: AbortSignal.timeout(120_000),
        onText: stream.push,
      });
    } catch (error) {
      await say(actor.sessionId, "SYSTEM", `The planner failed: ${messageOf(error)}`);
      return;
    } finally {
      await stream.end();
    }
    if (answer.notice) await say(actor.sessionId, "SYSTEM", answer.notice);
    if (answer.contextTokens !== undefined) await countContext(actor.sessionId, answer.contextTokens);
    if (answer.kind === "reply") {
      await events.append(actor.sessionId, [
        {
          type: "chat_message",
          payload: {
            sender: "AGENT",
            text: answer.text,
            timestamp: iso(),
            ...(stream.used() ? { stream_id: streamId } : {}),
          },
        },
      ]);
      if (answer.contextTokens === undefined)
        await deps.sessions.addTokens(actor.sessionId, estimateTokens(answer.text));
      return;
    }
    await propose(
      actor,
      answer.spec,
      answer.plannedBy ?? deps.planner.name,
      answer.text,
      stream.used() ? streamId : undefined,
    );
  }

  /** The model counted the whole context (tools, conversation, its answer): `memory.used` is at least that. */
  async function countContext(sessionId: string, tokens: number) {
    const [row] = await db
      .select({ tokensUsed: chatSessions.tokensUsed })
      .from(chatSessions)
      .where(eq(chatSessions.id, sessionId));
    await deps.sessions.addTokens(sessionId, tokens - (row?.tokensUsed ?? 0));
  }

  /**
   * A line typed at the prompt: recorded as the person's message, then either a command or a request
   * for the planner. `/new` returns the conversation that replaces this one.
   */
  async function send(actor: Actor, text: string): Promise<{ startedSession?: SessionRow }> {
    const command = parseCommand(text);
    await withTransaction(db, async (tx) => {
      await events.append(actor.sessionId, [chat("USER", text)], tx);
      if (!command) await deps.sessions.titleIfUntitled(actor.sessionId, text, tx);
      await deps.sessions.addTokens(actor.sessionId, estimateTokens(text), tx);
    });
    switch (command?.kind) {
      case undefined:
        await plan(actor, text);
        return {};
      case "help":
        await say(
          actor.sessionId,
          "SYSTEM",
          `Commands:\n${COMMAND_HELP.map(([usage, what]) => `  ${usage.padEnd(18)} ${what}`).join("\n")}\n${REFERENCE_HELP}\nAnything else is a request in plain words.`,
        );
        return {};
      case "tools": {
        const catalog = await listTools(actor);
        if (catalog) await say(actor.sessionId, "SYSTEM", describeTools(catalog));
        return {};
      }
      case "call":
        await propose(
          actor,
          { nodes: [{ id: "call", tool: command.tool, arguments: command.arguments, depends_on: [] }] },
          "/call",
        );
        return {};
      case "graph":
        await propose(actor, command.spec, "/graph");
        return {};
      case "approve":
        await approve(actor, { node_id: command.nodeId });
        return {};
      case "approve_all":
        await approveAll(actor);
        return {};
      case "reject":
        await reject(actor, { node_id: command.nodeId });
        return {};
      case "cancel":
        await cancel(actor);
        return {};
      case "new": {
        const fresh = await deps.sessions.startNew(actor.userId, actor.serverId);
        await say(actor.sessionId, "SYSTEM", "Started a new conversation; this one stays in the list.");
        return { startedSession: fresh };
      }
      case "invalid":
        await say(actor.sessionId, "SYSTEM", command.message);
        return {};
    }
  }

  // ---- leases and recovery ---------------------------------------------------------------------

  /** Renews the leases of the calls this process is running now — and only those. */
  async function renewLeases() {
    if (local.size === 0) return;
    await db
      .update(taskNodes)
      .set({ leaseUntil: new Date(now().getTime() + config.leaseSec * 1000) })
      .where(
        and(
          eq(taskNodes.runnerId, runnerId),
          inArray(taskNodes.status, ["running", "awaiting_input"]),
          inArray(sql`${taskNodes.graphId} || '/' || ${taskNodes.nodeId}`, [...local.keys()]),
        ),
      );
  }

  /**
   * Fails nodes whose process died mid-call (never re-running them: the tool may have acted), and
   * starts approved nodes nobody is running — after a restart, or when their process is gone.
   */
  async function recover() {
    if (stopped) return;
    const interrupted = await interrupt(lt(taskNodes.leaseUntil, now()));
    const graphs = new Set(interrupted.map((r) => r.graphId));
    const approved = await db
      .selectDistinct({ graphId: taskNodes.graphId })
      .from(taskNodes)
      .where(eq(taskNodes.status, "approved"))
      .limit(200);
    for (const g of approved) graphs.add(g.graphId);
    for (const graphId of graphs) await kick(graphId);
  }

  /**
   * Fails the running calls `which` selects as interrupted, announcing each (in the same transaction)
   * and cancelling its open input requests: what a process's death leaves behind (lease expired) or
   * a stopping process's calls that outlived its grace period — the same outcome either way.
   */
  async function interrupt(which: SQL): Promise<NodeRow[]> {
    const cutoff = now();
    const interrupted = await withTransaction(db, async (tx) => {
      const rows = await tx
        .update(taskNodes)
        .set({ status: "failed", error: INTERRUPTED, finishedAt: cutoff, runnerId: null, leaseUntil: null })
        .where(and(inArray(taskNodes.status, ["running", "awaiting_input"]), which))
        .returning();
      for (const row of rows) {
        await events.append(
          row.sessionId,
          [taskUpdate(row), logEntry("error", `${row.tool}: ${INTERRUPTED}`, row.nodeId)],
          tx,
        );
      }
      return rows;
    });
    for (const row of interrupted) {
      const open = await db
        .select()
        .from(inputRequests)
        .where(
          and(
            eq(inputRequests.graphId, row.graphId),
            eq(inputRequests.nodeId, row.nodeId),
            eq(inputRequests.status, "open"),
          ),
        );
      for (const request of open) await resolveInput(request, "cancel");
    }
    return interrupted;
  }

  /** Holds a running call until its outcome is stored, so a stopping process can wait for it. */
  function track(call: Promise<void>) {
    executing.add(call);
    void call.finally(() => executing.delete(call));
  }

  /**
   * A stopping process moves nothing forward itself: it asks the others to (any of them may claim
   * what is approved, post a summary, skip what can no longer run). Without another process, the
   * next start's recovery does it.
   */
  async function handOff(graphId: string): Promise<void> {
    await dbHandle
      .notify(COMMANDS_CHANNEL, JSON.stringify({ t: "kick", g: graphId } satisfies Command))
      .catch((error) => log.debug({ err: error, graphId }, "could not hand a graph over"));
  }

  function every(ms: number, task: () => Promise<unknown>, what: string) {
    const timer = setInterval(() => {
      task().catch((error) => log.warn({ err: error }, `${what} failed`));
    }, ms);
    timer.unref();
    timers.push(timer);
  }

  return {
    runnerId,
    send,
    propose,
    approve,
    approveAll,
    reject,
    cancel,
    respondInput,
    conversation,
    /** The open input requests of a session (for clients that connect while one is waiting). */
    async openInputs(sessionId: string) {
      return db
        .select()
        .from(inputRequests)
        .where(and(eq(inputRequests.sessionId, sessionId), eq(inputRequests.status, "open")));
    },
    /** `model` and `memory` of `connection_status`. */
    async modelStatus(sessionId: string) {
      const [row] = await db
        .select({ tokensUsed: chatSessions.tokensUsed })
        .from(chatSessions)
        .where(eq(chatSessions.id, sessionId));
      return {
        model: deps.planner.name,
        memory: { used: row?.tokensUsed ?? 0, total: deps.planner.contextTokens },
      };
    },
    runningCalls: () => local.size,
    async start() {
      unlisten = await dbHandle.listen(COMMANDS_CHANNEL, (payload) => {
        void onCommand(payload).catch((error) => log.warn({ err: error }, "engine command failed"));
      });
      every((config.leaseSec * 1000) / 3, renewLeases, "renewing leases");
      every((config.leaseSec * 1000) / 2, recover, "recovering interrupted nodes");
      await recover();
    },
    async stop() {
      stopped = true;
      for (const timer of timers) clearInterval(timer);
      await unlisten?.();
    },
    /**
     * Graceful stop: claims nothing more (other processes take over the graphs), lets running calls
     * finish for up to `graceMs`, then fails the rest as interrupted — as if the process had died —
     * and aborts them. Resolves once their outcomes are stored (or, for a call that ignores its
     * abort, after a few seconds more: its lease then lapses and another process fails it). Leases
     * are renewed meanwhile; `stop()` follows.
     */
    async drain(graceMs: number): Promise<{ finished: number; interrupted: number }> {
      stopped = true;
      const running = executing.size;
      const settled = (ms: number) =>
        Promise.race([
          Promise.allSettled([...executing]),
          new Promise((resolve) => setTimeout(resolve, ms).unref()),
        ]);
      await settled(graceMs);
      if (executing.size === 0) return { finished: running, interrupted: 0 };
      const interrupted = await interrupt(eq(taskNodes.runnerId, runnerId));
      for (const run of local.values()) run.controller.abort(STOPPING);
      await settled(5_000);
      for (const graphId of new Set(interrupted.map((r) => r.graphId))) await handOff(graphId);
      return { finished: running - interrupted.length, interrupted: interrupted.length };
    },
  };
}

export type SessionEngine = ReturnType<typeof createSessionEngine>;
