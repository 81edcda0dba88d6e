import {
  type AuthMethod,
  type CompleteInput,
  type CursorPosition,
  encodeCursor,
  type McpServer,
  type McpServerCreate,
  type McpServerTest,
  type McpServerUpdate,
  type OAuthCredentials,
  type ParsedCredentials,
  parseCredentials,
} from "@mcpdeck/contracts";
import { type Database, isUniqueViolation, mcpServers, newId } from "@mcpdeck/db";
import {
  type ConnectionPool,
  connectMcp,
  describeEra,
  type McpConnection,
  McpConnectionError,
  type McpEndpointConfig,
  parseEraVerdict,
  redact,
  SsrfError,
  type SsrfGuard,
} from "@mcpdeck/mcp";
import { auth as runOAuth } from "@modelcontextprotocol/client";
import { and, asc, eq, gt, or } from "drizzle-orm";
import type { Clock } from "../clock.js";
import type { CredentialCipher } from "../crypto/credentials.js";
import { AppError, notFound } from "../errors.js";
import { insertServer } from "./insert.js";
import { DbOAuthProvider, type OAuthStateCodec } from "./oauth.js";
import type { OAuthUrls } from "./oauth-urls.js";
import {
  toCompletion,
  toPrompt,
  toPromptMessages,
  toResource,
  toResourceContents,
  toTemplate,
  toTool,
} from "./views.js";

export type ServerRow = typeof mcpServers.$inferSelect;

export const credentialsAad = (serverId: string, userId: string) =>
  `mcp_servers:${serverId}:${userId}:credentials`;

