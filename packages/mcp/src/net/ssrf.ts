/**
 * SSRF guard: decides which hosts/addresses mcpdeck may connect to on behalf of users, and provides the
 * network plumbing (lookup function, undici dispatcher, fetch) that enforces the decision at socket
 * level, so that what is checked is exactly what is connected to (no DNS-rebinding window).
 *
 * Policy summary
 * - Public unicast addresses are always allowed.
 * - `allowPrivateNetworks: true` opens loopback, RFC 1918 private, link-local (this INCLUDES the cloud
 *   metadata endpoint 169.254.169.254 — only enable it on hosts where that is acceptable), CGNAT
 *   100.64/10 and IPv6 unique-local fc00::/7.
 * - `allowedHosts` opens specific targets: exact hostnames (case-insensitive), "*.example.com" (any
 *   subdomain, not the apex) and CIDRs / bare IPs ("10.0.0.0/8", "127.0.0.1", "fd00::/8"). A hostname
 *   match opens every address that name resolves to; a CIDR match opens the addresses inside it.
 * - Unspecified (0.0.0.0/8, ::), multicast and broadcast are refused whatever the policy says.
 * - Documentation, benchmarking, Teredo and other reserved ranges are refused unless allow-listed.
 * - A hostname is refused when ANY of its resolved addresses is refused.
 */

import type { LookupAddress, LookupOptions } from "node:dns";
import dns from "node:dns";
import type { LookupFunction, Socket } from "node:net";
import type { Dispatcher } from "undici";
import { Agent, buildConnector, fetch as undiciFetch } from "undici";
import {
  type AddressCategory,
  ALWAYS_FORBIDDEN_CATEGORIES,
  type Cidr,
  cidrContains,
  classifyAddress,
  formatIpv4,
  ipFamily,
  PRIVATE_NETWORK_CATEGORIES,
  parseCidr,
  parseLegacyIpv4,
} from "./ip.js";

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export type Resolver = (host: string) => Promise<ResolvedAddress[]>;

export interface SsrfPolicy {
  allowPrivateNetworks: boolean;
  allowedHosts: string[];
}

export interface SsrfGuardOptions extends SsrfPolicy {
  /** Defaults to dns.promises.lookup(host, { all: true, verbatim: true }). */
  resolve?: Resolver;
}

export type SsrfRefusalKind = AddressCategory | "scheme" | "userinfo" | "invalid-url";

const PRIVATE_HINT =
  "Set MCPDECK_ALLOW_PRIVATE_NETWORKS=true or add the host to MCPDECK_ALLOWED_HOSTS for self-hosted servers.";
const ALLOWLIST_HINT = "Add the host to MCPDECK_ALLOWED_HOSTS if you really want to connect to it.";
const NEVER_HINT = "Connections to this kind of address are never allowed.";

/** Thrown when a URL or address is refused by the guard. The message is user-facing. */
export class SsrfError extends Error {
  readonly code = "SSRF_BLOCKED" as const;
  /** The hostname (or IP literal) that was refused. */
  readonly host: string;
  /** The offending address, when the refusal is about an address. */
  readonly address: string | undefined;
  readonly kind: SsrfRefusalKind;

  constructor(message: string, host: string, kind: SsrfRefusalKind, address?: string) {
    super(message);
    this.name = "SsrfError";
    this.host = host;
    this.kind = kind;
    this.address = address;
  }
}

/** Thrown when a hostname cannot be resolved. */
export class DnsError extends Error {
  readonly code = "DNS_FAILED" as const;
  readonly host: string;
  /** Resolver error code such as ENOTFOUND / EAI_AGAIN, when known. */
  readonly dnsCode: string | undefined;

  constructor(host: string, dnsCode?: string) {
    super(`Could not resolve host ${host}`);
    this.name = "DnsError";
    this.host = host;
    this.dnsCode = dnsCode;
  }
}

export type IpVerdict =
  | { allowed: true }
  | { allowed: false; reason: string; category: AddressCategory; message: string };

export interface CheckedUrl {
  url: URL;
  addresses: ResolvedAddress[];
}

export interface DispatcherOptions {
  /** false only for this dispatcher (per-server ssl_verify=false). Never touches process-wide TLS settings. */
  rejectUnauthorized: boolean;
  /** TCP/TLS connect timeout; default 10 s. */
  connectTimeoutMs?: number;
  /**
   * The connector that actually opens sockets (default: undici's buildConnector). It is only ever called
   * with an already-checked IP address as `hostname`. Injectable for tests.
   */
  connector?: buildConnector.connector;
  /** Extra CA certificates to trust (PEM), for this dispatcher only. */
  ca?: string | string[];
  /** undici body timeout; default 0 (disabled) because MCP event streams may idle for a long time. */
  bodyTimeoutMs?: number;
}

