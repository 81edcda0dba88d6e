import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { OAuthCredentials } from "@mcpdeck/contracts";
import { type Database, mcpServers } from "@mcpdeck/db";
import {
  discoverAuthorizationServerMetadata,
  discoverOAuthServerInfo,
  type FetchLike,
  type OAuthClientInformationContext,
  type OAuthClientMetadata,
  type OAuthClientProvider,
  type OAuthDiscoveryState,
  type OAuthTokens,
  refreshAuthorization,
  type StoredOAuthClientInformation,
  type StoredOAuthTokens,
} from "@modelcontextprotocol/client";
import { and, eq, isNull, lt, or } from "drizzle-orm";
import type { Clock } from "../clock.js";
import type { CredentialCipher } from "../crypto/credentials.js";
import type { OAuthUrls } from "./oauth-urls.js";

/**
 * What mcpdeck keeps per OAuth-protected server, encrypted in `mcp_servers.oauth_state`. Client
 * registrations are keyed by the authorization server's issuer, and tokens carry the issuer that
 * issued them (the SDK stamps it): credentials from one authorization server are never offered to
 * another (if the server's protected-resource metadata starts naming a different one).
 */
export interface StoredOAuthState {
  clients?: Record<string, StoredOAuthClientInformation>;
  /** Stored before registrations were keyed by issuer; used for any issuer, then re-keyed. */
  client?: StoredOAuthClientInformation;
  tokens?: StoredOAuthTokens & { obtained_at: number };
  code_verifier?: string;
  /** Discovery results of the flow in progress (binds the callback to the same authorization server). */
  discovery?: OAuthDiscoveryState;
  /** Set when the server refused our tokens: the user must authorize again. */
  needs_authorization?: boolean;
}

const STATE_TTL_MS = 10 * 60_000;
/** How long one process may hold a server's refresh before others may take over. */
const REFRESH_LEASE_MS = 30_000;

const withoutObtainedAt = ({
  obtained_at: _obtainedAt,
  ...tokens
}: NonNullable<StoredOAuthState["tokens"]>): StoredOAuthTokens => tokens;

/** Issuers match ignoring one trailing slash (as the SDK compares them, RFC 8414 §3.3). */
const sameIssuer = (a: string, b: string) => a.replace(/\/$/, "") === b.replace(/\/$/, "");

export const oauthStateAad = (serverId: string, userId: string) =>
  `mcp_servers:${serverId}:${userId}:oauth_state`;

/** `state` parameter bound to the user and the server, signed so a callback cannot be forged or swapped. */
export function createOAuthStateCodec(secret: Buffer, clock: Clock) {
  const mac = (payload: string) =>
    createHmac("sha256", secret).update(`oauth-state\0${payload}`).digest("base64url");
  return {
    encode(userId: string, serverId: string): string {
      const payload = Buffer.from(
        JSON.stringify({
          u: userId,
          s: serverId,
          n: randomBytes(12).toString("base64url"),
          e: clock.now().getTime() + STATE_TTL_MS,
        }),
      ).toString("base64url");
      return `${payload}.${mac(payload)}`;
    },
    decode(state: string): { userId: string; serverId: string } | undefined {
      const [payload, sig] = state.split(".");
      if (!payload || !sig) return undefined;
      const expected = Buffer.from(mac(payload));
      const actual = Buffer.from(sig);
      if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return undefined;
      try {
        const data = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as {
          u: string;
          s: string;
          e: number;
        };
        if (typeof data.u !== "string" || typeof data.s !== "string" || data.e < clock.now().getTime())
          return undefined;
        return { userId: data.u, serverId: data.s };
      } catch {
        return undefined;
      }
    },
  };
}
export type OAuthStateCodec = ReturnType<typeof createOAuthStateCodec>;

/**
 * The SDK's OAuthClientProvider over one registered server's row: registrations, PKCE verifier,
 * discovery state and tokens are read from and written to the database, encrypted; nothing is kept
 * only in memory, so any API process can finish a flow another one started.
 *
 * Which client mcpdeck is to an authorization server, in the SDK's order: the pre-registered
 * client when the server's credentials name one; else the Client ID Metadata Document's URL when
 * the authorization server advertises `client_id_metadata_document_supported` (and PUBLIC_URL is
 * https); else dynamic client registration.
 */
export class DbOAuthProvider implements OAuthClientProvider {
  /** The authorization URL the SDK asked us to send the user to (returned by oauth/start). */
  authorizationUrl?: URL;
  /** The refresh in flight: callers share it, so a server's tokens are refreshed one at a time. */
  private refreshing: Promise<OAuthTokens | undefined> | undefined;

