import type {
  ArtifactLinkOutput,
  ClientMetadataDocument,
  CompleteInput,
  CompleteOutput,
  CursorPosition,
  DeleteServerOutput,
  GetPromptOutput,
  HealthOutput,
  ListPromptsOutput,
  ListResourcesOutput,
  ListResourceTemplatesOutput,
  ListServersOutput,
  ListToolsOutput,
  McpServer,
  McpServerCreate,
  McpServerTest,
  McpServerUpdate,
  OAuthCallbackInput,
  OAuthStartOutput,
  OtpRequestOutput,
  OtpVerifyOutput,
  OutboxMessage,
  ReadResourceOutput,
  RefreshOutput,
  ServerMessage,
  ServerPayload,
  ServerStatusEvent,
  ServerStatusOutput,
  SessionActionOutput,
  SessionSummary,
  StatusOk,
  TestServerOutput,
  User,
} from "@mcpdeck/contracts";
import type { z } from "zod";

/*
 * What procedures see, and nothing more. The router's type carries this context, so every client
 * that imports `AppRouter` reads these declarations: they name only contract types and plain data
 * (no drizzle rows, Fastify, pino or MCP SDK), which keeps a client's typecheck small. The real
 * services satisfy `ProcedureServices` (checked in services.ts).
 */

type Out<T extends z.ZodType> = z.output<T>;

/** The limit a call counts against: `auth` for sign-in, `api` for everything else. */
export type RateLimitBucket = "auth" | "api";

export interface RateLimitResult {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window resets. */
  resetSec: number;
}

export interface ProcedureServices {
  auth: {
    requestOtp(email: string, clientIp: string): Promise<Out<typeof OtpRequestOutput>>;
    verifyOtp(input: {
      email: string;
      code: string;
      clientIp: string;
      deviceFingerprint?: string;
      userAgent?: string;
    }): Promise<Out<typeof OtpVerifyOutput>>;
    refresh(refreshToken: string): Promise<Out<typeof RefreshOutput>>;
    logout(refreshToken: string): Promise<Out<typeof StatusOk>>;
    /** The signed-in user behind an access token, if its sign-in is still live. */
    authenticate(accessToken: string): Promise<VerifiedSignIn>;
    /** Throws TOKEN_EXPIRED once the access token a sign-in was verified with has expired. */
    assertUnexpired(signIn: VerifiedSignIn): void;
  };
  users: {
    updateProfile(user: User, change: { username?: string | undefined }): Promise<User>;
  };
  servers: {
    list(
      userId: string,
      page: { cursor?: CursorPosition | undefined; limit: number },
    ): Promise<Out<typeof ListServersOutput>>;
    create(userId: string, input: McpServerCreate): Promise<McpServer>;
    update(userId: string, serverId: string, change: McpServerUpdate): Promise<McpServer>;
    remove(userId: string, serverId: string): Promise<Out<typeof DeleteServerOutput>>;
    testConnection(input: McpServerTest): Promise<Out<typeof TestServerOutput>>;
    listTools(userId: string, serverId: string): Promise<Out<typeof ListToolsOutput>>;
    listResources(userId: string, serverId: string): Promise<Out<typeof ListResourcesOutput>>;
    listPrompts(userId: string, serverId: string): Promise<Out<typeof ListPromptsOutput>>;
    listResourceTemplates(userId: string, serverId: string): Promise<Out<typeof ListResourceTemplatesOutput>>;
    readResource(userId: string, serverId: string, uri: string): Promise<Out<typeof ReadResourceOutput>>;
    getPrompt(
      userId: string,
      serverId: string,
      name: string,
      args: Record<string, string> | undefined,
    ): Promise<Out<typeof GetPromptOutput>>;
    complete(
      userId: string,
      serverId: string,
      request: Omit<CompleteInput, "server_id">,
    ): Promise<Out<typeof CompleteOutput>>;
    clientMetadataDocument(): ClientMetadataDocument;
    startOAuth(userId: string, serverId: string): Promise<Out<typeof OAuthStartOutput>>;
    /** Finishes an authorization; answers where to send the browser back to. */
    finishOAuth(input: Out<typeof OAuthCallbackInput>): Promise<string>;
  };
  statusChecker: {
    statusOf(
      userId: string,
      serverId: string,
      options?: { refresh?: boolean },
    ): Promise<Out<typeof ServerStatusOutput>>;
  };
  statusEvents: {
    /** The user's servers' status now, then each change from any process, until `signal` aborts. */
    stream(userId: string, signal: AbortSignal | undefined): AsyncGenerator<ServerStatusEvent>;
  };
  health: { check(): Promise<Out<typeof HealthOutput>> };
  /** The development outbox; absent in production, with Resend, or when switched off. */
  devOutbox: { list(email?: string): Out<typeof OutboxMessage>[] } | undefined;
  sessions: SessionProcedures;
  rateLimits: {
    /** Counts one call of `clientIp` against `bucket`; undefined when the counters cannot be reached. */
    consume(bucket: RateLimitBucket, clientIp: string): Promise<RateLimitResult | undefined>;
  };
}

