import { isIP } from "node:net";
import { ConfigError, type Env } from "./env.js";

/** Hosts a browser reaches on the machine itself, where plain http never crosses a network. */
function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  return host === "::1";
}

/**
 * What a production start needs that development fills in by itself (the keys are checked where they
 * are read, keys.ts). Each refusal is one line naming the variable to set.
 */
export function checkProductionSettings(env: Env): void {
  const refuse = (message: string) => {
    throw new ConfigError(`Invalid configuration: ${message}`);
  };
  if (!env.DATABASE_URL)
    refuse(
      "DATABASE_URL is required when NODE_ENV=production (postgres://user:password@host:5432/mcpdeck): the embedded database is for one development machine",
    );
  if (!env.PUBLIC_URL)
    refuse(
      "PUBLIC_URL is required when NODE_ENV=production: the address people open, such as https://mcpdeck.example.com (it is the token issuer, the OAuth redirect and the allowed origin)",
    );
  const url = new URL(env.PUBLIC_URL!);
  if (url.protocol !== "https:" && url.protocol !== "http:")
    refuse(`PUBLIC_URL must be an https:// URL when NODE_ENV=production (got ${url.protocol})`);
  if (url.protocol === "http:" && !isLoopbackHost(url.hostname))
    refuse(
      `PUBLIC_URL must be https:// when NODE_ENV=production (got http://${url.host}): sign-in codes, tokens and the refresh cookie would cross the network in clear; plain http is only for localhost`,
    );
  if (!env.RESEND_API_KEY && !env.MCPDECK_LOG_SIGN_IN_CODES)
    refuse(
      "RESEND_API_KEY is required when NODE_ENV=production: without it sign-in codes are not mailed but written to the server log (set MCPDECK_LOG_SIGN_IN_CODES=true to accept that on a private deployment)",
    );
}
