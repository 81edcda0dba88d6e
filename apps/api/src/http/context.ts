import type { IncomingMessage } from "node:http";
import type { ProcedureContext } from "../context.js";
import type { AppServices } from "../services.js";
import { createClientIp } from "./client-ip.js";

/**
 * Builds the procedure context, the one way for every transport: Fastify's tRPC adapter and the
 * REST facade (from the request), the tRPC WebSocket adapter and the session socket (from the
 * upgrade request, with the token the client sent as connection params or query). The caller's
 * address comes from the one TRUST_PROXY-aware `clientIp`.
 */
export function createContextBuilder(services: AppServices) {
  const clientIp = createClientIp(services.config.trustProxy);
  const secureCookies = new URL(services.config.publicUrl).protocol === "https:";
  return function buildContext(req: IncomingMessage, opts: { token?: string } = {}): ProcedureContext {
    const userAgent = req.headers["user-agent"];
    const authorization = opts.token ? `Bearer ${opts.token}` : req.headers.authorization;
    return {
      services,
      clientIp: clientIp(req),
      ...(userAgent ? { userAgent } : {}),
      ...(authorization ? { authorization } : {}),
      cookies: parseCookies(req.headers.cookie),
      secureCookies,
      response: { headers: {} },
    };
  };
}

export type BuildContext = ReturnType<typeof createContextBuilder>;

/**
 * The `Cookie` header as name → value (RFC 6265 §5.4: `; `-separated pairs; the first of a repeated
 * name wins, as browsers send the most specific path first). Values are not URL-decoded: ours are JWTs.
 */
export function parseCookies(header: string | undefined): Record<string, string> {
  const cookies: Record<string, string> = {};
  if (!header) return cookies;
  for (const pair of header.split(";")) {
    const eq = pair.indexOf("=");
    if (eq <= 0) continue;
    const name = pair.slice(0, eq).trim();
    const value = pair
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, "$1");
    if (name && !Object.hasOwn(cookies, name)) cookies[name] = value;
  }
  return cookies;
}
