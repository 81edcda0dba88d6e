import { sql } from "drizzle-orm";
import { boolean, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

export const users = pgTable(
  "users",
  {
    id: text("id").primaryKey(),
    email: text("email").notNull(),
    username: text("username").notNull(),
    createdAt: ts("created_at").notNull().defaultNow(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("users_email_key").on(t.email),
    uniqueIndex("users_username_lower_key").on(sql`lower(${t.username})`),
  ],
);

/**
 * One row per email: the current code (as a salted HMAC) and the attempt budget of the current
 * window. A new request replaces the code but keeps the budget until the window ends.
 */
export const otpCodes = pgTable("otp_codes", {
  email: text("email").primaryKey(),
  codeHash: text("code_hash").notNull(),
  salt: text("salt").notNull(),
  ipWindow: text("ip_window").notNull(),
  requestedAt: ts("requested_at").notNull(),
  expiresAt: ts("expires_at").notNull(),
  usedAt: ts("used_at"),
  windowStartedAt: ts("window_started_at").notNull(),
  failedAttempts: integer("failed_attempts").notNull().default(0),
});

/** A sign-in: the family of refresh tokens issued from one OTP verification. */
export const authSessions = pgTable(
  "auth_sessions",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    deviceFingerprint: text("device_fingerprint"),
    userAgent: text("user_agent"),
    createdAt: ts("created_at").notNull().defaultNow(),
    lastUsedAt: ts("last_used_at").notNull().defaultNow(),
    expiresAt: ts("expires_at").notNull(),
    revokedAt: ts("revoked_at"),
    revokedReason: text("revoked_reason"),
  },
  (t) => [index("auth_sessions_user_idx").on(t.userId)],
);

export const refreshTokens = pgTable(
  "refresh_tokens",
  {
    id: text("id").primaryKey(),
    sessionId: text("session_id")
      .notNull()
      .references(() => authSessions.id, { onDelete: "cascade" }),
    issuedAt: ts("issued_at").notNull().defaultNow(),
    expiresAt: ts("expires_at").notNull(),
    rotatedAt: ts("rotated_at"),
  },
  (t) => [index("refresh_tokens_session_idx").on(t.sessionId)],
);

/** Fixed-window counters shared by every API process on the database. */
export const rateLimits = pgTable(
  "rate_limits",
  {
    key: text("key").primaryKey(),
    points: integer("points").notNull(),
    expiresAt: ts("expires_at").notNull(),
  },
  (t) => [index("rate_limits_expires_idx").on(t.expiresAt)],
);

export const mcpServers = pgTable(
  "mcp_servers",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    url: text("url").notNull(),
    authMethod: text("auth_method", { enum: ["none", "api_key", "oauth"] }).notNull(),
    /** AES-256-GCM envelope `kid.nonce.ciphertext` (see apps/api crypto); null when no credentials. */
    credentials: text("credentials"),
    /** OAuth tokens and client registration, encrypted the same way. */
    oauthState: text("oauth_state"),
    /** Held by the one API process refreshing this server's OAuth tokens (others wait for it). */
    oauthRefreshLeaseUntil: ts("oauth_refresh_lease_until"),
    timeoutSec: integer("timeout_sec").notNull().default(30),
    sslVerify: boolean("ssl_verify").notNull().default(true),
    status: text("status", { enum: ["online", "offline", "error"] })
      .notNull()
      .default("offline"),
    statusReason: text("status_reason"),
    latencyMs: integer("latency_ms"),
    lastCheckedAt: ts("last_checked_at"),
    nextCheckAt: ts("next_check_at").notNull().defaultNow(),
    checkLeaseUntil: ts("check_lease_until"),
    serverInfo: jsonb("server_info"),
    createdAt: ts("created_at").notNull().defaultNow(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("mcp_servers_user_name_key").on(t.userId, sql`lower(${t.name})`),
    index("mcp_servers_user_order_idx").on(t.userId, t.createdAt, t.id),
    index("mcp_servers_next_check_idx").on(t.nextCheckAt),
  ],
);