export interface GuardedFetchOptions {
  /** Default 5. */
  maxRedirects?: number;
  /**
   * Extra request headers (besides Authorization, Cookie, Proxy-Authorization) that must not be sent to
   * another origin when following a redirect — e.g. a custom API-key header.
   */
  sensitiveHeaders?: string[];
}

/** fetch-compatible (the MCP SDK's FetchLike). */
export type GuardedFetch = (input: string | URL, init?: RequestInit) => Promise<Response>;

export interface SsrfGuard {
  readonly policy: Readonly<SsrfPolicy>;
  /** Policy verdict for one address; `hostname` is the name it was resolved from (for allowedHosts). */
  classifyIp(address: string, hostname?: string): IpVerdict;
  /** Parses and checks a URL (scheme, userinfo, every resolved address). */
  checkUrl(url: string | URL): Promise<CheckedUrl>;
  /** Resolves a hostname (or accepts an IP literal) and checks every address. */
  checkHost(hostname: string): Promise<ResolvedAddress[]>;
  /** node `net.LookupFunction`: resolves with the guard's resolver and hands back only checked addresses. */
  readonly lookup: LookupFunction;
  /** An undici Agent whose sockets only ever connect to checked addresses. */
  createDispatcher(opts: DispatcherOptions): Agent;
  /** A fetch that uses `dispatcher` and re-checks every redirect target. */
  guardedFetch(dispatcher: Dispatcher, opts?: GuardedFetchOptions): GuardedFetch;
}

/** Lower-case, strip IPv6 brackets and a trailing dot, and turn legacy IPv4 spellings into dotted quads. */
export function normalizeHost(hostname: string): string {
  let h = hostname.trim().toLowerCase();
  if (h.startsWith("[") && h.endsWith("]")) h = h.slice(1, -1);
  if (h.endsWith(".") && !h.includes(":")) h = h.slice(0, -1);
  if (!h.includes(":") && ipFamily(h) === 0) {
    const legacy = parseLegacyIpv4(h);
    if (legacy !== null) return formatIpv4(legacy);
  }
  return h;
}

interface ParsedAllowList {
  exact: Set<string>;
  suffixes: string[];
  cidrs: Cidr[];
}

function parseAllowList(entries: string[]): ParsedAllowList {
  const out: ParsedAllowList = { exact: new Set(), suffixes: [], cidrs: [] };
  for (const raw of entries) {
    const entry = raw.trim().toLowerCase();
    if (entry === "") continue;
    if (entry.startsWith("*.")) {
      out.suffixes.push(entry.slice(1));
      continue;
    }
    const bare = entry.startsWith("[") && entry.endsWith("]") ? entry.slice(1, -1) : entry;
    const cidr = parseCidr(bare);
    if (cidr) {
      out.cidrs.push(cidr);
      out.exact.add(normalizeHost(bare));
      continue;
    }
    if (entry.includes("/")) throw new Error(`Invalid CIDR in allowed hosts: ${raw}`);
    out.exact.add(normalizeHost(entry));
  }
  return out;
}

const defaultResolve: Resolver = async (host) => {
  const results = await dns.promises.lookup(host, { all: true, verbatim: true });
  return results.map((r) => ({ address: r.address, family: r.family === 6 ? 6 : 4 }));
};

/** Connect errors after which the next resolved address is tried. */
const NEXT_ADDRESS_CODES = new Set([
  "ECONNREFUSED",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "EADDRNOTAVAIL",
  "EAFNOSUPPORT",
]);

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/**
 * undici's own Response is not the global class, and the MCP SDK tells a Response from a string
 * with `instanceof Response` (parsing OAuth error answers): hand out the global class.
 */
function asGlobalResponse(res: Response): Response {
  if ((res as unknown) instanceof Response) return res;
  const body = NULL_BODY_STATUSES.has(res.status) ? null : res.body;
  const wrapped = new Response(body, {
    status: res.status,
    statusText: res.statusText,
    headers: res.headers,
  });
  Object.defineProperty(wrapped, "url", { value: res.url });
  return wrapped;
}
const ALWAYS_SENSITIVE = ["authorization", "cookie", "proxy-authorization"];

