import { isIPv4, isIPv6 } from "node:net";

/**
 * The network a client is in, for binding a code to where it was requested: the /24 for IPv4
 * and the /64 for IPv6 (so a phone hopping addresses within its network still verifies).
 */
export function ipWindow(ip: string): string {
  const mapped = ip.startsWith("::ffff:") ? ip.slice(7) : ip;
  if (isIPv4(mapped)) return `${mapped.split(".").slice(0, 3).join(".")}.0/24`;
  if (isIPv6(ip)) {
    const [head = "", tail = ""] = ip.split("::");
    const headParts = head ? head.split(":") : [];
    const tailParts = tail ? tail.split(":") : [];
    const missing = 8 - headParts.length - tailParts.length;
    const full = [...headParts, ...Array(Math.max(0, missing)).fill("0"), ...tailParts];
    return `${full
      .slice(0, 4)
      .map((p) => Number.parseInt(p || "0", 16).toString(16))
      .join(":")}::/64`;
  }
  return ip;
}
