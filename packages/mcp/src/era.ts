/**
 * Protocol eras. MCP servers speak one of two eras:
 * - modern (2026-07-28 and later): stateless, no `initialize`; the client probes with
 *   `server/discover` and every request carries the protocol version and capabilities in `_meta`;
 * - legacy (2025-11-25 and earlier): the `initialize` handshake, sessions, server-to-client requests.
 *
 * The SDK client probes (`versionNegotiation: "auto"`) and falls back to the legacy handshake. The
 * verdict is remembered per server (`EraVerdict`, stored by the API in `mcp_servers.server_info`) and
 * handed back on the next connect, which then skips the probe:
 * - a modern verdict is adopted with zero round trips; if the server has since gone back to the
 *   legacy era, the first request fails as a stale era (`McpConnectionError.staleEra`) and the pool
 *   connects again without the verdict;
 * - a legacy verdict would succeed silently forever against a server that has since upgraded (it
 *   still answers `initialize`), so it is only trusted for `LEGACY_VERDICT_HORIZON_MS` after it was
 *   made; then the server is probed again.
 */
import type { DiscoverResult, PriorDiscovery } from "@modelcontextprotocol/client";
import { z } from "zod";

export type ProtocolEra = "modern" | "legacy";
export type TransportKind = "streamable_http" | "sse";

/** How long a remembered legacy verdict is trusted before the server is probed again. */
export const LEGACY_VERDICT_HORIZON_MS = 24 * 60 * 60 * 1000;
/** A discover result larger than this is not remembered (the next connect probes again). */
const MAX_REMEMBERED_DISCOVER_BYTES = 64 * 1024;

const Common = {
  protocol_version: z.string().min(1).max(64),
  /** When the era was established by a probe (ISO 8601). */
  checked_at: z.iso.datetime(),
};

/** The persistable era verdict (snake_case: it is stored as JSON beside the server's status). */
export const EraVerdict = z.discriminatedUnion("era", [
  z.object({
    era: z.literal("modern"),
    transport: z.literal("streamable_http"),
    ...Common,
    /** The server's `server/discover` answer, adopted as-is on the next connect. */
    discover: z.record(z.string(), z.unknown()),
  }),
  z.object({
    era: z.literal("legacy"),
    transport: z.enum(["streamable_http", "sse"]),
    ...Common,
  }),
]);
export type EraVerdict = z.infer<typeof EraVerdict>;

/** Reads a stored verdict; anything malformed counts as no verdict (the server is probed). */
export function parseEraVerdict(value: unknown): EraVerdict | undefined {
  const parsed = EraVerdict.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** What connect should do with a remembered verdict, or undefined to probe afresh. */
export function priorFor(
  verdict: EraVerdict | undefined,
  now = Date.now(),
): { prior: PriorDiscovery; transport: TransportKind } | undefined {
  if (!verdict) return undefined;
  if (verdict.era === "modern") {
    return {
      prior: { kind: "modern", discover: verdict.discover as unknown as DiscoverResult },
      transport: "streamable_http",
    };
  }
  const age = now - Date.parse(verdict.checked_at);
  if (!(age >= 0 && age < LEGACY_VERDICT_HORIZON_MS)) return undefined;
  return { prior: { kind: "legacy" }, transport: verdict.transport };
}

/** The verdict a fresh connection established (or confirmed, keeping the original probe time). */
export function verdictFor(opts: {
  era: ProtocolEra;
  transport: TransportKind;
  protocolVersion: string;
  discover: DiscoverResult | undefined;
  checkedAt: string;
}): EraVerdict | undefined {
  const common = { protocol_version: opts.protocolVersion, checked_at: opts.checkedAt };
  if (opts.era === "legacy") return { era: "legacy", transport: opts.transport, ...common };
  if (!opts.discover || opts.transport !== "streamable_http") return undefined;
  const text = JSON.stringify(opts.discover);
  // Too large to keep beside the server's status: remember nothing, the next connect probes again.
  if (text.length > MAX_REMEMBERED_DISCOVER_BYTES) return undefined;
  return {
    era: "modern",
    transport: "streamable_http",
    ...common,
    discover: JSON.parse(text) as Record<string, unknown>,
  };
}

/** "modern era" / "legacy era", for messages. */
export function describeEra(era: ProtocolEra): string {
  return era === "modern" ? "modern era" : "legacy era";
}
