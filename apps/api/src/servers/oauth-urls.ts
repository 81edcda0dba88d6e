/**
 * mcpdeck's public OAuth URLs, all derived from PUBLIC_URL here and nowhere else: the redirect
 * (callback) URL, the Client ID Metadata Document and its URL, and the web client's landing page
 * after an authorization.
 *
 * The metadata document (OAuth Client ID Metadata Document, used by the MCP authorization spec)
 * lets an authorization server that advertises `client_id_metadata_document_supported` take the
 * document's URL as mcpdeck's `client_id` and fetch the rest from it, with no registration. Its
 * URL must be https (the spec and the SDK refuse anything else), so over plain http (development)
 * mcpdeck registers dynamically instead.
 */
import type { ClientMetadataDocument } from "@mcpdeck/contracts";

/** Routes of the REST facade (under /api/v1). */
export const CALLBACK_ROUTE = "/oauth/callback";
export const CLIENT_METADATA_ROUTE = "/oauth/client-metadata.json";
const API_BASE = "/api/v1";

export interface OAuthUrls {
  /** Where authorization servers send the user back (`redirect_uri`). */
  callback: string;
  /** The metadata document's URL: mcpdeck's `client_id` where supported; undefined over plain http. */
  clientMetadataUrl: string | undefined;
  /** The metadata document served at CLIENT_METADATA_PATH. */
  clientMetadataDocument(): ClientMetadataDocument;
  /** The web client's page after an authorization, with the outcome in the query. */
  webRedirect(outcome: { serverId: string; result: "success" | "error"; message?: string }): string;
}

export function createOAuthUrls(publicUrl: string): OAuthUrls {
  const base = publicUrl.replace(/\/$/, "");
  const callback = `${base}${API_BASE}${CALLBACK_ROUTE}`;
  const documentUrl = `${base}${API_BASE}${CLIENT_METADATA_ROUTE}`;
  return {
    callback,
    clientMetadataUrl: new URL(base).protocol === "https:" ? documentUrl : undefined,
    clientMetadataDocument: () => ({
      client_id: documentUrl,
      client_name: "mcpdeck",
      client_uri: base,
      redirect_uris: [callback],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
      application_type: "web",
    }),
    webRedirect({ serverId, result, message }) {
      const web = new URL(base);
      web.searchParams.set("server_id", serverId);
      web.searchParams.set("oauth", result);
      if (message !== undefined) web.searchParams.set("message", message);
      return web.toString();
    },
  };
}
