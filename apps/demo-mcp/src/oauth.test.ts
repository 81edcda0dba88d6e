import { createHash, randomBytes } from "node:crypto";
import { auth, type OAuthClientProvider, UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from "@modelcontextprotocol/sdk/shared/auth.js";
import { afterEach, describe, expect, it } from "vitest";
import { type DemoMcpHandle, startDemoMcpServer, TOOL_NAMES } from "./index.js";
import { connectEra, MODERN_PROTOCOL_VERSION } from "./testing/eraClients.js";
import { INITIALIZE_BODY, MCP_POST_HEADERS, newClient } from "./testing/utils.js";

/** In-memory OAuth client for tests. The redirect URI is never contacted: we read `Location` ourselves. */
class TestOAuthClient implements OAuthClientProvider {
  readonly redirectUrl = "http://127.0.0.1:1/callback";
  info: OAuthClientInformationMixed | undefined;
  saved: OAuthTokens | undefined;
  verifier = "";
  authorizationUrl: URL | undefined;

  constructor(private readonly authMethod: "none" | "client_secret_post" = "none") {}

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: "demo-mcp tests",
      redirect_uris: [this.redirectUrl],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: this.authMethod,
    };
  }
  state(): string {
    return "state-123";
  }
  clientInformation(): OAuthClientInformationMixed | undefined {
    return this.info;
  }
  saveClientInformation(info: OAuthClientInformationMixed): void {
    this.info = info;
  }
  tokens(): OAuthTokens | undefined {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens): void {
    this.saved = tokens;
  }
  redirectToAuthorization(url: URL): void {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(verifier: string): void {
    this.verifier = verifier;
  }
  codeVerifier(): string {
    return this.verifier;
  }
  invalidateCredentials(scope: "all" | "client" | "tokens" | "verifier" | "discovery"): void {
    if (scope === "all" || scope === "client") this.info = undefined;
    if (scope === "all" || scope === "tokens") this.saved = undefined;
    if (scope === "all" || scope === "verifier") this.verifier = "";
  }
}

/** Runs discovery + registration + authorization (auto-approved) + code exchange. */
async function authorize(handle: DemoMcpHandle, provider: TestOAuthClient): Promise<void> {
  expect(await auth(provider, { serverUrl: handle.url })).toBe("REDIRECT");
  const authorizationUrl = provider.authorizationUrl;
  if (!authorizationUrl) throw new Error("no authorization URL");
  expect(authorizationUrl.origin).toBe(handle.origin);
  expect(authorizationUrl.searchParams.get("code_challenge_method")).toBe("S256");
  expect(authorizationUrl.searchParams.get("resource")).toBe(handle.url);
  const res = await fetch(authorizationUrl, { redirect: "manual" });
  expect(res.status).toBe(302);
  const location = new URL(res.headers.get("location") ?? "");
  expect(`${location.origin}${location.pathname}`).toBe(provider.redirectUrl);
  expect(location.searchParams.get("state")).toBe("state-123");
  const code = location.searchParams.get("code");
  expect(code).toBeTruthy();
  expect(await auth(provider, { serverUrl: handle.url, authorizationCode: code ?? "" })).toBe("AUTHORIZED");
}

let handle: DemoMcpHandle | undefined;
afterEach(async () => {
  await handle?.close();
  handle = undefined;
});

