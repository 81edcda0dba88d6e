import { createHmac, randomBytes, randomInt, timingSafeEqual } from "node:crypto";
import type { User } from "@mcpdeck/contracts";
import {
  authSessions,
  type Database,
  type Executor,
  newId,
  otpCodes,
  refreshTokens,
  users,
  withTransaction,
} from "@mcpdeck/db";
import { and, eq, isNull, sql } from "drizzle-orm";
import type { Clock } from "../clock.js";
import { AppError } from "../errors.js";
import { ipWindow } from "./ip-window.js";
import type { Mailer } from "./mailer.js";
import { accessTokenExpired, REFRESH_TTL_SEC, type TokenSigner } from "./tokens.js";

export const OTP_TTL_SEC = 10 * 60;
export const OTP_COOLDOWN_SEC = 30;
export const OTP_MAX_ATTEMPTS = 5;
/**
 * How long a just-rotated refresh token still answers, with the same successor pair it was rotated
 * into: two tabs of one browser refreshing at the same moment both carry on. Past this a rotated
 * token that comes back is a copy in someone else's hands, and the whole sign-in ends.
 */
export const REFRESH_REUSE_LEEWAY_SEC = 5;

export type UserRow = typeof users.$inferSelect;

export function toUser(row: UserRow): User {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

export interface AuthServiceDeps {
  db: Database;
  clock: Clock;
  hmacSecret: Buffer;
  mailer: Mailer;
  tokens: TokenSigner;
  onMailFailure: (error: unknown, to: string) => void;
  /**
   * Called in the sign-up transaction after a user is created (e.g. to pre-register the demo server):
   * its writes go through `tx`, and a failure undoes the whole sign-up.
   */
  onUserCreated?: (userId: string, tx: Executor) => Promise<void>;
  /** Tells every API process that a sign-in ended, so its open sockets close at once. */
  notify?: (channel: string, payload: string, executor?: Executor) => Promise<void>;
}

/** Channel announcing ended sign-ins (payload: the sign-in's id). */
export const AUTH_REVOKED_CHANNEL = "auth_revoked";

/** The error for a token whose sign-in has ended (logout, token reuse, revoked). */
export const signInEnded = () => new AppError("SESSION_REVOKED", "This sign-in has ended. Sign in again.");

export function createAuthService(deps: AuthServiceDeps) {
  const { db, clock, tokens } = deps;

  const hashCode = (salt: string, email: string, code: string) =>
    createHmac("sha256", deps.hmacSecret).update(`otp\0${salt}\0${email}\0${code}`).digest();

  async function requestOtp(email: string, clientIp: string) {
    const now = clock.now();
    const code = randomInt(0, 1_000_000).toString().padStart(6, "0");
    const salt = randomBytes(16).toString("base64url");
    const codeHash = hashCode(salt, email, code).toString("base64url");
    const expiresAt = new Date(now.getTime() + OTP_TTL_SEC * 1000);
    const cooldownEdge = new Date(now.getTime() - OTP_COOLDOWN_SEC * 1000);
    const windowEdge = new Date(now.getTime() - OTP_TTL_SEC * 1000);
    // One statement: replaces the code unless inside the cooldown, and keeps the attempt budget of
    // a window still open (a fresh request must not buy five more guesses).
    const stored = await db
      .insert(otpCodes)
      .values({
        email,
        codeHash,
        salt,
        ipWindow: ipWindow(clientIp),
        requestedAt: now,
        expiresAt,
        windowStartedAt: now,
        failedAttempts: 0,
      })
      .onConflictDoUpdate({
        target: otpCodes.email,
        set: {
          codeHash,
          salt,
          ipWindow: ipWindow(clientIp),
          requestedAt: now,
          expiresAt,
          usedAt: null,
          windowStartedAt: sql`case when ${otpCodes.usedAt} is null and ${otpCodes.windowStartedAt} > ${windowEdge.toISOString()}::timestamptz then ${otpCodes.windowStartedAt} else ${now.toISOString()}::timestamptz end`,
          failedAttempts: sql`case when ${otpCodes.usedAt} is null and ${otpCodes.windowStartedAt} > ${windowEdge.toISOString()}::timestamptz then ${otpCodes.failedAttempts} else 0 end`,
        },
        setWhere: sql`${otpCodes.requestedAt} <= ${cooldownEdge.toISOString()}::timestamptz`,
      })
      .returning({ requestedAt: otpCodes.requestedAt });
    if (stored.length === 0) {
      const [row] = await db
        .select({ requestedAt: otpCodes.requestedAt })
        .from(otpCodes)
        .where(eq(otpCodes.email, email));
      const wait = row
        ? Math.max(1, Math.ceil(OTP_COOLDOWN_SEC - (now.getTime() - row.requestedAt.getTime()) / 1000))
        : OTP_COOLDOWN_SEC;
      throw new AppError(
        "RATE_LIMITED",
        `A code was sent moments ago. Wait ${wait} s before asking for another.`,
        {
          retryAfterSec: wait,
        },
      );
    }
    // Sent in the background: the answer (and its timing) never depends on delivery or on whether
    // the address has an account.
    void deps.mailer
      .sendOtp({ to: email, code, expiresAt })
      .catch((error) => deps.onMailFailure(error, email));
    return { status: "sent" as const, cooldown_sec: OTP_COOLDOWN_SEC };
  }

  /** Why a stored code can no longer sign anyone in, or undefined while it is live. */
  function deadCodeError(row: typeof otpCodes.$inferSelect, now: Date): AppError | undefined {
    if (row.usedAt) return new AppError("OTP_USED", "That code was already used. Request a new code.");
    if (row.failedAttempts >= OTP_MAX_ATTEMPTS) {
      return new AppError(
        "OTP_EXHAUSTED",
        "Too many wrong attempts: this code no longer works. Request a new code in a few minutes.",
      );
    }
    if (row.expiresAt.getTime() <= now.getTime())
      return new AppError("OTP_EXPIRED", "That code has expired. Request a new code.");
    return undefined;
  }

  /**
   * One transaction: consume the code, find or create the user (with the new-user hooks), open the
   * sign-in and issue its first refresh token. A failure anywhere leaves the code unused and nothing
   * half-created. The code's row is locked first, so concurrent verifications of one address run one
   * after another and each counts against (and reports) the attempts left after the one before it.
   */
  async function verifyOtp(input: {
    email: string;
    code: string;
    clientIp: string;
    deviceFingerprint?: string;
    userAgent?: string;
  }) {
    const now = clock.now();
    const outcome = await withTransaction(db, async (tx) => {
      const [row] = await tx.select().from(otpCodes).where(eq(otpCodes.email, input.email)).for("update");
      if (!row)
        throw new AppError(
          "OTP_INVALID",
          "That code is not valid. Request a code first, then enter the 6 digits from the email.",
        );
      const dead = deadCodeError(row, now);
      if (dead) throw dead;

      const expected = Buffer.from(row.codeHash, "base64url");
      const actual = hashCode(row.salt, input.email, input.code);
      const sameNetwork = row.ipWindow === ipWindow(input.clientIp);
      const matches = expected.length === actual.length && timingSafeEqual(expected, actual);
      if (!matches || !sameNetwork) {
        const failedAttempts = row.failedAttempts + 1;
        await tx.update(otpCodes).set({ failedAttempts }).where(eq(otpCodes.email, input.email));
        // Returned, not thrown: the spent attempt must commit.
        return { signedIn: false as const, left: OTP_MAX_ATTEMPTS - failedAttempts, sameNetwork };
      }
      await tx.update(otpCodes).set({ usedAt: now }).where(eq(otpCodes.email, input.email));
      const { user, isNew } = await findOrCreateUser(tx, input.email, now);
      const pair = await startSession(tx, user.id, now, input.deviceFingerprint, input.userAgent);
      return { signedIn: true as const, result: { ...pair, is_new_user: isNew, user: toUser(user) } };
    });
    if (outcome.signedIn) return outcome.result;
    const { left, sameNetwork } = outcome;
    const why = sameNetwork
      ? "That code is not correct."
      : "That code was requested from a different network. Request a new code from here.";
    throw new AppError(
      "OTP_INVALID",
      left > 0
        ? `${why} ${left} attempt${left === 1 ? "" : "s"} left.`
        : `${why} No attempts left: request a new code later.`,
    );
  }

  async function findOrCreateUser(
    tx: Executor,
    email: string,
    now: Date,
  ): Promise<{ user: UserRow; isNew: boolean }> {
    const [existing] = await tx.select().from(users).where(eq(users.email, email));
    if (existing) return { user: existing, isNew: false };
    const base =
      email
        .split("@")[0]!
        .toLowerCase()
        .replace(/[^a-z0-9_-]/g, "")
        .slice(0, 20) || "user";
    for (let attempt = 0; attempt < 8; attempt++) {
      const username = `${base.padEnd(3, "0")}-${randomBytes(3).toString("hex")}`;
      // A conflict is skipped rather than raised: an error would abort the surrounding transaction.
      const [created] = await tx
        .insert(users)
        .values({ id: newId(), email, username, createdAt: now, updatedAt: now })
        .onConflictDoNothing()
        .returning();
      if (created) {
        await deps.onUserCreated?.(created.id, tx);
        return { user: created, isNew: true };
      }
      // Either the address signed up meanwhile, or the generated username is taken: try another.
      const [raced] = await tx.select().from(users).where(eq(users.email, email));
      if (raced) return { user: raced, isNew: false };
    }
    throw new AppError("INTERNAL", "Could not create the account. Try again.");
  }

  async function startSession(
    tx: Executor,
    userId: string,
    now: Date,
    deviceFingerprint?: string,
    userAgent?: string,
  ) {
    const sessionId = newId();
    await tx.insert(authSessions).values({
      id: sessionId,
      userId,
      deviceFingerprint: deviceFingerprint ?? null,
      userAgent: userAgent?.slice(0, 256) ?? null,
      createdAt: now,
      lastUsedAt: now,
      expiresAt: new Date(now.getTime() + REFRESH_TTL_SEC * 1000),
    });
    const pair = { refreshId: newId(), accessId: newId() };
    await recordRefreshToken(tx, sessionId, pair.refreshId, now);
    return signPair(userId, sessionId, pair, now);
  }

  /**
   * The ids of the pair a refresh token is rotated into, derived from its own id with the server's
   * secret: whoever presents that token again within the leeway gets the very same pair, re-signed,
   * with nothing more stored.
   */
  function successorIds(tokenId: string): PairIds {
    const derive = (label: string) =>
      uuidFrom(
        createHmac("sha256", deps.hmacSecret).update(`refresh-successor\0${label}\0${tokenId}`).digest(),
      );
    return { refreshId: derive("refresh"), accessId: derive("access") };
  }

  async function recordRefreshToken(tx: Executor, sessionId: string, refreshId: string, issuedAt: Date) {
    await tx.insert(refreshTokens).values({
      id: refreshId,
      sessionId,
      issuedAt,
      expiresAt: new Date(Math.floor(issuedAt.getTime() / 1000) * 1000 + REFRESH_TTL_SEC * 1000),
    });
  }

  async function signPair(userId: string, sessionId: string, ids: PairIds, issuedAt: Date) {
    const refresh = await tokens.sign("refresh", userId, sessionId, ids.refreshId, issuedAt);
    const access = await tokens.sign("access", userId, sessionId, ids.accessId, issuedAt);
    return { access_token: access.token, refresh_token: refresh.token };
  }

  async function revokeSession(sessionId: string, reason: string) {
    await withTransaction(db, async (tx) => {
      const ended = await tx
        .update(authSessions)
        .set({ revokedAt: clock.now(), revokedReason: reason })
        .where(and(eq(authSessions.id, sessionId), isNull(authSessions.revokedAt)))
        .returning({ id: authSessions.id });
      if (ended.length > 0) await deps.notify?.(AUTH_REVOKED_CHANNEL, sessionId, tx);
    });
  }

  async function refresh(refreshToken: string) {
    const claims = await tokens.verify("refresh", refreshToken);
    const now = clock.now();
    const next = successorIds(claims.tokenId);
    // One transaction rotates a live token of a live sign-in and records its successor, so two racing
    // uses cannot both rotate it, a token of an ended sign-in is never marked as used, and whoever
    // finds the token rotated also finds its successor.
    const rotated = await withTransaction(db, async (tx) => {
      const marked = await tx
        .update(refreshTokens)
        .set({ rotatedAt: now })
        .where(
          and(
            eq(refreshTokens.id, claims.tokenId),
            eq(refreshTokens.sessionId, claims.sessionId),
            isNull(refreshTokens.rotatedAt),
            sql`exists (select 1 from auth_sessions s where s.id = ${claims.sessionId} and s.revoked_at is null)`,
          ),
        )
        .returning({ id: refreshTokens.id });
      if (marked.length === 0) return undefined;
      const [session] = await tx
        .update(authSessions)
        .set({ lastUsedAt: now, expiresAt: new Date(now.getTime() + REFRESH_TTL_SEC * 1000) })
        .where(and(eq(authSessions.id, claims.sessionId), isNull(authSessions.revokedAt)))
        .returning({ userId: authSessions.userId });
      if (!session) throw new AppError("SESSION_REVOKED", "This sign-in has ended. Sign in again.");
      await recordRefreshToken(tx, claims.sessionId, next.refreshId, now);
      return { userId: session.userId };
    });
    if (rotated) return signPair(rotated.userId, claims.sessionId, next, now);

    const [known] = await db
      .select({ rotatedAt: refreshTokens.rotatedAt })
      .from(refreshTokens)
      .where(and(eq(refreshTokens.id, claims.tokenId), eq(refreshTokens.sessionId, claims.sessionId)));
    if (!known) throw new AppError("TOKEN_INVALID", "The refresh token is not valid. Sign in again.");
    if (!known.rotatedAt) throw new AppError("SESSION_REVOKED", "This sign-in has ended. Sign in again.");
    const sinceRotation = now.getTime() - known.rotatedAt.getTime();
    if (sinceRotation >= 0 && sinceRotation < REFRESH_REUSE_LEEWAY_SEC * 1000) {
      // Rotated moments ago (another tab's refresh): the same successor pair, if the sign-in lives.
      const [session] = await db
        .select({ userId: authSessions.userId })
        .from(authSessions)
        .where(and(eq(authSessions.id, claims.sessionId), isNull(authSessions.revokedAt)));
      if (!session) throw new AppError("SESSION_REVOKED", "This sign-in has ended. Sign in again.");
      return signPair(session.userId, claims.sessionId, next, known.rotatedAt);
    }
    // A rotated token came back: someone holds a copy. End the whole family.
    await revokeSession(claims.sessionId, "refresh_token_reuse");
    throw new AppError(
      "TOKEN_REUSED",
      "This refresh token was already used, so the sign-in was ended for your safety. Sign in again.",
    );
  }

  async function logout(refreshToken: string) {
    const claims = await tokens.verify("refresh", refreshToken);
    const [known] = await db
      .select({ id: refreshTokens.id })
      .from(refreshTokens)
      .where(and(eq(refreshTokens.id, claims.tokenId), eq(refreshTokens.sessionId, claims.sessionId)));
    if (!known) throw new AppError("TOKEN_INVALID", "The refresh token is not valid.");
    await revokeSession(claims.sessionId, "logout");
    return { status: "ok" as const };
  }

  /**
   * Verifies an access token and that its sign-in is still live, in one indexed query that also
   * loads the user — correct across any number of API processes, with no cache to go stale.
   */
  async function authenticate(
    accessToken: string,
  ): Promise<{ user: User; sessionId: string; expiresAt: Date }> {
    const claims = await tokens.verify("access", accessToken);
    const [row] = await db
      .select({ user: users })
      .from(authSessions)
      .innerJoin(users, eq(users.id, authSessions.userId))
      .where(
        and(
          eq(authSessions.id, claims.sessionId),
          eq(authSessions.userId, claims.userId),
          isNull(authSessions.revokedAt),
        ),
      );
    if (!row) throw signInEnded();
    return { user: toUser(row.user), sessionId: claims.sessionId, expiresAt: claims.expiresAt };
  }

  /** For a connection that verified its token once: the token's expiry still ends what it may do. */
  function assertUnexpired(signIn: { expiresAt: Date }): void {
    if (clock.now().getTime() >= signIn.expiresAt.getTime()) throw accessTokenExpired();
  }

  return { requestOtp, verifyOtp, refresh, logout, authenticate, assertUnexpired, revokeSession };
}

export type AuthService = ReturnType<typeof createAuthService>;

/** The token ids of one access + refresh pair. */
interface PairIds {
  refreshId: string;
  accessId: string;
}

/** 16 bytes of a digest as a UUID string (version 8, "custom"), like the other ids in shape. */
function uuidFrom(digest: Buffer): string {
  const b = Buffer.from(digest.subarray(0, 16));
  b[6] = (b[6]! & 0x0f) | 0x80;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = b.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
