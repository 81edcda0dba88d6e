import type { InputAction, ServerPayload, SessionSummary } from "@mcpdeck/contracts";
import type { z } from "zod";
import type { ArtifactService } from "../artifacts/service.js";
import { AppError } from "../errors.js";
import type { ServerService } from "../servers/service.js";
import type { Actor, NodeRef, SessionEngine } from "./engine.js";
import type { EventLog, EventSubscription, SessionEvent } from "./events.js";
import { type SessionRow, type SessionStore, toSessionSummary } from "./store.js";
import type { ToolAccess } from "./tools.js";

/** How long `connection_status` waits for the MCP ping before calling the server offline. */
const STATUS_PING_MS = 5_000;
/**
 * A ping answer serves every `connection_status` of the same user's server for this long: the
 * sockets and tabs open on one server (each asks every 15 s, and all at once when the server's
 * status changes) share one round trip instead of pinging the server once each.
 */
const PING_SHARED_MS = 2_000;

export type ConnectionStatus = ServerPayload<"connection_status">;

/**
 * What the transports (tRPC procedures, the spec's session socket) call: every method names the
 * user, the server and the conversation, and checks they belong together before anything happens —
 * another user's server or session is a 404 like a missing one. Answers are contract shapes.
 */
export function createSessionService(deps: {
  servers: Pick<ServerService, "getOwned">;
  sessions: SessionStore;
  engine: SessionEngine;
  events: EventLog;
  artifacts: ArtifactService;
  tools: ToolAccess;
}) {
  const { servers, sessions, engine, events } = deps;

  /** Latest ping per server (in flight or answered within PING_SHARED_MS); a server has one owner. */
  const pings = new Map<string, { at: number; latency: Promise<number | null> }>();
  function sharedPing(actor: Actor): Promise<number | null> {
    const key = actor.serverId;
    const now = Date.now();
    const recent = pings.get(key);
    if (recent && now - recent.at < PING_SHARED_MS) return recent.latency;
    for (const [k, p] of pings) if (now - p.at >= PING_SHARED_MS) pings.delete(k);
    const latency = Promise.race([
      deps.tools.ping(actor).then(
        (ms) => Math.round(ms),
        () => null,
      ),
      new Promise<null>((resolve) => setTimeout(() => resolve(null), STATUS_PING_MS).unref()),
    ]);
    pings.set(key, { at: now, latency });
    return latency;
  }

  /**
   * The conversation `sessionId` (or the current one) of the user's server. A named conversation
   * is one query: it exists for this user and server only if the server is theirs (a server's
   * conversations go with it); the server is read only to say which of the two is missing.
   */
  async function open(
    userId: string,
    serverId: string,
    sessionId?: string,
  ): Promise<{ actor: Actor; session: SessionSummary; lastEventId: number }> {
    let row: SessionRow;
    if (sessionId === undefined) {
      await servers.getOwned(userId, serverId);
      row = await sessions.current(userId, serverId);
    } else {
      row = await sessions.get(userId, serverId, sessionId).catch(async (error: unknown) => {
        await servers.getOwned(userId, serverId);
        throw error;
      });
    }
    return {
      actor: { userId, serverId, sessionId: row.id },
      session: toSessionSummary(row),
      lastEventId: Number(row.lastSeq),
    };
  }

  const act = async (
    userId: string,
    serverId: string,
    sessionId: string | undefined,
    fn: (actor: Actor) => Promise<void>,
  ) => {
    const { actor } = await open(userId, serverId, sessionId);
    await fn(actor);
    return { status: "ok" as const, session_id: actor.sessionId };
  };

  /**
   * Acts on a node the person names. The engine's lookup of the node checks, in the same query, that
   * the conversation is this user's with this server — so the hot path (approving) pays no separate
   * ownership query; when that finds nothing, `open` says what is missing.
   */
  const actOnNode = async (
    userId: string,
    serverId: string,
    sessionId: string | undefined,
    fn: (actor: Actor) => Promise<void>,
  ) => {
    if (sessionId === undefined) return act(userId, serverId, sessionId, fn);
    try {
      await fn({ userId, serverId, sessionId });
    } catch (error) {
      if (error instanceof AppError && error.code === "NOT_FOUND") await open(userId, serverId, sessionId);
      throw error;
    }
    return { status: "ok" as const, session_id: sessionId };
  };

  return {
    open,

    async list(userId: string, serverId: string) {
      await servers.getOwned(userId, serverId);
      return { sessions: await sessions.list(userId, serverId) };
    },

    /** `/new` without typing it: a fresh current conversation. */
    async start(userId: string, serverId: string): Promise<SessionSummary> {
      await servers.getOwned(userId, serverId);
      return toSessionSummary(await sessions.startNew(userId, serverId));
    },

    /** A line typed at the prompt; answers the conversation that follows (a new one after `/new`). */
    async send(userId: string, serverId: string, sessionId: string | undefined, text: string) {
      const { actor } = await open(userId, serverId, sessionId);
      const { startedSession } = await engine.send(actor, text);
      return {
        status: "ok" as const,
        session_id: startedSession?.id ?? actor.sessionId,
        ...(startedSession ? { started: toSessionSummary(startedSession) } : {}),
      };
    },

    approve: (userId: string, serverId: string, sessionId: string | undefined, ref: NodeRef) =>
      actOnNode(userId, serverId, sessionId, (actor) => engine.approve(actor, ref)),
    reject: (userId: string, serverId: string, sessionId: string | undefined, ref: NodeRef) =>
      actOnNode(userId, serverId, sessionId, (actor) => engine.reject(actor, ref)),
    approveAll: (userId: string, serverId: string, sessionId: string | undefined) =>
      act(userId, serverId, sessionId, (actor) => engine.approveAll(actor)),
    cancel: (userId: string, serverId: string, sessionId: string | undefined) =>
      act(userId, serverId, sessionId, (actor) => engine.cancel(actor)),
    respond: (
      userId: string,
      serverId: string,
      sessionId: string | undefined,
      answer: {
        request_id: string;
        action: z.infer<typeof InputAction>;
        content?: Record<string, unknown> | undefined;
      },
    ) => act(userId, serverId, sessionId, (actor) => engine.respondInput(actor, answer)),

    /** The server's status changed: the next `connection_status` pings it again. */
    forgetPing(serverId: string): void {
      pings.delete(serverId);
    },

    /** `connection_status`: the MCP ping's round trip, the planner, the conversation's size. */
    async connectionStatus(actor: Actor): Promise<ConnectionStatus> {
      const [latency, model] = await Promise.all([sharedPing(actor), engine.modelStatus(actor.sessionId)]);
      return { status: latency === null ? "offline" : "online", latency, ...model };
    },

    /** Follows the conversation's events (its history first, or what came after `after`). */
    subscribe(
      actor: Actor,
      after: number | "history",
      deliver: (event: SessionEvent) => void | Promise<void>,
      onError?: (error: unknown) => void,
    ): Promise<EventSubscription> {
      return events.subscribe(actor.sessionId, after, deliver, onError);
    },

    /** A short-lived link that downloads an artifact without the bearer token (browser links). */
    async artifactLink(userId: string, artifactId: string) {
      return deps.artifacts.signedUrl(await deps.artifacts.getOwned(userId, artifactId));
    },
  };
}

export type SessionService = ReturnType<typeof createSessionService>;
