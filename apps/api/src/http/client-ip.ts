import type { IncomingMessage } from "node:http";
import proxyAddr from "@fastify/proxy-addr";
import type { Config } from "../config/config.js";

/**
 * Which hops may say whom they forwarded for, read the way Express and Fastify read it (the
 * `proxy-addr` package Fastify uses): `true` trusts every hop, a number the n nearest hops (only
 * when nothing reaches the API except through that many proxies), a list the given proxy
 * addresses/CIDRs, `false` none (X-Forwarded-For is ignored).
 */
export function compileTrustProxy(trust: Config["trustProxy"]): (address: string, hop: number) => boolean {
  if (trust === true) return () => true;
  if (trust === false) return () => false;
  if (typeof trust === "number") return (_address, hop) => hop < trust;
  return proxyAddr.compile(trust);
}

/**
 * The one client address of a request, plain HTTP or a WebSocket upgrade alike: the nearest
 * address that TRUST_PROXY does not vouch for. Rate limits and sign-in IP windows key on it.
 */
export function createClientIp(trust: Config["trustProxy"]): (req: IncomingMessage) => string {
  if (trust === false) return (req) => req.socket.remoteAddress ?? "unknown";
  const trusted = compileTrustProxy(trust);
  return (req) => (req.socket.remoteAddress ? proxyAddr(req, trusted) : "unknown");
}
