import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";

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

const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => "bytea",
  fromDriver: (value) => (Buffer.isBuffer(value) ? value : Buffer.from(value)),
});

/**
 * A conversation of one user with one MCP server. One per (user, server) is current; `/new` starts
 * another. `lastSeq` numbers the session's events: writers lock the row to take the next numbers, so
 * events commit in the order of their ids.
 */
export const chatSessions = pgTable(
  "chat_sessions",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    serverId: text("server_id")
      .notNull()
      .references(() => mcpServers.id, { onDelete: "cascade" }),
    title: text("title").notNull(),
    current: boolean("current").notNull().default(true),
    lastSeq: bigint("last_seq", { mode: "number" }).notNull().default(0),
    /** Conversation size in tokens, as the planner counts it (`memory.used`). */
    tokensUsed: integer("tokens_used").notNull().default(0),
    createdAt: ts("created_at").notNull().defaultNow(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [
    index("chat_sessions_owner_idx").on(t.userId, t.serverId, t.updatedAt),
    uniqueIndex("chat_sessions_current_key").on(t.userId, t.serverId).where(sql`${t.current}`),
  ],
);

/** Every event a session's clients receive, in order: replayed after `last_event_id` on reconnect. */
export const sessionEvents = pgTable(
  "session_events",
  {
    sessionId: text("session_id")
      .notNull()
      .references(() => chatSessions.id, { onDelete: "cascade" }),
    seq: bigint("seq", { mode: "number" }).notNull(),
    type: text("type").notNull(),
    payload: jsonb("payload").notNull(),
    createdAt: ts("created_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.sessionId, t.seq] })],
);

/** A proposed task graph; its nodes carry the state. */
export const taskGraphs = pgTable(
  "task_graphs",
  {
    id: text("id").primaryKey(),
    sessionId: text("session_id")
      .notNull()
      .references(() => chatSessions.id, { onDelete: "cascade" }),
    /** Where it came from: a command (`/call`, `/graph`) or a planner's name. */
    source: text("source").notNull(),
    /** Set once every node has ended and the summary was posted. */
    finishedAt: ts("finished_at"),
    createdAt: ts("created_at").notNull().defaultNow(),
  },
  (t) => [index("task_graphs_session_idx").on(t.sessionId, t.createdAt)],
);

/**
 * A node of a graph: its plan (tool, arguments, dependencies) and its run. A node runs exactly once:
 * the process that moves it from `approved` to `running` owns the call and holds a lease it renews;
 * a lease left to expire means the process died, and the node fails as interrupted.
 */
export const taskNodes = pgTable(
  "task_nodes",
  {
    graphId: text("graph_id")
      .notNull()
      .references(() => taskGraphs.id, { onDelete: "cascade" }),
    nodeId: text("node_id").notNull(),
    sessionId: text("session_id").notNull(),
    ordinal: integer("ordinal").notNull(),
    title: text("title").notNull(),
    content: text("content").notNull(),
    tool: text("tool").notNull(),
    arguments: jsonb("arguments").notNull(),
    dependsOn: jsonb("depends_on").$type<string[]>().notNull(),
    position: jsonb("position").$type<{ x: number; y: number }>().notNull(),
    annotations: jsonb("annotations").notNull(),
    status: text("status", {
      enum: [
        "pending",
        "approved",
        "running",
        "awaiting_input",
        "succeeded",
        "failed",
        "rejected",
        "skipped",
        "cancelled",
      ],
    })
      .notNull()
      .default("pending"),
    progress: jsonb("progress"),
    /** The full tool result, with binary content moved to artifacts. */
    result: jsonb("result"),
    resultPreview: text("result_preview"),
    error: text("error"),
    approvedAt: ts("approved_at"),
    startedAt: ts("started_at"),
    finishedAt: ts("finished_at"),
    runnerId: text("runner_id"),
    leaseUntil: ts("lease_until"),
  },
  (t) => [
    primaryKey({ columns: [t.graphId, t.nodeId] }),
    index("task_nodes_session_idx").on(t.sessionId),
    index("task_nodes_status_idx").on(t.status, t.leaseUntil),
  ],
);

/** An MCP server asking the person for something while a node runs (elicitation or sampling). */
export const inputRequests = pgTable(
  "input_requests",
  {
    id: text("id").primaryKey(),
    sessionId: text("session_id")
      .notNull()
      .references(() => chatSessions.id, { onDelete: "cascade" }),
    graphId: text("graph_id"),
    nodeId: text("node_id"),
    kind: text("kind", { enum: ["form", "url", "sampling"] }).notNull(),
    /** What the client shows: message, schema / url / messages. */
    request: jsonb("request").notNull(),
    status: text("status", { enum: ["open", "accept", "decline", "cancel", "expired"] })
      .notNull()
      .default("open"),
    answer: jsonb("answer"),
    expiresAt: ts("expires_at").notNull(),
    createdAt: ts("created_at").notNull().defaultNow(),
    resolvedAt: ts("resolved_at"),
  },
  (t) => [index("input_requests_session_idx").on(t.sessionId, t.status)],
);

/** Files produced by tool runs (images, audio, embedded resources, large text), owned by a user. */
export const artifacts = pgTable(
  "artifacts",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    sessionId: text("session_id")
      .notNull()
      .references(() => chatSessions.id, { onDelete: "cascade" }),
    graphId: text("graph_id"),
    nodeId: text("node_id"),
    name: text("name").notNull(),
    contentType: text("content_type").notNull(),
    size: integer("size").notNull(),
    sha256: text("sha256").notNull(),
    /** Where the bytes are: `db` (artifact_blobs) or `file` (under the data dir). */
    storage: text("storage").notNull(),
    createdAt: ts("created_at").notNull().defaultNow(),
  },
  (t) => [index("artifacts_session_idx").on(t.sessionId, t.createdAt)],
);

/** Artifact bytes when they are kept in the database. */
export const artifactBlobs = pgTable("artifact_blobs", {
  artifactId: text("artifact_id")
    .primaryKey()
    .references(() => artifacts.id, { onDelete: "cascade" }),
  data: bytea("data").notNull(),
});
