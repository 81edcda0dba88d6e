import type {
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
  ServerStatusEvent,
  ServerStatusOutput,
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
    authenticate(accessToken: string): Promise<{ user: User; sessionId: string }>;
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
    statusOf(userId: string, serverId: string): Promise<Out<typeof ServerStatusOutput>>;
  };
  statusEvents: {
    /** The user's servers' status now, then each change from any process, until `signal` aborts. */
    stream(userId: string, signal: AbortSignal | undefined): AsyncGenerator<ServerStatusEvent>;
  };
  health: { check(): Promise<Out<typeof HealthOutput>> };
  /** The development outbox; absent in production, with Resend, or when switched off. */
  devOutbox: { list(email?: string): Out<typeof OutboxMessage>[] } | undefined;
  rateLimits: {
    /** Counts one call of `clientIp` against `bucket`; undefined when the counters cannot be reached. */
    consume(bucket: RateLimitBucket, clientIp: string): Promise<RateLimitResult | undefined>;
  };
}

/** Per-call context, built the same way for every transport (see `http/context.ts`). */
export interface ProcedureContext {
  services: ProcedureServices;
  clientIp: string;
  userAgent?: string;
  authorization?: string;
  /** Procedures and policies may set the HTTP status (e.g. 201) and headers of their answer. */
  response: { status?: number; headers: Record<string, string> };
}
