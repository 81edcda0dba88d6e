/**
 * In-memory OAuth 2.1 authorization server for the demo (used with the SDK's mcpAuthRouter).
 *
 * - Dynamic client registration (RFC 7591) into an in-memory store.
 * - `authorize` AUTO-APPROVES: it immediately redirects back with `code` (+ `state`). No login page.
 * - PKCE S256 is verified by the SDK's token handler via `challengeForAuthorizationCode`.
 * - Access tokens expire after `accessTokenTtlSec`; refresh tokens rotate on use.
 * - `revokeAllTokens()` invalidates every code, access token and refresh token at once.
 *
 * 🚨 Demo only: nothing is persisted and anyone who can reach the server is approved.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { OAuthRegisteredClientsStore } from "@modelcontextprotocol/sdk/server/auth/clients.js";
import {
  InvalidGrantError,
  InvalidScopeError,
  InvalidTargetError,
  InvalidTokenError,
} from "@modelcontextprotocol/sdk/server/auth/errors.js";
import type {
  AuthorizationParams,
  OAuthServerProvider,
} from "@modelcontextprotocol/sdk/server/auth/provider.js";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import type {
  OAuthClientInformationFull,
  OAuthTokenRevocationRequest,
  OAuthTokens,
} from "@modelcontextprotocol/sdk/shared/auth.js";
import type { Response } from "express";

const AUTHORIZATION_CODE_TTL_MS = 10 * 60 * 1000;
const REFRESH_TOKEN_TTL_MS = 30 * 24 * 60 * 60 * 1000;

export class InMemoryClientsStore implements OAuthRegisteredClientsStore {
  private readonly clients = new Map<string, OAuthClientInformationFull>();

  async getClient(clientId: string): Promise<OAuthClientInformationFull | undefined> {
    return this.clients.get(clientId);
  }

  async registerClient(
    client: Omit<OAuthClientInformationFull, "client_id" | "client_id_issued_at">,
  ): Promise<OAuthClientInformationFull> {
    // The SDK's registration handler generates client_id; fall back to one here just in case.
    const full = { client_id: randomUUID(), client_id_issued_at: Math.floor(Date.now() / 1000), ...client };
    this.clients.set(full.client_id, full);
    return full;
  }

  get size(): number {
    return this.clients.size;
  }
}

interface CodeRecord {
  clientId: string;
  codeChallenge: string;
  redirectUri: string;
  scopes: string[];
  resource: URL;
  expiresAt: number;
}

interface TokenRecord {
  clientId: string;
  scopes: string[];
  resource: URL;
  /** Epoch ms. */
  expiresAt: number;
}

export interface DemoOAuthProviderOptions {
  /** The protected resource (the MCP endpoint URL); tokens are bound to it. */
  resourceUrl: URL;
  /** Scopes the server grants; requested scopes outside this list are dropped. */
  scopesSupported: readonly string[];
  /** Access token lifetime in seconds (default 3600). */
  accessTokenTtlSec?: number;
}

const newToken = (): string => randomBytes(32).toString("base64url");

export class DemoOAuthProvider implements OAuthServerProvider {
  readonly clientsStore = new InMemoryClientsStore();
  private readonly codes = new Map<string, CodeRecord>();
  private readonly accessTokens = new Map<string, TokenRecord>();
  private readonly refreshTokens = new Map<string, TokenRecord>();
  private issued = 0;
  private readonly ttlSec: number;

  constructor(private readonly options: DemoOAuthProviderOptions) {
    this.ttlSec = options.accessTokenTtlSec ?? 3600;
    if (!(this.ttlSec > 0)) throw new Error("accessTokenTtlSec must be > 0");
  }

  /** Auto-approves: immediately redirects to the client's redirect_uri with a fresh code. */
  async authorize(
    client: OAuthClientInformationFull,
    params: AuthorizationParams,
    res: Response,
  ): Promise<void> {
    const resource = this.checkResource(params.resource);
    const code = newToken();
    this.codes.set(code, {
      clientId: client.client_id,
      codeChallenge: params.codeChallenge,
      redirectUri: params.redirectUri,
      scopes: this.grantScopes(params.scopes),
      resource,
      expiresAt: Date.now() + AUTHORIZATION_CODE_TTL_MS,
    });
    const target = new URL(params.redirectUri);
    target.searchParams.set("code", code);
    if (params.state !== undefined) target.searchParams.set("state", params.state);
    res.redirect(302, target.href);
  }

  async challengeForAuthorizationCode(
    client: OAuthClientInformationFull,
    authorizationCode: string,
  ): Promise<string> {
    return this.validCode(client, authorizationCode).codeChallenge;
  }