export function toMcpServer(row: ServerRow): McpServer {
  return {
    id: row.id,
    name: row.name,
    url: row.url,
    auth_method: row.authMethod,
    status: row.status,
    timeout: row.timeoutSec,
    ssl_verify: row.sslVerify,
    has_credentials: row.credentials !== null,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

function validateCredentials(authMethod: AuthMethod, credentials: unknown): ParsedCredentials {
  const parsed = parseCredentials(authMethod, credentials);
  if (!parsed.ok) {
    throw new AppError(
      "VALIDATION_FAILED",
      `credentials do not match auth_method "${authMethod}": ${parsed.issues[0]!.message}`,
      {
        issues: parsed.issues,
      },
    );
  }
  return parsed.value;
}

export interface ServerServiceDeps {
  db: Database;
  clock: Clock;
  cipher: CredentialCipher;
  guard: SsrfGuard;
  pool: ConnectionPool;
  oauthStates: OAuthStateCodec;
  oauthUrls: OAuthUrls;
}

/** The MCP server registry: every query is scoped to its owner; another user's server is a 404. */
export function createServerService(deps: ServerServiceDeps) {
  const { db, clock, cipher, guard, pool, oauthUrls } = deps;

  async function getOwned(userId: string, serverId: string): Promise<ServerRow> {
    const [row] = await db
      .select()
      .from(mcpServers)
      .where(and(eq(mcpServers.id, serverId), eq(mcpServers.userId, userId)));
    if (!row) throw notFound("MCP server");
    return row;
  }

  /** Refuses URLs whose host is or resolves to a forbidden address; an unresolvable host may still be saved. */
  async function checkDestination(url: string) {
    try {
      await guard.checkUrl(url);
    } catch (error) {
      if (error instanceof SsrfError) {
        throw new AppError("VALIDATION_FAILED", error.message, {
          issues: [{ path: "url", message: error.message }],
          reason: "SSRF_BLOCKED",
        });
      }
    }
  }

  function encryptCredentials(serverId: string, userId: string, parsed: ParsedCredentials): string | null {
    if (parsed.auth_method === "none") return null;
    if (parsed.auth_method === "oauth" && Object.keys(parsed.credentials).length === 0) return null;
    return cipher.encrypt(parsed.credentials, credentialsAad(serverId, userId));
  }

  function decryptCredentials(row: ServerRow): ParsedCredentials {
    if (row.authMethod === "none" || !row.credentials) {
      return row.authMethod === "oauth" ? { auth_method: "oauth", credentials: {} } : { auth_method: "none" };
    }
    const value = cipher.decrypt<Record<string, unknown>>(
      row.credentials,
      credentialsAad(row.id, row.userId),
    );
    return { auth_method: row.authMethod, credentials: value } as ParsedCredentials;
  }

  /** What the user stored that must never come back in a message (an authorization server may echo it). */
  function storedSecrets(row: ServerRow): string[] {
    const parsed = decryptCredentials(row);
    if (parsed.auth_method === "api_key") return [parsed.credentials.api_key];
    if (parsed.auth_method === "oauth" && parsed.credentials.client_secret)
      return [parsed.credentials.client_secret];
    return [];
  }

  /** fetch for OAuth discovery, registration and token calls: SSRF-checked, honouring ssl_verify. */
  const oauthFetchers = new Map<boolean, ReturnType<SsrfGuard["guardedFetch"]>>();
  const oauthFetch = (row: ServerRow) => {
    let f = oauthFetchers.get(row.sslVerify);
    if (!f) {
      f = guard.guardedFetch(guard.createDispatcher({ rejectUnauthorized: row.sslVerify }));
      oauthFetchers.set(row.sslVerify, f);
    }
    return f;
  };

  // One provider per stored configuration, so the pool sees the same provider (and keeps the warm
  // connection) until the server's credentials change.
  const providers = new Map<string, { fingerprint: string; provider: DbOAuthProvider }>();

  function oauthProvider(row: ServerRow): DbOAuthProvider {
    const fingerprint = `${row.url}|${row.credentials ?? ""}`;
    const cached = providers.get(row.id);
    if (cached?.fingerprint === fingerprint) return cached.provider;
    const parsed = decryptCredentials(row);
    const provider = new DbOAuthProvider(
      { db, cipher, states: deps.oauthStates, clock, urls: oauthUrls, fetchFn: oauthFetch(row) },
      {
        id: row.id,
        userId: row.userId,
        url: row.url,
        credentials: parsed.auth_method === "oauth" ? (parsed.credentials as OAuthCredentials) : undefined,
      },
    );
    providers.set(row.id, { fingerprint, provider });
    return provider;
  }

  /**
   * The connection-layer view of a stored server (credentials decrypted in memory only), with the
   * protocol era the last status check found (so the next connect skips the probe).
   */
  function endpointFor(row: ServerRow): McpEndpointConfig {
    const parsed = decryptCredentials(row);
    const era = parseEraVerdict((row.serverInfo as { era_verdict?: unknown } | null)?.era_verdict);
    return {
      url: row.url,
      authMethod: row.authMethod,
      timeoutSec: row.timeoutSec,
      sslVerify: row.sslVerify,
      ...(era ? { era } : {}),
      ...(parsed.auth_method === "api_key" ? { apiKey: parsed.credentials } : {}),
      ...(parsed.auth_method === "oauth" ? { oauthProvider: oauthProvider(row) } : {}),
    };
  }

  /** The one key of a server's pooled connection: per user, so users never share a connection. */
  const poolKey = (row: Pick<ServerRow, "userId" | "id">) => `${row.userId}:${row.id}`;

  function withConnection<T>(row: ServerRow, fn: (c: McpConnection) => Promise<T>): Promise<T> {
    return pool.withConnection(poolKey(row), endpointFor(row), fn);
  }

  async function list(userId: string, input: { cursor?: CursorPosition | undefined; limit: number }) {
    const after = input.cursor;
    const rows = await db
      .select()
      .from(mcpServers)
      .where(
        and(
          eq(mcpServers.userId, userId),
          after
            ? or(
                gt(mcpServers.createdAt, after.createdAt),
                and(eq(mcpServers.createdAt, after.createdAt), gt(mcpServers.id, after.id)),
              )
            : undefined,
        ),
      )
      .orderBy(asc(mcpServers.createdAt), asc(mcpServers.id))
      .limit(input.limit + 1);
    const page = rows.slice(0, input.limit);
    return {
      servers: page.map(toMcpServer),
      ...(rows.length > input.limit ? { next: encodeCursor(page[page.length - 1]!) } : {}),
    };
  }

  const nameTaken = (name: string) =>
    new AppError("SERVER_NAME_TAKEN", `You already have a server named "${name}". Choose another name.`, {
      issues: [{ path: "name", message: "already used by another of your servers" }],
    });

  async function create(userId: string, input: McpServerCreate): Promise<McpServer> {
    await checkDestination(input.url);
    const id = newId();
    const row = await insertServer(
      db,
      {
        id,
        userId,
        name: input.name,
        url: input.url,
        authMethod: input.auth_method,
        credentials: encryptCredentials(id, userId, input),
        timeoutSec: input.timeout,
        sslVerify: input.ssl_verify,
      },
      clock.now(),
    );
    if (!row) throw nameTaken(input.name);
    return toMcpServer(row);
  }

  async function update(userId: string, serverId: string, input: McpServerUpdate): Promise<McpServer> {
    const row = await getOwned(userId, serverId);
    const authMethod = input.auth_method ?? row.authMethod;
    const authChanged = authMethod !== row.authMethod;
    let credentials: string | null | undefined;
    if (input.credentials !== undefined || authChanged) {
      if (input.credentials === undefined && authMethod === "api_key") {
        throw new AppError(
          "VALIDATION_FAILED",
          'Switching to auth_method "api_key" needs credentials.api_key.',
          {
            issues: [{ path: "credentials.api_key", message: "required" }],
          },
        );
      }
      credentials = encryptCredentials(row.id, userId, validateCredentials(authMethod, input.credentials));
    }
    if (input.url !== undefined) await checkDestination(input.url);
    const endpointChanged =
      authChanged || credentials !== undefined || (input.url !== undefined && input.url !== row.url);
    // What a pooled connection was opened with: a change needs a new connection; a rename does not.
    const connectionChanged =
      endpointChanged ||
      (input.timeout !== undefined && input.timeout !== row.timeoutSec) ||
      (input.ssl_verify !== undefined && input.ssl_verify !== row.sslVerify);
    try {
      const [updated] = await db
        .update(mcpServers)
        .set({
          ...(input.name !== undefined ? { name: input.name } : {}),
          ...(input.url !== undefined ? { url: input.url } : {}),
          ...(input.timeout !== undefined ? { timeoutSec: input.timeout } : {}),
          ...(input.ssl_verify !== undefined ? { sslVerify: input.ssl_verify } : {}),
          authMethod,
          ...(credentials !== undefined ? { credentials } : {}),
          // Tokens belong to the old endpoint or client: drop them and check the server afresh.
          ...(endpointChanged ? { oauthState: null, nextCheckAt: clock.now() } : {}),
          updatedAt: clock.now(),
        })
        .where(and(eq(mcpServers.id, serverId), eq(mcpServers.userId, userId)))
        .returning();
      if (!updated) throw notFound("MCP server");
      // Calls running on the old connection finish on it; new calls open one with the new settings.
      if (connectionChanged) await pool.retire(poolKey(updated));
      return toMcpServer(updated);
    } catch (error) {
      if (isUniqueViolation(error)) throw nameTaken(input.name ?? row.name);
      throw error;
    }
  }

  async function remove(userId: string, serverId: string) {
    const deleted = await db
      .delete(mcpServers)
      .where(and(eq(mcpServers.id, serverId), eq(mcpServers.userId, userId)))
      .returning({ id: mcpServers.id });
    if (deleted.length === 0) throw notFound("MCP server");
    await pool.evict(poolKey({ userId, id: serverId }));
    providers.delete(serverId);
    return { status: "deleted" as const };
  }

  /** Turns a connection failure into a 400 (test) or 502 (live use) with the specific reason. */
  function connectionFailure(error: unknown, status: "test" | "upstream"): AppError {
    if (error instanceof McpConnectionError || error instanceof SsrfError) {
      return new AppError(status === "test" ? "CONNECTION_FAILED" : "UPSTREAM_ERROR", error.message, {
        reason: error.code,
      });
    }
    if (error instanceof AppError) return error;
    const message = error instanceof Error ? error.message : String(error);
    return new AppError(
      status === "test" ? "CONNECTION_FAILED" : "UPSTREAM_ERROR",
      `The MCP server failed: ${message}`,
      {
        reason: "PROTOCOL_ERROR",
      },
    );
  }

  async function testConnection(input: McpServerTest) {
    if (input.auth_method === "oauth") {
      throw new AppError(
        "CONNECTION_FAILED",
        "This server uses OAuth: save it, then authorize mcpdeck from the server's page to connect.",
        { reason: "AUTH_REQUIRED" },
      );
    }
    let connection: McpConnection | undefined;
    try {
      connection = await connectMcp(
        {
          url: input.url,
          authMethod: input.auth_method,
          timeoutSec: input.timeout,
          sslVerify: input.ssl_verify,
          ...(input.auth_method === "api_key" ? { apiKey: input.credentials } : {}),
        },
        { guard },
      );
      const tools = await connection.listTools();
      const info = connection.serverInfo;
      const transport = connection.transport === "sse" ? "legacy SSE" : "streamable HTTP";
      return {
        status: "success" as const,
        message: `Connected to ${info.name} ${info.version} over ${transport} (protocol ${connection.protocolVersion}, ${describeEra(connection.era)}): ${tools.length} tool${tools.length === 1 ? "" : "s"}, handshake ${Math.round(connection.handshakeMs)} ms.`,
      };
    } catch (error) {
      throw connectionFailure(error, "test");
    } finally {
      await connection?.close().catch(() => {});
    }
  }

  /** Runs `fn` on the owner's warm connection; upstream failures become 502s with the reason. */
  async function live<T>(userId: string, serverId: string, fn: (c: McpConnection) => Promise<T>): Promise<T> {
    const row = await getOwned(userId, serverId);
    try {
      return await withConnection(row, fn);
    } catch (error) {
      throw connectionFailure(error, "upstream");
    }
  }

  async function listTools(userId: string, serverId: string) {
    return { tools: (await live(userId, serverId, (c) => c.listTools())).map(toTool) };
  }

  async function listResources(userId: string, serverId: string) {
    return { resources: (await live(userId, serverId, (c) => c.listResources())).map(toResource) };
  }

  async function listResourceTemplates(userId: string, serverId: string) {
    const templates = await live(userId, serverId, (c) => c.listResourceTemplates());
    return { resource_templates: templates.map(toTemplate) };
  }

  async function readResource(userId: string, serverId: string, uri: string) {
    const result = await live(userId, serverId, (c) => c.readResource(uri));
    return { contents: result.contents.map(toResourceContents) };
  }

  async function listPrompts(userId: string, serverId: string) {
    return { prompts: (await live(userId, serverId, (c) => c.listPrompts())).map(toPrompt) };
  }

  async function getPrompt(
    userId: string,
    serverId: string,
    name: string,
    args: Record<string, string> = {},
  ) {
    const result = await live(userId, serverId, (c) => c.getPrompt(name, args));
    return {
      ...(result.description ? { description: result.description } : {}),
      messages: toPromptMessages(result.messages),
    };
  }

  async function complete(userId: string, serverId: string, input: Omit<CompleteInput, "server_id">) {
    const completion = await live(userId, serverId, (c) =>
      c.complete({
        ref:
          input.ref.type === "prompt"
            ? { type: "ref/prompt", name: input.ref.name }
            : { type: "ref/resource", uri: input.ref.uri_template },
        argument: input.argument,
        ...(input.context ? { context: { arguments: input.context } } : {}),
      }),
    );
    return toCompletion(completion);
  }

  async function startOAuth(userId: string, serverId: string) {
    const row = await getOwned(userId, serverId);
    if (row.authMethod !== "oauth") {
      throw new AppError(
        "VALIDATION_FAILED",
        'This server does not use OAuth (auth_method is not "oauth").',
        {
          issues: [{ path: "auth_method", message: 'must be "oauth" to authorize' }],
        },
      );
    }
    await checkDestination(row.url);
    // A fresh authorization starts from a clean slate (old tokens may be revoked, the server may
    // name another authorization server now).
    providers.delete(row.id);
    const provider = oauthProvider(row);
    await provider.invalidateCredentials("tokens");
    await provider.invalidateCredentials("discovery");
    try {
      const result = await runOAuth(provider, { serverUrl: row.url, fetchFn: oauthFetch(row) });
      if (result === "REDIRECT" && provider.authorizationUrl)
        return { authorization_url: provider.authorizationUrl.toString() };
      throw new AppError("OAUTH_FAILED", "The authorization server did not ask for user authorization.");
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw new AppError(
        "OAUTH_FAILED",
        `OAuth discovery or registration failed: ${redact(error instanceof Error ? error.message : String(error), storedSecrets(row))}`,
      );
    }
  }

  async function finishOAuth(input: {
    code?: string | undefined;
    state: string;
    error?: string | undefined;
    /** The authorization server's issuer (RFC 9207), checked against the one the flow started with. */
    iss?: string | undefined;
  }) {
    const bound = deps.oauthStates.decode(input.state);
    if (!bound)
      throw new AppError(
        "OAUTH_FAILED",
        "The authorization response is invalid or expired. Start the authorization again.",
      );
    const row = await getOwned(bound.userId, bound.serverId);
    if (input.error || !input.code) {
      return oauthUrls.webRedirect({
        serverId: row.id,
        result: "error",
        message: input.error ?? "no authorization code",
      });
    }
    const provider = oauthProvider(row);
    try {
      const result = await runOAuth(provider, {
        serverUrl: row.url,
        authorizationCode: input.code,
        ...(input.iss !== undefined ? { iss: input.iss } : {}),
        fetchFn: oauthFetch(row),
      });
      if (result !== "AUTHORIZED") throw new Error("authorization was not completed");
      await db
        .update(mcpServers)
        .set({ nextCheckAt: clock.now(), statusReason: null })
        .where(eq(mcpServers.id, row.id));
      await pool.retire(poolKey(row));
      return oauthUrls.webRedirect({ serverId: row.id, result: "success" });
    } catch (error) {
      return oauthUrls.webRedirect({
        serverId: row.id,
        result: "error",
        message:
          error instanceof Error
            ? redact(error.message, storedSecrets(row)).slice(0, 200)
            : "token exchange failed",
      });
    }
  }

  return {
    getOwned,
    list,
    create,
    update,
    remove,
    testConnection,
    listTools,
    listResources,
    listResourceTemplates,
    readResource,
    listPrompts,
    getPrompt,
    complete,
    startOAuth,
    finishOAuth,
    clientMetadataDocument: () => oauthUrls.clientMetadataDocument(),
    withConnection,
    endpointFor,
    oauthProvider,
    poolKey,
  };
}

export type ServerService = ReturnType<typeof createServerService>;
