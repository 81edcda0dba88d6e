import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { ClientMessage, type ErrorCode, type ServerMessage, WS_MAX_MESSAGE_BYTES } from "@mcpdeck/contracts";
import { type WebSocket, WebSocketServer } from "ws";
import { AUTH_REVOKED_CHANNEL, signInEnded } from "../auth/service.js";
import type { SessionActor, VerifiedSignIn } from "../context.js";
import { AppError, shapeError } from "../errors.js";
import type { BuildContext } from "../http/context.js";
import { closeGoingAway, refuseUpgrade } from "../http/upgrade.js";
import type { Logger } from "../logger.js";
import type { AppRouter } from "../root.js";
import { parseStatusChange, SERVER_STATUS_CHANNEL } from "../servers/status-events.js";
import type { AppServices } from "../services.js";
import { createCallerFactory } from "../trpc.js";

/**
 * `connection_status`, the liveness ping (a socket that answered neither it nor anything else by the
 * next one is cut) and the sign-in re-check, this often (`statusEveryMs` changes it, for tests).
 */
export const SOCKET_STATUS_EVERY_MS = 15_000;
/** Frames up to this size are read and answered (a frame over 64 KiB gets an `error` event); larger ones close the socket. */
const FRAME_HARD_LIMIT = 4 * WS_MAX_MESSAGE_BYTES;
/** Close codes the clients act on. */
export const CLOSE = {
  /** Signed out, token expired or sign-in revoked: refresh the token, then reconnect. */
  unauthenticated: 4401,
  /** The server is restarting: reconnect now (to any process) from the last event id (closeGoingAway). */
  goingAway: 1001,
  /** Too many messages for too long: slow down before reconnecting. */
  abusive: 4429,
} as const;

/** setTimeout's longest delay; a later expiry is checked again then. */
const MAX_TIMER_MS = 2 ** 31 - 1;

const AUTH_FAILURES = new Set<ErrorCode>([
  "UNAUTHENTICATED",
  "TOKEN_INVALID",
  "TOKEN_EXPIRED",
  "TOKEN_REUSED",
  "SESSION_REVOKED",
]);

function bearerToken(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers.authorization;
  if (header?.startsWith("Bearer ")) return header.slice(7).trim() || undefined;
  return url.searchParams.get("token") ?? undefined;
}

function lastEventIdOf(url: URL): number | undefined {
  const raw = url.searchParams.get("last_event_id");
  if (raw === null || raw === "") return undefined;
  const n = /^\d{1,15}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(n)) {
    throw new AppError("VALIDATION_FAILED", "last_event_id must be the id of the last event you received.", {
      issues: [{ path: "last_event_id", message: "not an event id" }],
    });
  }
  return n;
}

/** The procedures, called with one connection's context. */
function callerFor(router: AppRouter) {
  return createCallerFactory(router);
}
type Caller = ReturnType<ReturnType<typeof callerFor>>;

/**
 * The spec's session socket, `/api/v1/ws/server/{server_id}` (and `/ws/server/{server_id}`): an
 * adapter over the same procedures as tRPC. Every message goes through a procedure caller built with
 * the one context — so it is authenticated, rate limited, validated and shaped exactly as the other
 * transports — and the events come from the same event log as the tRPC subscription.
 *
 * The sign-in is verified at upgrade and carried in the connection's context (`signedIn`), so a
 * message does not read it again: a revoked sign-in closes the socket at once (`auth_revoked`), the
 * token's expiry closes it when it comes (and every call checks it), and the sign-in is re-read every
 * 15 s in case a revocation notice was missed.
 */