/** A sign-in verified from its access token: whose, which sign-in, and until when the token holds. */
export interface VerifiedSignIn {
  user: User;
  sessionId: string;
  expiresAt: Date;
}

/** A conversation a caller may act on: user, server and session, checked to belong together. */
export interface SessionActor {
  userId: string;
  serverId: string;
  sessionId: string;
}

type SessionAction = Promise<Out<typeof SessionActionOutput>>;

/** The session engine as procedures and the session socket reach it (sessions/service.ts). */
export interface SessionProcedures {
  open(
    userId: string,
    serverId: string,
    sessionId?: string,
  ): Promise<{ actor: SessionActor; session: SessionSummary; lastEventId: number }>;
  list(userId: string, serverId: string): Promise<{ sessions: SessionSummary[] }>;
  start(userId: string, serverId: string): Promise<SessionSummary>;
  send(userId: string, serverId: string, sessionId: string | undefined, text: string): SessionAction;
  approve(userId: string, serverId: string, sessionId: string | undefined, node: NodeRef): SessionAction;
  reject(userId: string, serverId: string, sessionId: string | undefined, node: NodeRef): SessionAction;
  approveAll(userId: string, serverId: string, sessionId: string | undefined): SessionAction;
  cancel(userId: string, serverId: string, sessionId: string | undefined): SessionAction;
  respond(
    userId: string,
    serverId: string,
    sessionId: string | undefined,
    answer: {
      request_id: string;
      action: "accept" | "decline" | "cancel";
      content?: Record<string, unknown> | undefined;
    },
  ): SessionAction;
  connectionStatus(actor: SessionActor): Promise<ServerPayload<"connection_status">>;
  /** Delivers the session's events (history first, or those after `after`) until closed. */
  subscribe(
    actor: SessionActor,
    after: number | "history",
    deliver: (event: ServerMessage) => void | Promise<void>,
    onError?: (error: unknown) => void,
  ): Promise<{ readonly cursor: number; close(): void }>;
  artifactLink(userId: string, artifactId: string): Promise<Out<typeof ArtifactLinkOutput>>;
}

interface NodeRef {
  node_id: string;
  graph_id?: string | undefined;
}

/** Per-call context, built the same way for every transport (see `http/context.ts`). */
export interface ProcedureContext {
  services: ProcedureServices;
  clientIp: string;
  userAgent?: string;
  authorization?: string;
  /** The request's cookies (only the sign-in's refresh cookie is read: `auth/refresh-cookie.ts`). */
  cookies: Record<string, string>;
  /** Whether cookies this API sets must be `Secure` (its PUBLIC_URL is https). */
  secureCookies: boolean;
  /**
   * A sign-in the transport verified once for its whole connection (the session socket, at
   * upgrade): procedures take it instead of reading the database again on every call. Only a
   * transport that closes the connection the moment the sign-in is revoked may set it; the token's
   * expiry is still checked on every call.
   */
  signedIn?: VerifiedSignIn;
  /** Procedures and policies may set the HTTP status (e.g. 201) and headers of their answer. */
  response: { status?: number; headers: Record<string, string> };
}
