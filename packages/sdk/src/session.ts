import type { TRPCClient } from "@trpc/client";
import { McpdeckError } from "./errors.js";
import type { SocketLike } from "./platform.js";
import type { TokenKeeper } from "./tokens.js";
import type {
  AppRouter,
  InputAnswer,
  SessionActionResult,
  SessionEvent,
  SessionEventType,
  SessionSummary,
} from "./types.js";

export interface SessionOptions {
  /** Follow this conversation instead of the server's current one (`session.sessions()` lists them). */
  sessionId?: string;
  /**
   * Deliver only what follows this event id of the conversation (`session.lastEventId` of an
   * earlier session, saved with its `sessionId`); without it, the conversation's whole history first.
   */
  lastEventId?: number;
}

export interface SessionDeps {
  baseUrl: string;
  trpc: TRPCClient<AppRouter>;
  keeper: TokenKeeper;
  openSocket(url: string, token: string): SocketLike;
  toError(error: unknown): McpdeckError;
  onClose(): void;
}

/** Events about the connection rather than the conversation: not stored, their ids repeat the last event's. */
const NOT_RESUMABLE = new Set<SessionEventType>([
  "connection_status",
  "error",
  "chat_partial",
  "session_started",
]);
/** The session socket's close codes (the API's `sessions/socket.ts`). */
const CLOSE_UNAUTHENTICATED = 4401;
const CLOSE_GOING_AWAY = 1001;
const CLOSE_TOO_MANY = 4429;
/** The socket sends `connection_status` every 15 s: three missed ones mean a dead connection. */
const STALE_AFTER_MS = 45_000;
/** Failures worth trying again: the API away or overloaded, not a refusal. */
const TRANSIENT = new Set<McpdeckError["code"]>([
  "API_UNREACHABLE",
  "BAD_RESPONSE",
  "RATE_LIMITED",
  "INTERNAL",
]);

const backoff = (attempt: number) => Math.min(10_000, 250 * 2 ** attempt) * (0.8 + Math.random() * 0.4);

function quietClose(socket: SocketLike, code: number, reason: string) {
  try {
    socket.close(code, reason);
  } catch {}
}

/**
 * A live session with one server: the conversation's events in order, as an async iterator, and the
 * actions a person takes in it. Events come over the spec's session socket; a dropped connection is
 * reopened from the last event id (no gap, no duplicate), an expired access token is refreshed first
 * (the socket closes with 4401), and after `/new` (or `newSession()`) the session follows the new
 * conversation: a `session_started` event, then that conversation's history. Actions are procedure
 * calls, so each answers or fails with an {@link McpdeckError}.
 *
 * One consumer reads the events; they wait in memory until it does. `close()` ends the iterator.
 */
export class Session implements AsyncIterable<SessionEvent> {
  readonly serverId: string;
  readonly #deps: SessionDeps;
  #sessionId: string | undefined;
  /** The last conversation event received (a reconnect resumes after it)… */
  #receivedId: number;
  /** …and the last one the consumer took (what it may save to resume later). */
  #deliveredId: number;
  #summary: Promise<SessionSummary>;
  readonly #queue: SessionEvent[] = [];
  readonly #waiters = new Set<() => void>();
  #closed = false;
  #failure: McpdeckError | undefined;
  #connected = false;
  /** Bumped when the session follows another conversation: a connection of an older one is ignored. */
  #generation = 0;
  #drop: (() => void) | undefined;
  #wakeFromPause: (() => void) | undefined;
  readonly #socketsOpen = new Set<Promise<void>>();
  readonly #running: Promise<void>;

  constructor(deps: SessionDeps, serverId: string, opts: SessionOptions = {}) {
    this.#deps = deps;
    this.serverId = serverId;
    this.#receivedId = opts.lastEventId ?? 0;
    this.#deliveredId = this.#receivedId;
    // Pin the conversation: a reconnect must resume this one, even if another tab starts a new one.
    this.#summary = deps.trpc.sessions.open
      .query({ server_id: serverId, ...(opts.sessionId ? { session_id: opts.sessionId } : {}) })
      .then(({ session }) => {
        this.#sessionId = session.id;
        return session;
      });
    this.#summary.catch(() => undefined);
    this.#running = this.#run();
  }

  /** The conversation followed (undefined until it is opened). */
  get sessionId(): string | undefined {
    return this.#sessionId;
  }

  /** The id of the last conversation event the iterator gave out; save it with `sessionId` to resume later. */
  get lastEventId(): number {
    return this.#deliveredId;
  }

  /** Whether the socket is open now (it reopens by itself when dropped). */
  get connected(): boolean {
    return this.#connected;
  }

  /** The conversation followed, once opened (fails with NOT_FOUND for a server or conversation not yours). */
  conversation(): Promise<SessionSummary> {
    return this.#summary;
  }

