/**
 * IP address parsing and classification for the SSRF guard.
 *
 * Everything here is pure and synchronous: no DNS, no sockets. IPv6 is parsed by hand into eight
 * 16-bit groups so that every embedded-IPv4 form (mapped, compatible, translated, NAT64, 6to4) can be
 * unwrapped and classified by its IPv4 meaning.
 */

/** Why an address is not an ordinary public unicast address. */
export type AddressCategory =
  | "loopback"
  | "private"
  | "link-local"
  | "cgnat"
  | "unique-local"
  | "unspecified"
  | "multicast"
  | "broadcast"
  | "documentation"
  | "benchmarking"
  | "teredo"
  | "reserved"
  | "invalid";

/** Categories that `allowPrivateNetworks: true` opens (self-hosted servers on a LAN / the same box). */
export const PRIVATE_NETWORK_CATEGORIES: ReadonlySet<AddressCategory> = new Set<AddressCategory>([
  "loopback",
  "private",
  "link-local",
  "cgnat",
  "unique-local",
]);

/** Categories that no policy can open: connecting there is never meaningful for an MCP server. */
export const ALWAYS_FORBIDDEN_CATEGORIES: ReadonlySet<AddressCategory> = new Set<AddressCategory>([
  "unspecified",
  "multicast",
  "broadcast",
  "invalid",
]);

const CATEGORY_DESCRIPTIONS: Record<AddressCategory, string> = {
  loopback: "loopback address",
  private: "private network address",
  "link-local": "link-local address",
  cgnat: "carrier-grade NAT address",
  "unique-local": "unique-local IPv6 address",
  unspecified: "unspecified address",
  multicast: "multicast address",
  broadcast: "broadcast address",
  documentation: "documentation-only address",
  benchmarking: "benchmarking address",
  teredo: "Teredo tunnel address",
  reserved: "reserved address",
  invalid: "invalid address",
};

/** Human-readable description of a category, e.g. "private network address". */
export function describeCategory(category: AddressCategory): string {
  return CATEGORY_DESCRIPTIONS[category];
}

export interface AddressClassification {
  /** null for a public unicast address. */
  category: AddressCategory | null;
  /** Human-readable text, e.g. "link-local address (cloud metadata endpoint)"; "public address" when category is null. */
  description: string;
  /** The IPv4 address this classification was derived from, when the address embeds one. */
  embeddedIpv4?: string;
}

// ---------------------------------------------------------------------------------------------
// IPv4
// ---------------------------------------------------------------------------------------------

const DOTTED_QUAD = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** Parses a strict dotted-quad IPv4 address ("10.0.0.1") into an unsigned 32-bit integer. */
export function parseIpv4(address: string): number | null {
  if (!DOTTED_QUAD.test(address)) return null;
  let value = 0;
  for (const part of address.split(".")) value = value * 256 + Number(part);
  return value >>> 0;
}

const LEGACY_PART = /^(0x[0-9a-f]*|0[0-7]*|[1-9]\d*)$/i;

/**
 * Parses the legacy inet_aton() forms a URL host or a resolver may accept: 1 to 4 parts, each decimal,
 * octal (leading 0) or hex (0x), the last part filling the remaining bytes: "2130706433", "0x7f.1",
 * "017700000001", "127.1", "0177.0.0.1". Also accepts a trailing dot. Returns null when `host` is not
 * such a form (e.g. any letter other than a hex digit after 0x).
 */
export function parseLegacyIpv4(host: string): number | null {
  const trimmed = host.endsWith(".") ? host.slice(0, -1) : host;
  if (trimmed === "") return null;
  const parts = trimmed.split(".");
  if (parts.length > 4) return null;
  const values: number[] = [];
  for (const part of parts) {
    if (!LEGACY_PART.test(part)) return null;
    let n: number;
    if (/^0x/i.test(part)) n = part.length === 2 ? 0 : Number.parseInt(part.slice(2), 16);
    else if (part.length > 1 && part.startsWith("0")) n = Number.parseInt(part.slice(1), 8);
    else n = Number.parseInt(part, 10);
    if (!Number.isFinite(n)) return null;
    values.push(n);
  }
  const last = values.pop() as number;
  for (const v of values) if (v > 255) return null;
  const lastBytes = 4 - values.length;
  if (last >= 2 ** (8 * lastBytes)) return null;
  let value = 0;
  for (const v of values) value = value * 256 + v;
  value = value * 2 ** (8 * lastBytes) + last;
  return value >>> 0;
}

