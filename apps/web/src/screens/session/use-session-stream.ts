import type { ClientMessage, ServerMessage } from "@mcpdeck/contracts";
import { useCallback, useEffect, useReducer, useRef, useState } from "react";
import { apiErrorOf, httpStatusOf } from "../../api/errors.js";
import { useTRPCClient } from "../../api/trpc.js";
import { useAuth } from "../../auth/auth-context.js";
import { applyEvents, EMPTY_SESSION, type SessionState } from "./session-state.js";

/** Close codes of the session socket (apps/api/src/sessions/socket.ts). */
const CLOSE_SIGN_IN_AGAIN = 4401;
const CLOSE_GOING_AWAY = 1001;
const CLOSE_TOO_MANY = 4429;
const BACKOFF_START_MS = 500;
const BACKOFF_MAX_MS = 15_000;
/** The API sends connection_status every 15 s: a socket silent this long is dead, whatever it says. */
const SILENCE_MS = 45_000;

export type Link =
  | { state: "connecting" }
  | { state: "open" }
  | { state: "reconnecting"; at: number; attempt: number }
  | { state: "failed"; message: string };

type Action = { type: "events"; events: ServerMessage[] } | { type: "reset" };

function reducer(state: SessionState, action: Action): SessionState {
  if (action.type === "reset") return EMPTY_SESSION;
  return applyEvents(state, action.events);
}

/**
 * The conversation over the spec's session socket: the history (or, reconnecting, exactly what came
 * after the last event id), then every event as it happens. Reconnects with jittered backoff; 4401
 * refreshes the token first, 1001 reconnects at once. Events arriving together are applied in one
 * render (a reload's whole history is one batch).
 */
export function useSessionStream(serverId: string, sessionId: string | undefined) {
  const { tokens } = useAuth();
  const client = useTRPCClient();
  const [state, dispatch] = useReducer(reducer, EMPTY_SESSION);
  const [link, setLink] = useState<Link>({ state: "connecting" });
  const socket = useRef<WebSocket | undefined>(undefined);
  const cursor = useRef(0);
  const following = useRef<string | undefined>(sessionId);
  const retryNow = useRef<() => void>(() => undefined);
  cursor.current = state.cursor;
  if (state.sessionId) following.current = state.sessionId;

  useEffect(() => {
    let stopped = false;
    let attempt = 0;
    let timer: number | undefined;
    let queue: ServerMessage[] = [];
    let frame: number | undefined;
    following.current = sessionId;
    cursor.current = 0;
    dispatch({ type: "reset" });

    const flush = () => {
      frame = undefined;
      const events = queue;
      queue = [];
      if (events.length > 0) dispatch({ type: "events", events });
    };

    const schedule = (delayMs: number) => {
      attempt++;
      const at = Date.now() + delayMs;
      setLink({ state: "reconnecting", at, attempt });
      window.clearTimeout(timer);
      timer = window.setTimeout(() => void connect(), delayMs);
    };
    const backoff = () =>
      Math.min(BACKOFF_MAX_MS, BACKOFF_START_MS * 2 ** Math.min(attempt, 10)) * (0.75 + Math.random() * 0.5);

    async function connect() {
      if (stopped) return;
      setLink((current) => (current.state === "open" ? current : { state: "connecting" }));
      // Asked through tRPC first: it says precisely why a socket would be refused (the server is
      // gone: 404; the token is stale: refreshed and retried by the client's link).
      try {
        await client.sessions.open.query({
          server_id: serverId,
          ...(following.current ? { session_id: following.current } : {}),
        });
      } catch (error) {
        if (stopped) return;
        const status = httpStatusOf(error);
        if (status !== undefined && status >= 400 && status < 500 && status !== 429) {
          setLink({ state: "failed", message: apiErrorOf(error).message });
          return;
        }
        schedule(backoff());
        return;
      }
      const token = tokens.accessToken() ?? (await tokens.refresh());
      if (stopped || !token) return;
      const query = new URLSearchParams({ token });
      if (cursor.current > 0) query.set("last_event_id", String(cursor.current));
      if (following.current) query.set("session_id", following.current);
      const url = `${window.location.origin.replace(/^http/, "ws")}/api/v1/ws/server/${encodeURIComponent(serverId)}?${query}`;
      const ws = new WebSocket(url);
      socket.current = ws;
      let opened = false;
      let lastHeard = Date.now();
      const watchdog = window.setInterval(() => {
        if (Date.now() - lastHeard > SILENCE_MS) ws.close(4000, "silent");
      }, 5_000);
      ws.onopen = () => {
        opened = true;
        attempt = 0;
        setLink({ state: "open" });
      };
      ws.onmessage = (message) => {
        lastHeard = Date.now();
        try {
          queue.push(JSON.parse(String(message.data)) as ServerMessage);
        } catch {
          return;
        }
        frame ??= window.requestAnimationFrame(flush);
      };
      ws.onclose = (close) => {
        window.clearInterval(watchdog);
        if (socket.current === ws) socket.current = undefined;
        if (stopped) return;
        if (close.code === CLOSE_SIGN_IN_AGAIN) {
          void tokens.refresh().then((fresh) => {
            if (fresh) schedule(0);
            // else: the sign-in is over; the app shows the sign-in screen.
          });
          return;
        }
        if (close.code === CLOSE_GOING_AWAY && opened) {
          schedule(0);
          return;
        }
        schedule(close.code === CLOSE_TOO_MANY ? BACKOFF_MAX_MS : backoff());
      };
    }

    retryNow.current = () => {
      window.clearTimeout(timer);
      attempt = 0;
      void connect();
    };
    const online = () => retryNow.current();
    // The browser knows the network is gone before the socket does: close it and wait for "online".
    const offline = () => socket.current?.close(4000, "offline");
    window.addEventListener("online", online);
    window.addEventListener("offline", offline);
    void connect();
    return () => {
      stopped = true;
      window.removeEventListener("online", online);
      window.removeEventListener("offline", offline);
      window.clearTimeout(timer);
      if (frame !== undefined) window.cancelAnimationFrame(frame);
      socket.current?.close(1000, "leaving");
      socket.current = undefined;
    };
  }, [serverId, sessionId, client, tokens]);

  /** Sends a message when the socket is open; false when it is not (the caller keeps the input). */
  const send = useCallback((message: ClientMessage): boolean => {
    const ws = socket.current;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(message));
    return true;
  }, []);

  return { state, link, send, retryNow: () => retryNow.current() };
}