export function createSsrfGuard(options: SsrfGuardOptions): SsrfGuard {
  const policy: SsrfPolicy = {
    allowPrivateNetworks: options.allowPrivateNetworks,
    allowedHosts: [...options.allowedHosts],
  };
  const allow = parseAllowList(policy.allowedHosts);
  const resolve = options.resolve ?? defaultResolve;

  const hostAllowed = (host: string): boolean => {
    if (allow.exact.has(host)) return true;
    for (const suffix of allow.suffixes) {
      if (host.length > suffix.length && host.endsWith(suffix)) return true;
    }
    return false;
  };

  const refusalMessage = (host: string, address: string, description: string, category: AddressCategory) => {
    const hint = ALWAYS_FORBIDDEN_CATEGORIES.has(category)
      ? NEVER_HINT
      : PRIVATE_NETWORK_CATEGORIES.has(category)
        ? PRIVATE_HINT
        : ALLOWLIST_HINT;
    const what =
      host === address ? `${host} (${description})` : `${host}: it resolves to ${address} (${description})`;
    return `Refused to connect to ${what}. ${hint}`;
  };

  const classifyIp = (address: string, hostname?: string): IpVerdict => {
    const c = classifyAddress(address);
    if (c.category === null) return { allowed: true };
    const category = c.category;
    const host = hostname === undefined ? address : normalizeHost(hostname);
    if (!ALWAYS_FORBIDDEN_CATEGORIES.has(category)) {
      if (hostname !== undefined && hostAllowed(host)) return { allowed: true };
      for (const cidr of allow.cidrs) if (cidrContains(cidr, address)) return { allowed: true };
      if (policy.allowPrivateNetworks && PRIVATE_NETWORK_CATEGORIES.has(category)) return { allowed: true };
    }
    return {
      allowed: false,
      reason: c.description,
      category,
      message: refusalMessage(host, address, c.description, category),
    };
  };

  const assertAllowed = (address: string, host: string): void => {
    const verdict = classifyIp(address, host);
    if (!verdict.allowed) throw new SsrfError(verdict.message, host, verdict.category, address);
  };

  const checkHost = async (hostname: string): Promise<ResolvedAddress[]> => {
    const host = normalizeHost(hostname);
    if (host === "") throw new SsrfError("Refused to connect: the URL has no host.", host, "invalid-url");
    const family = ipFamily(host);
    if (family !== 0) {
      assertAllowed(host, host);
      return [{ address: host, family }];
    }
    let addresses: ResolvedAddress[];
    try {
      addresses = await resolve(host);
    } catch (err) {
      throw new DnsError(host, (err as NodeJS.ErrnoException | undefined)?.code);
    }
    if (addresses.length === 0) throw new DnsError(host, "ENODATA");
    for (const a of addresses) assertAllowed(a.address, host);
    return addresses;
  };

  const parseAndPrecheck = (input: string | URL): URL => {
    let url: URL;
    try {
      url = typeof input === "string" ? new URL(input) : input;
    } catch {
      throw new SsrfError("Refused to connect: the URL is not valid.", "", "invalid-url");
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new SsrfError(
        `Refused to connect to ${url.hostname || "this URL"}: only http and https URLs are supported (got ${url.protocol}).`,
        url.hostname,
        "scheme",
      );
    }
    if (url.username !== "" || url.password !== "") {
      throw new SsrfError(
        `Refused to connect to ${url.hostname}: URLs with embedded credentials (user:password@) are not allowed; use the API key setting instead.`,
        url.hostname,
        "userinfo",
      );
    }
    return url;
  };

  const checkUrl = async (input: string | URL): Promise<CheckedUrl> => {
    const url = parseAndPrecheck(input);
    const addresses = await checkHost(url.hostname);
    return { url, addresses };
  };

  const lookup: LookupFunction = (hostname, lookupOptions, callback) => {
    const opts: LookupOptions =
      typeof lookupOptions === "object" && lookupOptions !== null ? lookupOptions : {};
    const wanted =
      opts.family === 4 || opts.family === "IPv4" ? 4 : opts.family === 6 || opts.family === "IPv6" ? 6 : 0;
    checkHost(hostname).then(
      (addresses) => {
        const list = wanted === 0 ? addresses : addresses.filter((a) => a.family === wanted);
        const first = list[0];
        if (!first) {
          const err: NodeJS.ErrnoException = new DnsError(normalizeHost(hostname), "ENOTFOUND");
          callback(err, "", 0);
          return;
        }
        if (opts.all) {
          callback(
            null,
            list.map((a): LookupAddress => ({ address: a.address, family: a.family })),
          );
        } else {
          callback(null, first.address, first.family);
        }
      },
      (err: NodeJS.ErrnoException) => callback(err, "", 0),
    );
  };

  const createDispatcher = (opts: DispatcherOptions): Agent => {
    const base =
      opts.connector ??
      buildConnector({
        rejectUnauthorized: opts.rejectUnauthorized,
        timeout: opts.connectTimeoutMs ?? 10_000,
        // Defence in depth: the guarded connector below always passes an IP, so net never calls this.
        lookup,
        ...(opts.ca !== undefined ? { ca: opts.ca } : {}),
      });

    const connect: buildConnector.connector = (connectOpts, callback) => {
      const host = normalizeHost(connectOpts.hostname);
      const servername = connectOpts.servername ?? (ipFamily(host) === 0 ? host : undefined);
      checkHost(host).then(
        (addresses) => {
          const attempt = (index: number, lastError: Error | null): void => {
            const target = addresses[index];
            if (!target) {
              callback(lastError ?? new Error(`No address to connect to for ${host}`), null);
              return;
            }
            base({ ...connectOpts, hostname: target.address, servername }, (...args) => {
              const [err, socket] = args;
              if (err) {
                const code = (err as NodeJS.ErrnoException).code;
                if (index + 1 < addresses.length && code !== undefined && NEXT_ADDRESS_CODES.has(code)) {
                  attempt(index + 1, err);
                  return;
                }
                callback(err, null);
                return;
              }
              callback(null, socket as Socket);
            });
          };
          attempt(0, null);
        },
        (err: Error) => callback(err, null),
      );
    };

    return new Agent({
      connect,
      connectTimeout: opts.connectTimeoutMs ?? 10_000,
      bodyTimeout: opts.bodyTimeoutMs ?? 0,
    });
  };

  const guardedFetch = (dispatcher: Dispatcher, fetchOpts: GuardedFetchOptions = {}): GuardedFetch => {
    const maxRedirects = fetchOpts.maxRedirects ?? 5;
    const sensitive = [
      ...ALWAYS_SENSITIVE,
      ...(fetchOpts.sensitiveHeaders ?? []).map((h) => h.toLowerCase()),
    ];

    return async (input, init) => {
      let url = parseAndPrecheck(input);
      // IP literals are refused here without a socket (and again in the connector); names are checked
      // by the dispatcher's connector when (and only when) a new socket is opened.
      const literal = normalizeHost(url.hostname);
      if (ipFamily(literal) !== 0) assertAllowed(literal, literal);

      const mode = init?.redirect ?? "follow";
      let requestInit: Record<string, unknown> = { ...init, redirect: "manual", dispatcher };
      for (let redirects = 0; ; redirects++) {
        const response = (await undiciFetch(
          url,
          requestInit as Parameters<typeof undiciFetch>[1],
        )) as unknown as Response;
        if (mode === "manual" || !REDIRECT_STATUSES.has(response.status)) return asGlobalResponse(response);
        const location = response.headers.get("location");
        if (location === null) return asGlobalResponse(response);
        await response.body?.cancel().catch(() => undefined);
        if (mode === "error") throw new TypeError(`Redirect to ${location} refused (redirect: "error")`);
        if (redirects >= maxRedirects) throw new TypeError(`Too many redirects (more than ${maxRedirects})`);

        let next: URL;
        try {
          next = new URL(location, url);
        } catch {
          throw new TypeError("Redirect with an invalid Location header");
        }
        await checkUrl(next);

        const headers = new Headers(requestInit.headers as ConstructorParameters<typeof Headers>[0]);
        const method = String(requestInit.method ?? "GET").toUpperCase();
        let body = requestInit.body;
        let newMethod = method;
        if (
          (response.status === 303 && method !== "GET" && method !== "HEAD") ||
          ((response.status === 301 || response.status === 302) && method === "POST")
        ) {
          newMethod = "GET";
          body = undefined;
          for (const h of ["content-type", "content-length", "content-encoding", "content-language"]) {
            headers.delete(h);
          }
        }
        if (next.origin !== url.origin) for (const h of sensitive) headers.delete(h);
        requestInit = { ...requestInit, method: newMethod, body, headers };
        url = next;
      }
    };
  };

  return {
    policy,
    classifyIp,
    checkUrl,
    checkHost,
    lookup,
    createDispatcher,
    guardedFetch,
  };
}

/** Standalone verdict for `address` under `policy` (no hostname allow-list matching). */
export function classifyIp(address: string, policy: SsrfPolicy): IpVerdict {
  return createSsrfGuard({ ...policy, resolve: async () => [] }).classifyIp(address);
}