  constructor(
    private readonly deps: {
      db: Database;
      cipher: CredentialCipher;
      states: OAuthStateCodec;
      clock: Clock;
      urls: OAuthUrls;
      fetchFn: FetchLike;
    },
    private readonly server: {
      id: string;
      userId: string;
      url: string;
      credentials?: OAuthCredentials | undefined;
    },
  ) {}

  get redirectUrl(): string {
    return this.deps.urls.callback;
  }

  get clientMetadataUrl(): string | undefined {
    return this.deps.urls.clientMetadataUrl;
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: "mcpdeck",
      redirect_uris: [this.deps.urls.callback],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: this.server.credentials?.client_secret ? "client_secret_post" : "none",
      ...(this.server.credentials?.scope ? { scope: this.server.credentials.scope } : {}),
    };
  }

  state(): string {
    return this.deps.states.encode(this.server.userId, this.server.id);
  }

  private async load(): Promise<StoredOAuthState> {
    const [row] = await this.deps.db
      .select({ oauthState: mcpServers.oauthState })
      .from(mcpServers)
      .where(and(eq(mcpServers.id, this.server.id), eq(mcpServers.userId, this.server.userId)));
    if (!row?.oauthState) return {};
    return this.deps.cipher.decrypt<StoredOAuthState>(
      row.oauthState,
      oauthStateAad(this.server.id, this.server.userId),
    );
  }

  private async update(change: (s: StoredOAuthState) => StoredOAuthState): Promise<void> {
    const next = change(await this.load());
    await this.deps.db
      .update(mcpServers)
      .set({ oauthState: this.deps.cipher.encrypt(next, oauthStateAad(this.server.id, this.server.userId)) })
      .where(and(eq(mcpServers.id, this.server.id), eq(mcpServers.userId, this.server.userId)));
  }

  async clientInformation(
    ctx?: OAuthClientInformationContext,
  ): Promise<StoredOAuthClientInformation | undefined> {
    const configured = this.server.credentials;
    if (configured?.client_id) {
      // Pre-registered for this server's authorization server, whichever issuer it names.
      return {
        client_id: configured.client_id,
        ...(configured.client_secret ? { client_secret: configured.client_secret } : {}),
        ...(ctx ? { issuer: ctx.issuer } : {}),
      };
    }
    const state = await this.load();
    if (!ctx) return undefined;
    const stored = Object.entries(state.clients ?? {}).find(([issuer]) =>
      sameIssuer(issuer, ctx.issuer),
    )?.[1];
    return stored ?? state.client;
  }

  async saveClientInformation(
    client: StoredOAuthClientInformation,
    ctx?: OAuthClientInformationContext,
  ): Promise<void> {
    const issuer = ctx?.issuer ?? client.issuer;
    if (issuer === undefined) return;
    await this.update(({ client: _unkeyed, ...s }) => ({
      ...s,
      clients: { ...s.clients, [issuer]: client },
    }));
  }

  async saveDiscoveryState(discovery: OAuthDiscoveryState): Promise<void> {
    await this.update((s) => ({ ...s, discovery }));
  }

  async discoveryState(): Promise<OAuthDiscoveryState | undefined> {
    return (await this.load()).discovery;
  }

  /**
   * The current tokens, refreshed first when the access token is about to expire. Refreshing here,
   * behind one shared promise, keeps concurrent requests from each spending the (rotating) refresh
   * token — which would leave all but one of them holding a dead token.
   */
  async tokens(ctx?: OAuthClientInformationContext): Promise<StoredOAuthTokens | undefined> {
    const state = await this.load();
    if (!state.tokens || state.needs_authorization) return undefined;
    const obtainedAt = state.tokens.obtained_at;
    const tokens = withoutObtainedAt(state.tokens);
    if (ctx && tokens.issuer && !sameIssuer(tokens.issuer, ctx.issuer)) return undefined;
    if (tokens.expires_in && tokens.refresh_token) {
      const lifetimeMs = tokens.expires_in * 1000;
      const margin = Math.min(30_000, lifetimeMs / 4);
      if (obtainedAt + lifetimeMs - margin <= this.deps.clock.now().getTime()) {
        this.refreshing ??= this.refreshNow(tokens.refresh_token).finally(() => {
          this.refreshing = undefined;
        });
        return (await this.refreshing) ?? tokens;
      }
    }
    return tokens;
  }

  /**
   * Refreshes under a lease on the server's row, so that across every API process one refresh runs
   * at a time; the others wait for it and use the tokens it stored. The stored refresh token is
   * re-read before spending it: a rotated token is never sent twice.
   */
  private async refreshNow(refreshToken: string): Promise<StoredOAuthTokens | undefined> {
    const waitUntil = Date.now() + REFRESH_LEASE_MS;
    for (;;) {
      const current = (await this.load()).tokens;
      if (current && current.refresh_token !== refreshToken) return withoutObtainedAt(current);
      if (await this.acquireRefreshLease()) break;
      if (Date.now() > waitUntil) return undefined;
      await new Promise((r) => setTimeout(r, 50));
    }
    try {
      const state = await this.load();
      const current = state.tokens;
      if (current && current.refresh_token !== refreshToken) return withoutObtainedAt(current);
      // The authorization server the flow found, else discovered again; its issuer must be the one
      // that issued the tokens (validated metadata: the SDK checks the issuer it echoes).
      const discovered = state.discovery?.authorizationServerUrl
        ? {
            authorizationServerUrl: state.discovery.authorizationServerUrl,
            authorizationServerMetadata:
              state.discovery.authorizationServerMetadata ??
              (await discoverAuthorizationServerMetadata(state.discovery.authorizationServerUrl, {
                fetchFn: this.deps.fetchFn,
              })),
          }
        : await discoverOAuthServerInfo(this.server.url, { fetchFn: this.deps.fetchFn });
      const issuer = discovered.authorizationServerMetadata?.issuer ?? discovered.authorizationServerUrl;
      if (current?.issuer && !sameIssuer(current.issuer, issuer)) return undefined;
      const client = await this.clientInformation({ issuer });
      if (!client) return undefined;
      const fresh = await refreshAuthorization(discovered.authorizationServerUrl, {
        ...(discovered.authorizationServerMetadata
          ? { metadata: discovered.authorizationServerMetadata }
          : {}),
        clientInformation: client,
        refreshToken,
        fetchFn: this.deps.fetchFn,
      });
      const stored: StoredOAuthTokens = {
        ...fresh,
        refresh_token: fresh.refresh_token ?? refreshToken,
        issuer,
      };
      await this.saveTokens(stored);
      return stored;
    } catch {
      // Leave it to the transport: a 401 runs the SDK's own recovery, ending in "authorization required".
      return undefined;
    } finally {
      await this.releaseRefreshLease();
    }
  }

  private async acquireRefreshLease(): Promise<boolean> {
    const now = this.deps.clock.now();
    const won = await this.deps.db
      .update(mcpServers)
      .set({ oauthRefreshLeaseUntil: new Date(now.getTime() + REFRESH_LEASE_MS) })
      .where(
        and(
          eq(mcpServers.id, this.server.id),
          eq(mcpServers.userId, this.server.userId),
          or(isNull(mcpServers.oauthRefreshLeaseUntil), lt(mcpServers.oauthRefreshLeaseUntil, now)),
        ),
      )
      .returning({ id: mcpServers.id });
    return won.length > 0;
  }

  private async releaseRefreshLease(): Promise<void> {
    await this.deps.db
      .update(mcpServers)
      .set({ oauthRefreshLeaseUntil: null })
      .where(and(eq(mcpServers.id, this.server.id), eq(mcpServers.userId, this.server.userId)));
  }

  async hasTokens(): Promise<boolean> {
    const s = await this.load();
    return Boolean(s.tokens) && !s.needs_authorization;
  }

  async saveTokens(tokens: StoredOAuthTokens): Promise<void> {
    await this.update((s) => ({
      ...s,
      tokens: { ...tokens, obtained_at: this.deps.clock.now().getTime() },
      needs_authorization: false,
    }));
  }

  redirectToAuthorization(url: URL): void {
    this.authorizationUrl = url;
  }

  async saveCodeVerifier(codeVerifier: string): Promise<void> {
    await this.update((s) => ({ ...s, code_verifier: codeVerifier }));
  }

  async codeVerifier(): Promise<string> {
    const v = (await this.load()).code_verifier;
    if (!v) throw new Error("No authorization is in progress for this server. Start it again.");
    return v;
  }

  async invalidateCredentials(scope: "all" | "client" | "tokens" | "verifier" | "discovery"): Promise<void> {
    await this.update((s) => {
      const next = { ...s };
      if (scope === "all" || scope === "tokens") {
        delete next.tokens;
        next.needs_authorization = true;
      }
      if (scope === "all" || scope === "client") {
        delete next.client;
        delete next.clients;
      }
      if (scope === "all" || scope === "verifier") delete next.code_verifier;
      if (scope === "all" || scope === "discovery") delete next.discovery;
      return next;
    });
  }
}