export function formatIpv4(value: number): string {
  return `${(value >>> 24) & 255}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

function inV4(value: number, base: number, prefix: number): boolean {
  if (prefix === 0) return true;
  const mask = prefix === 32 ? 0xffffffff : (0xffffffff << (32 - prefix)) >>> 0;
  return (value & mask) >>> 0 === (base & mask) >>> 0;
}

const V4 = (a: number, b: number, c: number, d: number): number =>
  ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;

/** Ordered: the first match wins. */
const IPV4_RANGES: ReadonlyArray<readonly [number, number, AddressCategory]> = [
  [V4(255, 255, 255, 255), 32, "broadcast"],
  [V4(0, 0, 0, 0), 8, "unspecified"], // "this network"; 0.0.0.0 itself is the unspecified address
  [V4(10, 0, 0, 0), 8, "private"],
  [V4(100, 64, 0, 0), 10, "cgnat"],
  [V4(127, 0, 0, 0), 8, "loopback"],
  [V4(169, 254, 0, 0), 16, "link-local"],
  [V4(172, 16, 0, 0), 12, "private"],
  [V4(192, 0, 0, 0), 24, "reserved"], // IETF protocol assignments
  [V4(192, 0, 2, 0), 24, "documentation"], // TEST-NET-1
  [V4(192, 88, 99, 0), 24, "reserved"], // deprecated 6to4 relay anycast
  [V4(192, 168, 0, 0), 16, "private"],
  [V4(198, 18, 0, 0), 15, "benchmarking"],
  [V4(198, 51, 100, 0), 24, "documentation"], // TEST-NET-2
  [V4(203, 0, 113, 0), 24, "documentation"], // TEST-NET-3
  [V4(224, 0, 0, 0), 4, "multicast"],
  [V4(240, 0, 0, 0), 4, "reserved"],
];

const METADATA_V4 = V4(169, 254, 169, 254);

export function classifyIpv4Value(value: number): AddressClassification {
  for (const [base, prefix, category] of IPV4_RANGES) {
    if (inV4(value, base, prefix)) {
      let description = describeCategory(category);
      if (value === METADATA_V4) description += " (cloud metadata endpoint)";
      return { category, description };
    }
  }
  return { category: null, description: "public address" };
}

// ---------------------------------------------------------------------------------------------
// IPv6
// ---------------------------------------------------------------------------------------------

const HEX_GROUP = /^[0-9a-f]{1,4}$/i;

/**
 * Parses an IPv6 address (optionally in brackets, optionally with a %zone) into 8 groups of 16 bits.
 * Supports "::" compression and a trailing dotted-quad ("::ffff:127.0.0.1").
 */
export function parseIpv6(input: string): number[] | null {
  let s = input;
  if (s.startsWith("[") && s.endsWith("]")) s = s.slice(1, -1);
  const zone = s.indexOf("%");
  if (zone !== -1) s = s.slice(0, zone);
  if (s === "" || !s.includes(":")) return null;

  const expandSide = (side: string): number[] | null => {
    if (side === "") return [];
    const out: number[] = [];
    const pieces = side.split(":");
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i] as string;
      if (i === pieces.length - 1 && piece.includes(".")) {
        const v4 = parseIpv4(piece);
        if (v4 === null) return null;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else {
        if (!HEX_GROUP.test(piece)) return null;
        out.push(Number.parseInt(piece, 16));
      }
    }
    return out;
  };

  const doubleColon = s.indexOf("::");
  if (doubleColon !== -1) {
    if (s.indexOf("::", doubleColon + 1) !== -1) return null;
    const head = expandSide(s.slice(0, doubleColon));
    const tail = expandSide(s.slice(doubleColon + 2));
    if (!head || !tail) return null;
    // A dotted quad is only valid at the very end.
    if (s.slice(0, doubleColon).includes(".")) return null;
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return null;
    return [...head, ...new Array<number>(missing).fill(0), ...tail];
  }
  const all = expandSide(s);
  if (all?.length !== 8) return null;
  return all;
}

function v4FromGroups(hi: number, lo: number): number {
  return ((hi << 16) | lo) >>> 0;
}

function withEmbedded(v4: number, via: string | null): AddressClassification {
  const inner = classifyIpv4Value(v4);
  const embeddedIpv4 = formatIpv4(v4);
  if (inner.category === null) return { category: null, description: "public address", embeddedIpv4 };
  return {
    category: inner.category,
    description: via ? `${inner.description} embedded in ${via}` : inner.description,
    embeddedIpv4,
  };
}

export function classifyIpv6Groups(g: number[]): AddressClassification {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const firstFiveZero = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0;

  if (firstFiveZero && g5 === 0) {
    if (g6 === 0 && g7 === 0)
      return { category: "unspecified", description: describeCategory("unspecified") };
    if (g6 === 0 && g7 === 1) return { category: "loopback", description: describeCategory("loopback") };
    // Deprecated IPv4-compatible ::a.b.c.d: never routed on the internet. Refuse it whatever it embeds.
    const inner = withEmbedded(v4FromGroups(g6, g7), "an IPv4-compatible IPv6 address");
    if (inner.category === null) {
      return {
        category: "reserved",
        description: "reserved address (deprecated IPv4-compatible IPv6)",
        embeddedIpv4: inner.embeddedIpv4,
      };
    }
    return inner;
  }
  // IPv4-mapped ::ffff:a.b.c.d: this *is* IPv4 traffic, classify exactly as the IPv4 address.
  if (firstFiveZero && g5 === 0xffff) return withEmbedded(v4FromGroups(g6, g7), null);
  // IPv4-translated ::ffff:0:a.b.c.d (SIIT).
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0xffff && g5 === 0) {
    return withEmbedded(v4FromGroups(g6, g7), "an IPv4-translated IPv6 address");
  }
  // NAT64 well-known prefix 64:ff9b::/96.
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) {
    return withEmbedded(v4FromGroups(g6, g7), "a NAT64 address");
  }
  // Local-use NAT64 64:ff9b:1::/48.
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 1) {
    return { category: "private", description: "private network address (local-use NAT64)" };
  }
  // Discard-only 100::/64.
  if (g0 === 0x100 && g1 === 0 && g2 === 0 && g3 === 0) {
    return { category: "reserved", description: "reserved address (discard-only)" };
  }
  // 6to4 2002::/16: the IPv4 address is in groups 1-2.
  if (g0 === 0x2002) return withEmbedded(v4FromGroups(g1, g2), "a 6to4 address");
  // Teredo 2001::/32: the embedded server/client addresses are obfuscated; refuse outright.
  if (g0 === 0x2001 && g1 === 0) return { category: "teredo", description: describeCategory("teredo") };
  // Documentation 2001:db8::/32 and 3fff::/20.
  if (g0 === 0x2001 && g1 === 0xdb8) {
    return { category: "documentation", description: describeCategory("documentation") };
  }
  if (g0 === 0x3fff && (g1 & 0xf000) === 0) {
    return { category: "documentation", description: describeCategory("documentation") };
  }
  // Benchmarking 2001:2::/48, ORCHID 2001:10::/28 and the rest of the IETF block 2001::/23.
  if (g0 === 0x2001 && g1 === 2 && g2 === 0) {
    return { category: "benchmarking", description: describeCategory("benchmarking") };
  }
  if (g0 === 0x2001 && g1 < 0x200) return { category: "reserved", description: describeCategory("reserved") };
  // fe80::/10 link-local.
  if ((g0 & 0xffc0) === 0xfe80)
    return { category: "link-local", description: describeCategory("link-local") };
  // fec0::/10 deprecated site-local.
  if ((g0 & 0xffc0) === 0xfec0) {
    return { category: "reserved", description: "reserved address (deprecated site-local)" };
  }
  // fc00::/7 unique local.
  if ((g0 & 0xfe00) === 0xfc00) {
    return { category: "unique-local", description: describeCategory("unique-local") };
  }
  // ff00::/8 multicast.
  if ((g0 & 0xff00) === 0xff00) return { category: "multicast", description: describeCategory("multicast") };
  // Only 2000::/3 is allocated global unicast; everything else is reserved.
  if ((g0 & 0xe000) !== 0x2000) return { category: "reserved", description: describeCategory("reserved") };
  return { category: null, description: "public address" };
}

// ---------------------------------------------------------------------------------------------
// Public helpers
// ---------------------------------------------------------------------------------------------

/** 4 or 6 when `host` is an IP literal (IPv6 may be bracketed); 0 otherwise. Legacy IPv4 forms are NOT literals. */
export function ipFamily(host: string): 0 | 4 | 6 {
  if (parseIpv4(host) !== null) return 4;
  if (host.includes(":") && parseIpv6(host) !== null) return 6;
  return 0;
}

/**
 * Classifies any textual IP address: dotted quad, legacy IPv4 ("0x7f.1", "2130706433"), IPv6 with or
 * without brackets/zone and every embedded-IPv4 form. Unparseable input yields category "invalid".
 */
export function classifyAddress(address: string): AddressClassification {
  const v4 = parseIpv4(address) ?? parseLegacyIpv4(address);
  if (v4 !== null) return classifyIpv4Value(v4);
  const v6 = parseIpv6(address);
  if (v6 !== null) return classifyIpv6Groups(v6);
  return { category: "invalid", description: describeCategory("invalid") };
}

/**
 * Returns a reason label ("loopback", "private", "link-local", "cgnat", "unique-local", "unspecified",
 * "multicast", "broadcast", "documentation", "benchmarking", "teredo", "reserved", "invalid") when the
 * address is not a public unicast address, or null when it is. Policy (allow-lists, private networks)
 * is applied by the SSRF guard on top of this.
 */
export function isForbiddenAddress(address: string): AddressCategory | null {
  return classifyAddress(address).category;
}

/** A parsed CIDR block; IPv4-mapped IPv6 addresses match IPv4 blocks. */
export interface Cidr {
  family: 4 | 6;
  /** Network bits: 32-bit for IPv4, 128-bit BigInt for IPv6. */
  base: bigint;
  prefix: number;
}

function v6ToBigInt(groups: number[]): bigint {
  let v = 0n;
  for (const group of groups) v = (v << 16n) | BigInt(group);
  return v;
}

/** Parses "10.0.0.0/8", "fd00::/8" or a bare address (host route). Returns null when invalid. */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf("/");
  const addr = slash === -1 ? text : text.slice(0, slash);
  const prefixText = slash === -1 ? null : text.slice(slash + 1);
  if (prefixText !== null && !/^\d{1,3}$/.test(prefixText)) return null;
  const v4 = parseIpv4(addr);
  if (v4 !== null) {
    const prefix = prefixText === null ? 32 : Number(prefixText);
    if (prefix > 32) return null;
    return { family: 4, base: BigInt(v4), prefix };
  }
  const v6 = parseIpv6(addr);
  if (v6 !== null) {
    const prefix = prefixText === null ? 128 : Number(prefixText);
    if (prefix > 128) return null;
    return { family: 6, base: v6ToBigInt(v6), prefix };
  }
  return null;
}

function inBlock(value: bigint, bits: number, cidr: Cidr): boolean {
  const shift = BigInt(bits - cidr.prefix);
  return value >> shift === cidr.base >> shift;
}

/** Whether `address` (any form classifyAddress accepts) lies inside `cidr`. */
export function cidrContains(cidr: Cidr, address: string): boolean {
  const v4 = parseIpv4(address) ?? parseLegacyIpv4(address);
  if (v4 !== null) return cidr.family === 4 && inBlock(BigInt(v4), 32, cidr);
  const v6 = parseIpv6(address);
  if (v6 === null) return false;
  const [g0, g1, g2, g3, g4, g5, g6 = 0, g7 = 0] = v6;
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0xffff) {
    if (cidr.family === 4) return inBlock(BigInt(v4FromGroups(g6, g7)), 32, cidr);
  }
  return cidr.family === 6 && inBlock(v6ToBigInt(v6), 128, cidr);
}