export function createSessionSocket(deps: {
  services: Pick<AppServices, "sessions" | "auth" | "dbHandle" | "config" | "clock">;
  buildContext: BuildContext;
  router: AppRouter;
  log: Logger;
  /** See SOCKET_STATUS_EVERY_MS (the default). */
  statusEveryMs?: number;
}) {
  const { services, log } = deps;
  const statusEveryMs = deps.statusEveryMs ?? SOCKET_STATUS_EVERY_MS;
  const createCaller = callerFor(deps.router);
  const wss = new WebSocketServer({ noServer: true, maxPayload: FRAME_HARD_LIMIT });
  /**
   * How to sign out each open socket, by the sign-in (auth session) it acts for, so a revocation
   * closes them at once.
   */
  const bySignIn = new Map<string, Set<(error: unknown) => void>>();
  let unlistenRevocations: (() => Promise<void>) | undefined;
  /** How to tell each open socket that its server's status changed, by server. */
  const statusPushers = new Map<string, Set<() => void>>();
  let unlistenStatus: (() => Promise<void>) | undefined;

  async function handleUpgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    params: { serverId: string },
  ) {
    const url = new URL(req.url ?? "/", "http://localhost");
    const token = bearerToken(req, url);
    const ctx = deps.buildContext(req, token ? { token } : {});
    let opened: { actor: SessionActor; signIn: VerifiedSignIn; lastEventId: number | undefined };
    try {
      const caller = createCaller(ctx);
      const sessionId = url.searchParams.get("session_id") ?? undefined;
      // The procedure checks the token, the rate limit (the upgrade's one count), the ids and the
      // ownership, like any call.
      const { session } = await caller.sessions.open({
        server_id: params.serverId,
        ...(sessionId !== undefined ? { session_id: sessionId } : {}),
      });
      const lastEventId = lastEventIdOf(url);
      const signIn = await services.auth.authenticate(token ?? "");
      opened = {
        actor: { userId: signIn.user.id, serverId: params.serverId, sessionId: session.id },
        signIn,
        lastEventId,
      };
    } catch (error) {
      refuseUpgrade(socket, error, ctx.response.headers);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const caller = createCaller({ ...ctx, signedIn: opened.signIn });
      connect(ws, caller, token!, opened.signIn, opened.actor, opened.lastEventId).catch((error) => {
        log.warn({ err: error }, "session socket failed to start");
        ws.close(1011, "could not open the session");
      });
    });
  }

  async function connect(
    ws: WebSocket,
    caller: Caller,
    token: string,
    signIn: VerifiedSignIn,
    first: SessionActor,
    lastEventId: number | undefined,
  ) {
    let actor = first;
    let cursor = lastEventId ?? 0;
    let subscription: { close(): void } | undefined;
    let alive = true;
    let chain = Promise.resolve();
    const window = { started: Date.now(), count: 0, overruns: 0 };
    const limit = services.config.sessions.socketMessagesPerMin;

    const send = (message: ServerMessage) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
    };
    const sendError = (code: ErrorCode, message: string) =>
      send({ id: cursor, type: "error", payload: { code, message } });
    /** The sign-in ended or its token expired: say why, and close with the code clients refresh on. */
    const signOut = (error: unknown) => {
      const { body } = shapeError(error);
      sendError(body.code, body.message);
      ws.close(CLOSE.unauthenticated, "sign in again");
    };
    let signIns = bySignIn.get(signIn.sessionId);
    if (!signIns) {
      signIns = new Set();
      bySignIn.set(signIn.sessionId, signIns);
    }
    signIns.add(signOut);
    const sendStatus = async () => {
      const payload = await services.sessions.connectionStatus(actor);
      send({ id: cursor, type: "connection_status", payload });
    };

    // connection_status again whenever the status checker sees the server change (any process).
    const pushStatus = () => {
      sendStatus().catch(() => undefined);
    };
    let pushers = statusPushers.get(first.serverId);
    if (!pushers) {
      pushers = new Set();
      statusPushers.set(first.serverId, pushers);
    }
    pushers.add(pushStatus);

    async function follow(next: SessionActor, after: number | "history") {
      subscription?.close();
      actor = next;
      cursor = after === "history" ? 0 : after;
      await sendStatus();
      subscription = await services.sessions.subscribe(
        actor,
        after,
        (event) => {
          cursor = event.id;
          send(event);
        },
        (error) => {
          log.warn({ err: error, sessionId: actor.sessionId }, "session events stopped");
          ws.close(1011, "event delivery failed");
        },
      );
    }

    function overLimit(): boolean {
      const now = Date.now();
      if (now - window.started >= 60_000) {
        window.started = now;
        window.count = 0;
      }
      window.count++;
      return window.count > limit;
    }

    /**
     * Counts a message against the connection's own limit: over it, says when to try again, and past
     * twice the limit closes the connection. Every frame counts — invalid ones too — except pings.
     */
    function admitted(): boolean {
      if (!overLimit()) return true;
      window.overruns++;
      if (window.overruns > limit) ws.close(CLOSE.abusive, "too many messages");
      const wait = Math.max(1, Math.ceil((window.started + 60_000 - Date.now()) / 1000));
      sendError(
        "RATE_LIMITED",
        `Too many messages on this connection (at most ${limit} a minute). Try again in ${wait} s.`,
      );
      return false;
    }

    async function handle(data: Buffer, isBinary: boolean) {
      if (isBinary) {
        if (!admitted()) return;
        return sendError("VALIDATION_FAILED", "Send messages as JSON text, not binary frames.");
      }
      if (data.length > WS_MAX_MESSAGE_BYTES) {
        if (!admitted()) return;
        return sendError(
          "PAYLOAD_TOO_LARGE",
          `A message may be at most ${WS_MAX_MESSAGE_BYTES / 1024} KiB; this one was ${Math.ceil(data.length / 1024)} KiB.`,
        );
      }
      let raw: unknown;
      try {
        raw = JSON.parse(data.toString("utf8"));
      } catch {
        if (!admitted()) return;
        return sendError(
          "VALIDATION_FAILED",
          'Messages are JSON: {"type": "chat_message", "payload": {"text": "…"}}.',
        );
      }
      const parsed = ClientMessage.safeParse(raw);
      if (!parsed.success) {
        if (!admitted()) return;
        const issue = parsed.error.issues[0]!;
        const where = issue.path.length ? `${issue.path.join(".")}: ` : "";
        return sendError(
          "VALIDATION_FAILED",
          `The message is not valid — ${where}${issue.message}. Types: chat_message, approve_task, reject_task, respond_input, cancel, ping.`,
        );
      }
      const message = parsed.data;
      if (message.type === "ping") return sendStatus();
      if (!admitted()) return;
      const where = { server_id: actor.serverId, session_id: actor.sessionId };
      try {
        switch (message.type) {
          case "chat_message": {
            const result = await caller.sessions.send({ ...where, text: message.payload.text });
            if (result.started) {
              send({
                id: cursor,
                type: "session_started",
                payload: { session_id: result.started.id, title: result.started.title },
              });
              await follow({ ...actor, sessionId: result.started.id }, "history");
            }
            return;
          }
          case "approve_task":
            await caller.sessions.approve({ ...where, ...message.payload });
            return;
          case "reject_task":
            await caller.sessions.reject({ ...where, ...message.payload });
            return;
          case "cancel":
            await caller.sessions.cancel(where);
            return;
          case "respond_input":
            await caller.sessions.respond({ ...where, ...message.payload });
            return;
        }
      } catch (error) {
        const { body } = shapeError(error);
        sendError(body.code, body.message);
        if (AUTH_FAILURES.has(body.code)) ws.close(CLOSE.unauthenticated, "sign in again");
      }
    }

    const timer = setInterval(() => {
      if (!alive) {
        ws.terminate();
        return;
      }
      alive = false;
      ws.ping();
      services.auth.authenticate(token).then(() => sendStatus(), signOut);
    }, statusEveryMs);
    timer.unref();
    let expiry: NodeJS.Timeout | undefined;
    const closeAtExpiry = () => {
      const left = signIn.expiresAt.getTime() - services.clock.now().getTime();
      expiry = setTimeout(
        () => {
          try {
            services.auth.assertUnexpired(signIn);
            closeAtExpiry();
          } catch (error) {
            signOut(error);
          }
        },
        Math.min(Math.max(0, left) + 5, MAX_TIMER_MS),
      );
      expiry.unref();
    };
    closeAtExpiry();

    ws.on("pong", () => {
      alive = true;
    });
    ws.on("message", (data: Buffer, isBinary: boolean) => {
      alive = true;
      chain = chain
        .then(() => handle(data, isBinary))
        .catch((error) => log.warn({ err: error }, "session socket message failed"));
    });
    ws.on("close", () => {
      clearInterval(timer);
      clearTimeout(expiry);
      subscription?.close();
      signIns.delete(signOut);
      if (signIns.size === 0) bySignIn.delete(signIn.sessionId);
      pushers.delete(pushStatus);
      if (pushers.size === 0) statusPushers.delete(first.serverId);
    });
    await follow(actor, lastEventId ?? "history");
  }

  return {
    handleUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer, params: { serverId: string }) => {
      void handleUpgrade(req, socket, head, params).catch((error) => {
        log.warn({ err: error }, "session socket upgrade failed");
        socket.destroy();
      });
    },
    async start() {
      // A sign-in ended (logout, token reuse) in any process: its sockets are told why and closed.
      unlistenRevocations = await services.dbHandle.listen(AUTH_REVOKED_CHANNEL, (signIn) => {
        for (const signOut of bySignIn.get(signIn) ?? []) signOut(signInEnded());
      });
      unlistenStatus = await services.dbHandle.listen(SERVER_STATUS_CHANNEL, (payload) => {
        const change = parseStatusChange(payload);
        if (change) services.sessions.forgetPing(change.server_id);
        for (const push of (change && statusPushers.get(change.server_id)) ?? []) push();
      });
    },
    /** Tells every client to reconnect (to another process) and stops. */
    async close() {
      await unlistenRevocations?.();
      await unlistenStatus?.();
      closeGoingAway(wss);
      wss.close();
    },
    connections: () => wss.clients.size,
  };
}

export type SessionSocket = ReturnType<typeof createSessionSocket>;
