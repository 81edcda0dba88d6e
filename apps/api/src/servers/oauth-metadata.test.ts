/**
 * OAuth client identity per the current MCP authorization spec: an authorization server that
 * advertises `client_id_metadata_document_supported` gets mcpdeck's Client ID Metadata Document URL
 * as `client_id` and fetches the document from the API; one that does not gets a dynamic
 * registration. The document's URL must be https, so here the API is served at an https PUBLIC_URL
 * through a TLS front on loopback, and the authorization server trusts that front's certificate.
 */
import http from "node:http";
import https from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { type OAuthPeer, selfSignedCert, startOAuthPeer } from "@mcpdeck/mcp/testing";
import { Agent, fetch as undiciFetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../testing/harness.js";

let app: TestApp;
let token: string;
let front: https.Server;
const frontSockets = new Set<Socket>();
let publicUrl: string;
let trustFront: Agent;

beforeAll(async () => {
  const tls = selfSignedCert();
  let target = "";
  front = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    const upstream = http.request(
      new URL(req.url ?? "/", target),
      { method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  front.on("secureConnection", (s: Socket) => {
    frontSockets.add(s);
    s.on("close", () => frontSockets.delete(s));
  });
  await new Promise<void>((resolve) => front.listen(0, "127.0.0.1", resolve));
  publicUrl = `https://127.0.0.1:${(front.address() as AddressInfo).port}`;
  app = await startTestApp({ env: { PUBLIC_URL: publicUrl }, statusChecks: false });
  target = app.url;
  trustFront = new Agent({ connect: { ca: tls.cert } });
  token = (await app.signIn("cimd@example.com")).access_token;
});

afterAll(async () => {
  await app.close();
  await trustFront.close();
  for (const s of frontSockets) s.destroy();
  await new Promise<void>((resolve) => front.close(() => resolve()));
});

const documentUrl = () => `${publicUrl}/api/v1/oauth/client-metadata.json`;

/** Starts the flow, lets the authorization server approve, and returns the callback it sent back. */
async function authorize(serverId: string) {
  const start = await app.request("POST", `/api/v1/servers/${serverId}/oauth/start`, { token });
  expect(start.status).toBe(200);
  const authorizationUrl = new URL(start.body.authorization_url);
  const consent = await fetch(authorizationUrl, { redirect: "manual" });
  expect(consent.status).toBe(302);
  return { authorizationUrl, back: new URL(consent.headers.get("location")!) };
}

async function register(peer: OAuthPeer, name: string) {
  const created = await app.request("POST", "/api/v1/servers", {
    token,
    body: { name, url: peer.url, auth_method: "oauth" },
  });
  expect(created.status).toBe(201);
  return created.body.id as string;
}

describe("mcpdeck's Client ID Metadata Document", () => {
  it("is served at a stable public URL and names that URL as its client_id", async () => {
    const res = await app.request("GET", "/api/v1/oauth/client-metadata.json");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      client_id: documentUrl(),
      client_name: "mcpdeck",
      client_uri: publicUrl,
      redirect_uris: [`${publicUrl}/api/v1/oauth/callback`],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
      application_type: "web",
    });
    // The same document through the public https URL an authorization server would use.
    const fetched = await undiciFetch(documentUrl(), { dispatcher: trustFront });
    expect(await fetched.json()).toMatchObject({ client_id: documentUrl() });
  });

  it("is used as client_id where the authorization server supports it: no registration", async () => {
    const peer = await startOAuthPeer({
      metadataDocuments: true,
      fetchDocument: (url) => undiciFetch(url, { dispatcher: trustFront }) as unknown as Promise<Response>,
    });
    try {
      const serverId = await register(peer, "cimd");
      const { authorizationUrl, back } = await authorize(serverId);
      expect(authorizationUrl.searchParams.get("client_id")).toBe(documentUrl());
      expect(peer.documentsFetched).toEqual([documentUrl()]);
      expect(`${back.origin}${back.pathname}`).toBe(`${publicUrl}/api/v1/oauth/callback`);
      expect(back.searchParams.get("iss")).toBe(peer.origin);

      const callback = await app.request("GET", `${back.pathname}${back.search}`);
      expect(callback.status).toBe(302);
      expect(new URL(callback.headers.get("location")!).searchParams.get("oauth")).toBe("success");
      expect(peer.registrations()).toBe(0);

      const tools = await app.request("GET", `/api/v1/servers/${serverId}/tools`, { token });
      expect(tools.status).toBe(200);
      expect(tools.body.tools.map((t: { name: string }) => t.name)).toContain("echo");
      const status = await app.request("GET", `/api/v1/servers/${serverId}/status`, { token });
      expect(status.body.status).toBe("online");
      const [row] = (await app.db.execute(
        `select server_info from mcp_servers where id = '${serverId}'`,
      )) as {
        server_info: unknown;
      }[];
      const info = (
        typeof row!.server_info === "string" ? JSON.parse(row!.server_info) : row!.server_info
      ) as Record<string, unknown>;
      expect(info).toMatchObject({
        era: "modern",
        protocol_version: "2026-07-28",
        transport: "streamable_http",
      });
    } finally {
      await peer.close();
    }
  });

  it("refuses an authorization answer that names another issuer", async () => {
    const peer = await startOAuthPeer({
      metadataDocuments: true,
      fetchDocument: (url) => undiciFetch(url, { dispatcher: trustFront }) as unknown as Promise<Response>,
    });
    try {
      const serverId = await register(peer, "mixup");
      const { back } = await authorize(serverId);
      back.searchParams.set("iss", "https://attacker.example.com");
      const callback = await app.request("GET", `${back.pathname}${back.search}`);
      const landing = new URL(callback.headers.get("location")!);
      expect(landing.searchParams.get("oauth")).toBe("error");
      expect(peer.tokensIssued()).toBe(0);
    } finally {
      await peer.close();
    }
  });

  it("falls back to dynamic registration where the authorization server does not support it", async () => {
    const peer = await startOAuthPeer({ metadataDocuments: false });
    try {
      const serverId = await register(peer, "dcr");
      const { authorizationUrl, back } = await authorize(serverId);
      expect(peer.registrations()).toBe(1);
      expect(authorizationUrl.searchParams.get("client_id")).toBe("client-1");
      const callback = await app.request("GET", `${back.pathname}${back.search}`);
      expect(new URL(callback.headers.get("location")!).searchParams.get("oauth")).toBe("success");
      expect((await app.request("GET", `/api/v1/servers/${serverId}/tools`, { token })).status).toBe(200);
    } finally {
      await peer.close();
    }
  });
});
