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
  return function buildContext(req: IncomingMessage, opts: { token?: string } = {}): ProcedureContext {
    const userAgent = req.headers["user-agent"];
    const authorization = opts.token ? `Bearer ${opts.token}` : req.headers.authorization;
    return {
      services,
      clientIp: clientIp(req),
      ...(userAgent ? { userAgent } : {}),
      ...(authorization ? { authorization } : {}),
      response: { headers: {} },
    };
  };
}

export type BuildContext = ReturnType<typeof createContextBuilder>;