describe("OAuth mode", () => {
  it("answers unauthenticated requests with 401 and resource metadata", async () => {
    handle = await startDemoMcpServer({ oauth: true });
    const res = await fetch(handle.url, {
      method: "POST",
      headers: MCP_POST_HEADERS,
      body: JSON.stringify(INITIALIZE_BODY),
    });
    expect(res.status).toBe(401);
    const metadataUrl = `${handle.origin}/.well-known/oauth-protected-resource/mcp`;
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer error="invalid_token"/);
    expect(res.headers.get("www-authenticate")).toContain(`resource_metadata="${metadataUrl}"`);
    expect(await res.json()).toMatchObject({ error: "invalid_token" });

    const prm = await (await fetch(metadataUrl)).json();
    expect(prm).toMatchObject({
      resource: handle.url,
      authorization_servers: [`${handle.origin}/`],
      scopes_supported: ["mcp"],
    });
    const as = await (await fetch(`${handle.origin}/.well-known/oauth-authorization-server`)).json();
    expect(as).toMatchObject({
      issuer: `${handle.origin}/`,
      authorization_endpoint: `${handle.origin}/authorize`,
      token_endpoint: `${handle.origin}/token`,
      registration_endpoint: `${handle.origin}/register`,
      revocation_endpoint: `${handle.origin}/revoke`,
      code_challenge_methods_supported: ["S256"],
    });

    for (const path of ["/sse", "/messages?sessionId=x"]) {
      const r = await fetch(`${handle.origin}${path}`, { method: path === "/sse" ? "GET" : "POST" });
      expect(r.status, path).toBe(401);
    }
    const badToken = await fetch(handle.url, {
      method: "POST",
      headers: { ...MCP_POST_HEADERS, authorization: "Bearer not-a-token" },
      body: JSON.stringify(INITIALIZE_BODY),
    });
    expect(badToken.status).toBe(401);
    expect(handle.oauth?.issuedTokenCount()).toBe(0);
  });

  it("completes discovery, registration, authorization and token exchange with the SDK auth() helper", async () => {
    handle = await startDemoMcpServer({ oauth: true });
    const provider = new TestOAuthClient();
    await authorize(handle, provider);
    expect(provider.info?.client_id).toBeTruthy();
    expect(provider.saved).toMatchObject({ token_type: "Bearer", expires_in: 3600, scope: "mcp" });
    expect(provider.saved?.refresh_token).toBeTruthy();
    expect(handle.oauth?.issuedTokenCount()).toBe(1);

    const client = newClient();
    await client.connect(new StreamableHTTPClientTransport(new URL(handle.url), { authProvider: provider }));
    expect((await client.listTools()).tools).toHaveLength(TOOL_NAMES.length);
    const result = await client.callTool({ name: "query_signups", arguments: { limit: 1 } });
    expect(result.isError).toBeFalsy();
    await client.close();

    // A 2026-07-28 client is checked by the same bearer middleware.
    await expect(connectEra("modern", handle.url)).rejects.toThrow();
    const modern = await connectEra("modern", handle.url, {
      headers: { Authorization: `Bearer ${provider.saved?.access_token}` },
    });
    expect(modern.protocolVersion).toBe(MODERN_PROTOCOL_VERSION);
    expect((await modern.callTool("query_signups", { limit: 1 })).isError).toBeFalsy();
    await modern.close();

    // The legacy SSE transport is protected by the same tokens.
    const sseClient = newClient();
    await sseClient.connect(new SSEClientTransport(new URL(handle.sseUrl), { authProvider: provider }));
    expect((await sseClient.listTools()).tools).toHaveLength(TOOL_NAMES.length);
    await sseClient.close();
  });

  it("supports confidential clients (client_secret_post)", async () => {
    handle = await startDemoMcpServer({ oauth: true });
    const provider = new TestOAuthClient("client_secret_post");
    await authorize(handle, provider);
    expect(provider.info && "client_secret" in provider.info && provider.info.client_secret).toBeTruthy();
    const client = newClient();
    await client.connect(new StreamableHTTPClientTransport(new URL(handle.url), { authProvider: provider }));
    await client.close();
  });

  it("refreshes expired access tokens (rotating the refresh token)", async () => {
    handle = await startDemoMcpServer({ oauth: true, accessTokenTtlSec: 1 });
    const provider = new TestOAuthClient();
    await authorize(handle, provider);
    expect(provider.saved?.expires_in).toBe(1);
    const firstRefresh = provider.saved?.refresh_token;
    const client = newClient();
    await client.connect(new StreamableHTTPClientTransport(new URL(handle.url), { authProvider: provider }));
    await new Promise((r) => setTimeout(r, 1100));
    // The transport gets a 401, refreshes through auth(), and retries.
    expect((await client.listTools()).tools).toHaveLength(TOOL_NAMES.length);
    expect(handle.oauth?.issuedTokenCount()).toBe(2);
    expect(provider.saved?.refresh_token).not.toBe(firstRefresh);
    await client.close();

    // A rotated refresh token cannot be used again.
    const reuse = await fetch(`${handle.origin}/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: firstRefresh ?? "",
        client_id: provider.info?.client_id ?? "",
      }),
    });
    expect(reuse.status).toBe(400);
    expect(await reuse.json()).toMatchObject({ error: "invalid_grant" });
  });

  it("revokeAllTokens() makes further calls fail with 401", async () => {
    handle = await startDemoMcpServer({ oauth: true });
    const provider = new TestOAuthClient();
    await authorize(handle, provider);
    const client = newClient();
    await client.connect(new StreamableHTTPClientTransport(new URL(handle.url), { authProvider: provider }));
    expect((await client.listTools()).tools).toHaveLength(TOOL_NAMES.length);

    handle.oauth?.revokeAllTokens();
    provider.authorizationUrl = undefined;
    const raw = await fetch(handle.url, {
      method: "POST",
      headers: { ...MCP_POST_HEADERS, authorization: `Bearer ${provider.saved?.access_token}` },
      body: JSON.stringify(INITIALIZE_BODY),
    });
    expect(raw.status).toBe(401);
    expect(raw.headers.get("www-authenticate")).toContain(
      'error_description="Invalid or revoked access token"',
    );
    // The SDK transport tries the (revoked) refresh token, gets invalid_grant, drops the tokens and
    // asks for a new interactive authorization.
    await expect(client.listTools()).rejects.toBeInstanceOf(UnauthorizedError);
    expect(provider.saved).toBeUndefined();
    expect((provider.authorizationUrl as URL | undefined)?.pathname).toBe("/authorize");
    await client.close();
  });

  it("enforces PKCE and one-time authorization codes", async () => {
    handle = await startDemoMcpServer({ oauth: true });
    const register = await fetch(`${handle.origin}/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        redirect_uris: ["http://127.0.0.1:1/cb"],
        token_endpoint_auth_method: "none",
        grant_types: ["authorization_code", "refresh_token"],
      }),
    });
    expect(register.status).toBe(201);
    const { client_id } = (await register.json()) as { client_id: string };
    const verifier = randomBytes(32).toString("base64url");
    const challenge = createHash("sha256").update(verifier).digest("base64url");
    const authorizeUrl = new URL(`${handle.origin}/authorize`);
    for (const [k, v] of Object.entries({
      client_id,
      response_type: "code",
      redirect_uri: "http://127.0.0.1:1/cb",
      code_challenge: challenge,
      code_challenge_method: "S256",
      scope: "mcp",
    })) {
      authorizeUrl.searchParams.set(k, v);
    }
    const redirect = await fetch(authorizeUrl, { redirect: "manual" });
    const code = new URL(redirect.headers.get("location") ?? "").searchParams.get("code") ?? "";
    const exchange = (codeVerifier: string) =>
      fetch(`${handle?.origin}/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "authorization_code",
          code,
          code_verifier: codeVerifier,
          client_id,
        }),
      });
    const wrong = await exchange(randomBytes(32).toString("base64url"));
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ error: "invalid_grant" });
    const ok = await exchange(verifier);
    expect(ok.status).toBe(200);
    const tokens = (await ok.json()) as OAuthTokens;
    expect(tokens.access_token).toBeTruthy();
    const again = await exchange(verifier);
    expect(again.status).toBe(400);

    // A token for this server works on /mcp; revoking it via /revoke disables it.
    const init = () =>
      fetch(handle?.url ?? "", {
        method: "POST",
        headers: { ...MCP_POST_HEADERS, authorization: `Bearer ${tokens.access_token}` },
        body: JSON.stringify(INITIALIZE_BODY),
      });
    const first = await init();
    expect(first.status).toBe(200);
    await first.body?.cancel();
    const revoke = await fetch(`${handle.origin}/revoke`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: tokens.access_token, client_id }),
    });
    expect(revoke.status).toBe(200);
    expect((await init()).status).toBe(401);

    // Unknown resources are refused at the authorization step.
    authorizeUrl.searchParams.set("resource", "https://elsewhere.example/mcp");
    const foreign = await fetch(authorizeUrl, { redirect: "manual" });
    expect(new URL(foreign.headers.get("location") ?? "").searchParams.get("error")).toBe("invalid_target");
  });
});
