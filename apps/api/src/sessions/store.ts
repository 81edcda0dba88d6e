import type { SessionSummary } from "@mcpdeck/contracts";
import {
  chatSessions,
  type Database,
  type Executor,
  isUniqueViolation,
  newId,
  withTransaction,
} from "@mcpdeck/db";
import { and, desc, eq, sql } from "drizzle-orm";
import type { Clock } from "../clock.js";
import { notFound } from "../errors.js";

export type SessionRow = typeof chatSessions.$inferSelect;

export const UNTITLED = "New conversation";
const TITLE_MAX = 80;

export function toSessionSummary(row: SessionRow): SessionSummary {
  return {
    id: row.id,
    title: row.title,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
    current: row.current,
  };
}

/** A title from the first thing the person asked: one line, trimmed to a readable length. */
export function titleFrom(text: string): string {
  const line = text.trim().split("\n")[0]!.replace(/\s+/g, " ");
  return line.length > TITLE_MAX ? `${line.slice(0, TITLE_MAX - 1)}…` : line;
}

/**
 * Conversations of a user with a server. Every query names the owner and the server: another
 * user's session, or one of another server, is a 404 like a missing one.
 */
export function createSessionStore(deps: { db: Database; clock: Clock }) {
  const { db, clock } = deps;

  async function insertCurrent(executor: Executor, userId: string, serverId: string): Promise<SessionRow> {
    const now = clock.now();
    const [row] = await executor
      .insert(chatSessions)
      .values({
        id: newId(),
        userId,
        serverId,
        title: UNTITLED,
        current: true,
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    return row!;
  }

  /** The current conversation with the server, started on first use. */
  async function current(userId: string, serverId: string): Promise<SessionRow> {
    const find = () =>
      db
        .select()
        .from(chatSessions)
        .where(
          and(
            eq(chatSessions.userId, userId),
            eq(chatSessions.serverId, serverId),
            eq(chatSessions.current, true),
          ),
        );
    const [existing] = await find();
    if (existing) return existing;
    try {
      return await insertCurrent(db, userId, serverId);
    } catch (error) {
      // Two tabs opening the first conversation at once: the other one won.
      if (!isUniqueViolation(error)) throw error;
      const [raced] = await find();
      if (!raced) throw error;
      return raced;
    }
  }

  async function get(userId: string, serverId: string, sessionId: string): Promise<SessionRow> {
    const [row] = await db
      .select()
      .from(chatSessions)
      .where(
        and(
          eq(chatSessions.id, sessionId),
          eq(chatSessions.userId, userId),
          eq(chatSessions.serverId, serverId),
        ),
      );
    if (!row) throw notFound("Session");
    return row;
  }

  /** `/new`: the current conversation is kept in the list, and a fresh one becomes current. */
  async function startNew(userId: string, serverId: string): Promise<SessionRow> {
    return withTransaction(db, async (tx) => {
      await tx
        .update(chatSessions)
        .set({ current: false })
        .where(
          and(
            eq(chatSessions.userId, userId),
            eq(chatSessions.serverId, serverId),
            eq(chatSessions.current, true),
          ),
        );
      return insertCurrent(tx, userId, serverId);
    });
  }

  async function list(userId: string, serverId: string, limit = 100): Promise<SessionSummary[]> {
    const rows = await db
      .select()
      .from(chatSessions)
      .where(and(eq(chatSessions.userId, userId), eq(chatSessions.serverId, serverId)))
      .orderBy(desc(chatSessions.createdAt), desc(chatSessions.id))
      .limit(limit);
    return rows.map(toSessionSummary);
  }

  /** Names an untitled conversation after its first request. */
  async function titleIfUntitled(sessionId: string, text: string, executor: Executor = db) {
    await executor
      .update(chatSessions)
      .set({ title: titleFrom(text) })
      .where(and(eq(chatSessions.id, sessionId), eq(chatSessions.title, UNTITLED)));
  }

  async function addTokens(sessionId: string, tokens: number, executor: Executor = db) {
    if (tokens <= 0) return;
    await executor
      .update(chatSessions)
      .set({ tokensUsed: sql`${chatSessions.tokensUsed} + ${Math.round(tokens)}` })
      .where(eq(chatSessions.id, sessionId));
  }

  return { current, get, startNew, list, titleIfUntitled, addTokens };
}

export type SessionStore = ReturnType<typeof createSessionStore>;
