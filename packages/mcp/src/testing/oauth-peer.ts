/**
 * An OAuth-protected modern-era MCP peer on loopback that is also its own authorization server
 * (OAuth 2.1 with PKCE, RFC 8414 metadata, RFC 9728 protected-resource metadata, RFC 9207 `iss`).
 *
 * With `metadataDocuments` it advertises `client_id_metadata_document_supported`: a client whose
 * `client_id` is an https URL has its Client ID Metadata Document fetched (with `fetchDocument`,
 * which the test points at the client over loopback) and checked: the document must name itself
 * as `client_id` and list the redirect URI. Dynamic client registration is offered only without
 * `metadataDocuments`, so the test sees which one a client used.
 */
import { createHash, randomBytes } from "node:crypto";
import type http from "node:http";
import { type ModernPeer, startModernPeer } from "./modern-peer.js";

export interface OAuthPeerOptions {
  metadataDocuments: boolean;
  /** How the authorization server fetches a client's metadata document. */
  fetchDocument?: (url: string) => Promise<Response>;
  /** Access token lifetime. */
  accessTokenTtlSec?: number;
}

export interface OAuthPeer extends ModernPeer {
  origin: string;
  /** Client metadata documents fetched, by URL. */
  documentsFetched: string[];
  /** Dynamic registrations made. */
  registrations(): number;
  /** The `client_id` of each authorization request. */
  authorizedClients: string[];
  tokensIssued(): number;
}

interface Grant {
  clientId: string;
  redirectUri: string;
  challenge: string;
}

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", ...headers });
  res.end(JSON.stringify(body));
}

async function readForm(req: http.IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

const s256 = (verifier: string) => createHash("sha256").update(verifier).digest("base64url");
const token = () => randomBytes(24).toString("base64url");

export async function startOAuthPeer(opts: OAuthPeerOptions): Promise<OAuthPeer> {
  const codes = new Map<string, Grant>();
  const accessTokens = new Map<string, number>();
  const refreshTokens = new Map<string, string>();
  const registered = new Map<string, string[]>();
  const record = {
    documentsFetched: [] as string[],
    registrations: 0,
    authorizedClients: [] as string[],
    issued: 0,
  };
  let origin = "";
  const ttl = opts.accessTokenTtlSec ?? 3600;

  const issue = (clientId: string) => {
    const access = token();
    const refresh = token();
    accessTokens.set(access, Date.now() + ttl * 1000);
    refreshTokens.set(refresh, clientId);
    record.issued++;
    return { access_token: access, token_type: "Bearer", expires_in: ttl, refresh_token: refresh };
  };

  /** The redirect URIs a client may use: from its metadata document, or from its registration. */
  const redirectUrisOf = async (clientId: string): Promise<string[] | undefined> => {
    if (opts.metadataDocuments && clientId.startsWith("https://") && opts.fetchDocument) {
      record.documentsFetched.push(clientId);
      const res = await opts.fetchDocument(clientId);
      if (!res.ok) return undefined;
      const doc = (await res.json()) as { client_id?: string; redirect_uris?: string[] };
      return doc.client_id === clientId ? doc.redirect_uris : undefined;
    }
    return registered.get(clientId);
  };

  const authorizationServer = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => {
    if (url.pathname === "/.well-known/oauth-authorization-server") {
      json(res, 200, {
        issuer: origin,
        authorization_endpoint: `${origin}/authorize`,
        token_endpoint: `${origin}/token`,
        ...(opts.metadataDocuments ? {} : { registration_endpoint: `${origin}/register` }),
        response_types_supported: ["code"],
        grant_types_supported: ["authorization_code", "refresh_token"],
        code_challenge_methods_supported: ["S256"],
        token_endpoint_auth_methods_supported: ["none"],
        authorization_response_iss_parameter_supported: true,
        ...(opts.metadataDocuments ? { client_id_metadata_document_supported: true } : {}),
      });
      return;
    }
    if (url.pathname.startsWith("/.well-known/oauth-protected-resource")) {
      json(res, 200, { resource: `${origin}/mcp`, authorization_servers: [origin] });
      return;
    }
    if (url.pathname === "/register" && req.method === "POST" && !opts.metadataDocuments) {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const metadata = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { redirect_uris: string[] };
      const clientId = `client-${++record.registrations}`;
      registered.set(clientId, metadata.redirect_uris);
      json(res, 201, {
        ...metadata,
        client_id: clientId,
        client_id_issued_at: Math.floor(Date.now() / 1000),
      });
      return;
    }
    if (url.pathname === "/authorize") {
      const clientId = url.searchParams.get("client_id") ?? "";
      const redirectUri = url.searchParams.get("redirect_uri") ?? "";
      record.authorizedClients.push(clientId);
      const allowed = await redirectUrisOf(clientId);
      if (!allowed?.includes(redirectUri) || url.searchParams.get("code_challenge_method") !== "S256") {
        json(res, 400, { error: "invalid_request", error_description: "unknown client or redirect_uri" });
        return;
      }
      const code = token();
      codes.set(code, { clientId, redirectUri, challenge: url.searchParams.get("code_challenge") ?? "" });
      const back = new URL(redirectUri);
      back.searchParams.set("code", code);
      back.searchParams.set("state", url.searchParams.get("state") ?? "");
      back.searchParams.set("iss", origin);
      res.writeHead(302, { location: back.toString() }).end();
      return;
    }
    if (url.pathname === "/token" && req.method === "POST") {
      const form = await readForm(req);
      if (form.get("grant_type") === "authorization_code") {
        const grant = codes.get(form.get("code") ?? "");
        codes.delete(form.get("code") ?? "");
        const valid =
          grant &&
          grant.clientId === form.get("client_id") &&
          grant.redirectUri === form.get("redirect_uri") &&
          grant.challenge === s256(form.get("code_verifier") ?? "");
        if (!valid) return json(res, 400, { error: "invalid_grant" });
        return json(res, 200, issue(grant.clientId));
      }
      if (form.get("grant_type") === "refresh_token") {
        const clientId = refreshTokens.get(form.get("refresh_token") ?? "");
        if (!clientId || clientId !== form.get("client_id"))
          return json(res, 400, { error: "invalid_grant" });
        refreshTokens.delete(form.get("refresh_token") ?? "");
        return json(res, 200, issue(clientId));
      }
      return json(res, 400, { error: "unsupported_grant_type" });
    }
    res.writeHead(404).end();
  };

  const intercept = (req: http.IncomingMessage, res: http.ServerResponse): boolean => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname !== "/mcp") {
      authorizationServer(req, res, url).catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
      return true;
    }
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    const expires = bearer ? accessTokens.get(bearer) : undefined;
    if (expires === undefined || expires < Date.now()) {
      json(
        res,
        401,
        { error: "invalid_token" },
        {
          "www-authenticate": `Bearer resource_metadata="${origin}/.well-known/oauth-protected-resource/mcp"`,
        },
      );
      return true;
    }
    return false;
  };

  const peer = await startModernPeer({ intercept });
  origin = new URL(peer.url).origin;
  return Object.assign(peer, {
    origin,
    documentsFetched: record.documentsFetched,
    registrations: () => record.registrations,
    authorizedClients: record.authorizedClients,
    tokensIssued: () => record.issued,
  });
}