  async exchangeAuthorizationCode(
    client: OAuthClientInformationFull,
    authorizationCode: string,
    _codeVerifier?: string,
    redirectUri?: string,
    resource?: URL,
  ): Promise<OAuthTokens> {
    const record = this.validCode(client, authorizationCode);
    this.codes.delete(authorizationCode); // one-time use
    if (redirectUri !== undefined && redirectUri !== record.redirectUri) {
      throw new InvalidGrantError("redirect_uri does not match the authorization request");
    }
    if (resource !== undefined && !sameResource(resource, record.resource)) {
      throw new InvalidTargetError("resource does not match the authorization request");
    }
    return this.issueTokens(client.client_id, record.scopes, record.resource);
  }

  async exchangeRefreshToken(
    client: OAuthClientInformationFull,
    refreshToken: string,
    scopes?: string[],
    resource?: URL,
  ): Promise<OAuthTokens> {
    const record = this.refreshTokens.get(refreshToken);
    if (!record || record.expiresAt < Date.now()) {
      this.refreshTokens.delete(refreshToken);
      throw new InvalidGrantError("Invalid, expired or revoked refresh token");
    }
    if (record.clientId !== client.client_id)
      throw new InvalidGrantError("Refresh token was issued to another client");
    if (scopes?.some((s) => !record.scopes.includes(s))) {
      throw new InvalidScopeError("Requested scope exceeds the originally granted scope");
    }
    if (resource !== undefined && !sameResource(resource, record.resource)) {
      throw new InvalidTargetError("resource does not match the original grant");
    }
    this.refreshTokens.delete(refreshToken); // rotation: a refresh token works once
    return this.issueTokens(client.client_id, scopes?.length ? scopes : record.scopes, record.resource);
  }

  async verifyAccessToken(token: string): Promise<AuthInfo> {
    const record = this.accessTokens.get(token);
    if (!record) throw new InvalidTokenError("Invalid or revoked access token");
    if (record.expiresAt <= Date.now()) {
      this.accessTokens.delete(token);
      throw new InvalidTokenError("Access token has expired");
    }
    return {
      token,
      clientId: record.clientId,
      scopes: record.scopes,
      expiresAt: Math.floor(record.expiresAt / 1000),
      resource: record.resource,
    };
  }

  async revokeToken(client: OAuthClientInformationFull, request: OAuthTokenRevocationRequest): Promise<void> {
    for (const store of [this.accessTokens, this.refreshTokens]) {
      const record = store.get(request.token);
      if (record && record.clientId === client.client_id) store.delete(request.token);
    }
  }

  /** Invalidates every authorization code, access token and refresh token. */
  revokeAllTokens(): void {
    this.codes.clear();
    this.accessTokens.clear();
    this.refreshTokens.clear();
  }

  /** Number of access tokens issued since start (authorization code and refresh grants). */
  issuedTokenCount(): number {
    return this.issued;
  }

  private validCode(client: OAuthClientInformationFull, code: string): CodeRecord {
    const record = this.codes.get(code);
    if (!record || record.expiresAt < Date.now()) {
      this.codes.delete(code);
      throw new InvalidGrantError("Invalid or expired authorization code");
    }
    if (record.clientId !== client.client_id)
      throw new InvalidGrantError("Authorization code was issued to another client");
    return record;
  }

  private issueTokens(clientId: string, scopes: string[], resource: URL): OAuthTokens {
    const now = Date.now();
    const access_token = newToken();
    const refresh_token = newToken();
    this.accessTokens.set(access_token, { clientId, scopes, resource, expiresAt: now + this.ttlSec * 1000 });
    this.refreshTokens.set(refresh_token, {
      clientId,
      scopes,
      resource,
      expiresAt: now + REFRESH_TOKEN_TTL_MS,
    });
    this.issued++;
    return {
      access_token,
      token_type: "Bearer",
      expires_in: Math.ceil(this.ttlSec),
      refresh_token,
      scope: scopes.join(" "),
    };
  }

  /** Keeps supported scopes; an empty or unsupported request gets every supported scope. */
  private grantScopes(requested: string[] | undefined): string[] {
    const granted = (requested ?? []).filter((s) => this.options.scopesSupported.includes(s));
    return granted.length > 0 ? [...new Set(granted)] : [...this.options.scopesSupported];
  }

  /** Tokens are bound to this server: a requested resource must be on the same origin. */
  private checkResource(requested: URL | undefined): URL {
    if (requested === undefined) return this.options.resourceUrl;
    if (requested.origin !== this.options.resourceUrl.origin) {
      throw new InvalidTargetError(
        `Unknown resource ${requested.href}; this server protects ${this.options.resourceUrl.href}`,
      );
    }
    return requested;
  }
}

function sameResource(a: URL, b: URL): boolean {
  const norm = (u: URL): string => u.href.replace(/#.*$/, "").replace(/\/$/, "");
  return norm(a) === norm(b);
}