  // ---- actions ---------------------------------------------------------------------------------

  async #ref() {
    await this.#summary;
    return { server_id: this.serverId, session_id: this.#sessionId! };
  }

  /** Sends a line as typed at the prompt: a request in plain words, or a command (`/graph {...}`, `/new`, …). */
  async send(text: string): Promise<SessionActionResult> {
    const result = await this.#deps.trpc.sessions.send.mutate({ ...(await this.#ref()), text });
    if (result.started) this.#follow(result.started);
    return result;
  }

  /** Approves a pending node (`graphId` picks the graph when several have a node of that id). */
  async approve(nodeId: string, opts: { graphId?: string } = {}): Promise<SessionActionResult> {
    return this.#deps.trpc.sessions.approve.mutate({
      ...(await this.#ref()),
      node_id: nodeId,
      ...(opts.graphId ? { graph_id: opts.graphId } : {}),
    });
  }

  /** Approves every pending node except those whose tools are destructive (approve those one by one). */
  async approveAll(): Promise<SessionActionResult> {
    return this.#deps.trpc.sessions.approveAll.mutate(await this.#ref());
  }

  /** Rejects a node that has not run (a running one is stopped). */
  async reject(nodeId: string, opts: { graphId?: string } = {}): Promise<SessionActionResult> {
    return this.#deps.trpc.sessions.reject.mutate({
      ...(await this.#ref()),
      node_id: nodeId,
      ...(opts.graphId ? { graph_id: opts.graphId } : {}),
    });
  }

  /** Stops everything running in the conversation and cancels what has not started. */
  async cancel(): Promise<SessionActionResult> {
    return this.#deps.trpc.sessions.cancel.mutate(await this.#ref());
  }

  /** Answers an `input_request`: accept (with the form's `content`), decline or cancel. */
  async respond(requestId: string, answer: InputAnswer): Promise<SessionActionResult> {
    return this.#deps.trpc.sessions.respond.mutate({
      ...(await this.#ref()),
      request_id: requestId,
      action: answer.action,
      ...(answer.content ? { content: answer.content } : {}),
    });
  }

  /** The conversations with this server, newest first. */
  async sessions(): Promise<SessionSummary[]> {
    return (await this.#deps.trpc.sessions.list.query({ server_id: this.serverId })).sessions;
  }

  /** Starts a new conversation (it becomes the current one) and follows it. */
  async newSession(): Promise<SessionSummary> {
    const started = await this.#deps.trpc.sessions.start.mutate({ server_id: this.serverId });
    this.#follow(started);
    return started;
  }

  // ---- events ----------------------------------------------------------------------------------

  [Symbol.asyncIterator](): AsyncIterator<SessionEvent> {
    return this.events();
  }

  /** The events, in order, until `close()`; throws the McpdeckError that ended the session, if one did. */
  async *events(): AsyncGenerator<SessionEvent, void, undefined> {
    while (true) {
      const next = this.#queue.shift();
      if (next) {
        if (!NOT_RESUMABLE.has(next.type)) this.#deliveredId = next.id;
        // After /new the ids are the new conversation's, from the start.
        if (next.type === "session_started") this.#deliveredId = 0;
        yield next;
        continue;
      }
      if (this.#failure) throw this.#failure;
      if (this.#closed) return;
      await new Promise<void>((resolve) => this.#waiters.add(resolve));
    }
  }

  /** Stops following the conversation: the socket closes, the iterator ends. */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#drop?.();
      this.#wakeFromPause?.();
      this.#wake();
      this.#deps.onClose();
    }
    await this.#running;
    await Promise.all(this.#socketsOpen);
  }

  #wake() {
    for (const resolve of this.#waiters) resolve();
    this.#waiters.clear();
  }

  #push(event: SessionEvent) {
    this.#queue.push(event);
    this.#wake();
  }

  #fail(error: McpdeckError) {
    this.#failure = error;
    this.#closed = true;
    this.#wake();
    this.#deps.onClose();
  }

  /** Follows another conversation (after `/new`): announced, then its history from the start. */
  #follow(summary: SessionSummary) {
    if (this.#closed || summary.id === this.#sessionId) return;
    const previous = this.#receivedId;
    this.#sessionId = summary.id;
    this.#summary = Promise.resolve(summary);
    this.#receivedId = 0;
    this.#generation++;
    this.#push({
      id: previous,
      type: "session_started",
      payload: { session_id: summary.id, title: summary.title },
    });
    this.#drop?.();
    this.#wakeFromPause?.();
  }

  #receive(data: unknown) {
    if (typeof data !== "string") return;
    let event: SessionEvent;
    try {
      event = JSON.parse(data) as SessionEvent;
    } catch {
      return;
    }
    if (typeof event !== "object" || event === null || typeof event.type !== "string") return;
    if (typeof event.id !== "number") return;
    if (!NOT_RESUMABLE.has(event.type)) {
      // A replay can overlap what was delivered already: each conversation event exactly once.
      if (event.id <= this.#receivedId) return;
      this.#receivedId = event.id;
    }
    this.#push(event);
  }

  // ---- the connection --------------------------------------------------------------------------

  /** Keeps a socket open on the followed conversation until closed or a failure no retry can fix. */
  async #run(): Promise<void> {
    try {
      await this.#summary;
    } catch (error) {
      this.#fail(this.#deps.toError(error));
      return;
    }
    let attempt = 0;
    while (!this.#closed) {
      let token: string | undefined;
      try {
        token = await this.#deps.keeper.accessToken();
      } catch (error) {
        const wait = this.#retryAfter(error, attempt++);
        if (wait === undefined) return;
        await this.#pause(wait);
        continue;
      }
      if (!token) {
        this.#fail(
          new McpdeckError({ code: "UNAUTHENTICATED", message: "Sign in first: a session needs it." }),
        );
        return;
      }
      const generation = this.#generation;
      const { opened, code } = await this.#connect(token);
      if (this.#closed) return;
      if (generation !== this.#generation) {
        attempt = 0;
        continue;
      }
      if (opened) attempt = 0;
      if (code === CLOSE_UNAUTHENTICATED) {
        // The access token expired (or the sign-in ended): refresh, then reconnect from the last id.
        try {
          await this.#deps.keeper.refresh(token);
          continue;
        } catch (error) {
          const wait = this.#retryAfter(error, attempt++);
          if (wait === undefined) return;
          await this.#pause(wait);
          continue;
        }
      }
      if (!opened) {
        // The upgrade was refused, or nothing answered: the same check as a procedure says why, typed
        // (and refreshes an access token the server found expired).
        try {
          await this.#deps.trpc.sessions.open.query(await this.#ref());
        } catch (error) {
          const wait = this.#retryAfter(error, attempt);
          if (wait === undefined) return;
        }
      }
      if (code === CLOSE_GOING_AWAY && opened) await this.#pause(100 + Math.random() * 400);
      else if (code === CLOSE_TOO_MANY) await this.#pause(15_000);
      else await this.#pause(backoff(attempt++));
    }
  }

  /** How long to wait before trying again after `error`, or undefined when it ended the session. */
  #retryAfter(error: unknown, attempt: number): number | undefined {
    const failure = this.#deps.toError(error);
    if (TRANSIENT.has(failure.code) || (failure.status ?? 0) >= 500) {
      return failure.retryAfter !== undefined ? failure.retryAfter * 1000 : backoff(attempt);
    }
    this.#fail(failure);
    return undefined;
  }

  #pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wakeFromPause = done;
    }).finally(() => {
      this.#wakeFromPause = undefined;
    });
  }

  #socketUrl(): string {
    const base = this.#deps.baseUrl.replace(/^http/, "ws");
    const url = new URL(`${base}/api/v1/ws/server/${encodeURIComponent(this.serverId)}`);
    url.searchParams.set("session_id", this.#sessionId!);
    if (this.#receivedId > 0) url.searchParams.set("last_event_id", String(this.#receivedId));
    return url.toString();
  }

  /** One connection: resolves when it ends, saying whether it opened and how it closed. */
  #connect(token: string): Promise<{ opened: boolean; code: number }> {
    const generation = this.#generation;
    const url = this.#socketUrl();
    return new Promise((resolve) => {
      let opened = false;
      let done = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      let socket: SocketLike;
      const finish = (code: number) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.#connected = false;
        this.#drop = undefined;
        resolve({ opened, code });
      };
      // Also bounds the opening handshake.
      const watch = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          quietClose(socket, 4000, "no events");
          finish(4000);
        }, STALE_AFTER_MS);
      };
      try {
        socket = this.#deps.openSocket(url, token);
      } catch {
        finish(1006);
        return;
      }
      let closed!: () => void;
      const closing = new Promise<void>((r) => {
        closed = r;
      });
      this.#socketsOpen.add(closing);
      void closing.then(() => this.#socketsOpen.delete(closing));
      // A socket that never reports its close (a dead network) is not waited for forever.
      const giveUp = () => {
        const timeout = setTimeout(closed, 2_000) as { unref?: () => void };
        timeout.unref?.();
      };
      this.#drop = () => {
        quietClose(socket, 1000, "closed by the client");
        giveUp();
        finish(1000);
      };
      socket.addEventListener("open", () => {
        opened = true;
        this.#connected = !done;
        watch();
      });
      socket.addEventListener("message", (event) => {
        if (done || generation !== this.#generation) return;
        watch();
        this.#receive(event.data);
      });
      socket.addEventListener("close", (event) => {
        closed();
        finish(event.code);
      });
      socket.addEventListener("error", () => undefined);
      watch();
    });
  }
}
