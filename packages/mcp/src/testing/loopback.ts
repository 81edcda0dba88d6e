import type { McpEndpointConfig } from "../connection.js";
import { createSsrfGuard, type Resolver } from "../net/ssrf.js";

/** No DNS in tests: any name fails as an unknown host (NXDOMAIN) does. */
export const noDns: Resolver = async (host) => {
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
};

/** Loopback only: private networks opened for the test peers, and no DNS. */
export const loopbackGuard = createSsrfGuard({
  allowPrivateNetworks: true,
  allowedHosts: [],
  resolve: noDns,
});

/** An endpoint without authentication and a 5 s timeout; `extra` overrides. */
export const endpointConfig = (url: string, extra: Partial<McpEndpointConfig> = {}): McpEndpointConfig => ({
  url,
  authMethod: "none",
  timeoutSec: 5,
  sslVerify: true,
  ...extra,
});
