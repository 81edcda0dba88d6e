import {
  ListSessionsInput,
  ListSessionsOutput,
  NodeActionInput,
  OpenSessionOutput,
  RespondInputInput,
  SendMessageInput,
  type ServerMessage,
  SessionActionOutput,
  SessionEventsInput,
  SessionRef,
  SessionSummary,
} from "@mcpdeck/contracts";
import { tracked } from "@trpc/server";
import { AppError } from "../errors.js";
import { protectedProcedure } from "../trpc.js";

const tags = ["sessions"];
/** How often a subscription hears `connection_status` while idle (the spec's 15 s). */
export const STATUS_EVERY_MS = 15_000;

/** A tracked id (tRPC's `lastEventId`) back to the event id it names. */
function eventCursor(lastEventId: string | null | undefined): number | "history" {
  if (lastEventId === null || lastEventId === undefined || lastEventId === "") return "history";
  const n = Number(lastEventId);
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new AppError(
      "VALIDATION_FAILED",
      "lastEventId must be the id of an event this conversation sent.",
      {
        issues: [{ path: "lastEventId", message: "not an event id" }],
      },
    );
  }
  return n;
}

/**
 * The session engine over tRPC: the same operations as the spec's session socket, and a subscription
 * carrying the same typed events. Events are `tracked` with their id, so a client that reconnects
 * resumes after the last one it received — no gap, no duplicate.
 */
export const sessionsRouter = {
  list: protectedProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/servers/{server_id}/sessions",
        tags,
        summary: "Conversations with this server, newest first",
      },
    })
    .input(ListSessionsInput)
    .output(ListSessionsOutput)
    .query(({ ctx, input }) => ctx.services.sessions.list(ctx.user.id, input.server_id)),

  start: protectedProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/servers/{server_id}/sessions",
        tags,
        summary: "Start a new conversation (it becomes the current one)",
        successDescription: "Created",
      },
    })
    .input(ListSessionsInput)
    .output(SessionSummary)
    .mutation(async ({ ctx, input }) => {
      const session = await ctx.services.sessions.start(ctx.user.id, input.server_id);
      ctx.response.status = 201;
      return session;
    }),

  open: protectedProcedure
    .input(SessionRef)
    .output(OpenSessionOutput)
    .query(async ({ ctx, input }) => {
      const opened = await ctx.services.sessions.open(ctx.user.id, input.server_id, input.session_id);
      return { session: opened.session, last_event_id: opened.lastEventId };
    }),

  send: protectedProcedure
    .input(SendMessageInput)
    .output(SessionActionOutput)
    .mutation(({ ctx, input }) =>
      ctx.services.sessions.send(ctx.user.id, input.server_id, input.session_id, input.text),
    ),

  approve: protectedProcedure
    .input(NodeActionInput)
    .output(SessionActionOutput)
    .mutation(({ ctx, input }) =>
      ctx.services.sessions.approve(ctx.user.id, input.server_id, input.session_id, {
        node_id: input.node_id,
        graph_id: input.graph_id,
      }),
    ),

  reject: protectedProcedure
    .input(NodeActionInput)
    .output(SessionActionOutput)
    .mutation(({ ctx, input }) =>
      ctx.services.sessions.reject(ctx.user.id, input.server_id, input.session_id, {
        node_id: input.node_id,
        graph_id: input.graph_id,
      }),
    ),

  approveAll: protectedProcedure
    .input(SessionRef)
    .output(SessionActionOutput)
    .mutation(({ ctx, input }) =>
      ctx.services.sessions.approveAll(ctx.user.id, input.server_id, input.session_id),
    ),

  cancel: protectedProcedure
    .input(SessionRef)
    .output(SessionActionOutput)
    .mutation(({ ctx, input }) =>
      ctx.services.sessions.cancel(ctx.user.id, input.server_id, input.session_id),
    ),

  respond: protectedProcedure
    .input(RespondInputInput)
    .output(SessionActionOutput)
    .mutation(({ ctx, input }) =>
      ctx.services.sessions.respond(ctx.user.id, input.server_id, input.session_id, {
        request_id: input.request_id,
        action: input.action,
        content: input.content,
      }),
    ),

  /**
   * The conversation's events: `connection_status`, then its history (or what followed
   * `lastEventId`), then everything as it happens, with `connection_status` again every 15 s.
   * Listening starts before the backfill is read, so nothing falls between the two.
   */
  events: protectedProcedure.input(SessionEventsInput).subscription(async function* ({ ctx, input, signal }) {
    const after = eventCursor(input.lastEventId);
    const { actor } = await ctx.services.sessions.open(ctx.user.id, input.server_id, input.session_id);
    const queue: ServerMessage[] = [];
    let failure: unknown;
    let wake: (() => void) | undefined;
    const notify = () => {
      wake?.();
      wake = undefined;
    };
    const sessions = ctx.services.sessions;
    // Ids of connection_status repeat the last event's: it is about the connection, not the session.
    let cursor = after === "history" ? 0 : after;
    const pushStatus = () =>
      sessions.connectionStatus(actor).then(
        (payload) => {
          queue.push({ id: cursor, type: "connection_status", payload });
          notify();
        },
        () => undefined,
      );
    await pushStatus();
    const subscription = await sessions.subscribe(
      actor,
      after,
      (event) => {
        cursor = event.id;
        queue.push(event);
        notify();
      },
      (error) => {
        failure = error;
        notify();
      },
    );
    const timer = setInterval(() => void pushStatus(), STATUS_EVERY_MS);
    timer.unref();
    const onAbort = () => notify();
    signal?.addEventListener("abort", onAbort);
    try {
      while (!signal?.aborted) {
        if (failure) throw failure;
        const event = queue.shift();
        if (!event) {
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          continue;
        }
        // connection_status is about the connection, not the conversation: it is not resumable.
        if (event.type === "connection_status") yield event;
        else yield tracked(String(event.id), event);
      }
    } finally {
      clearInterval(timer);
      signal?.removeEventListener("abort", onAbort);
      subscription.close();
    }
  }),
};
