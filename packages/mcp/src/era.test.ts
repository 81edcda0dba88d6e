import { afterEach, describe, expect, it } from "vitest";
import { connectMcp } from "./connection.js";
import { type EraVerdict, LEGACY_VERDICT_HORIZON_MS, parseEraVerdict, priorFor } from "./era.js";
import { createConnectionPool } from "./pool.js";
import {
  endpointConfig as cfg,
  loopbackGuard as guard,
  MODERN_PROTOCOL_VERSION,
  startLegacySsePeer,
  startModernPeer,
  startStreamablePeer,
} from "./testing/index.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});
function later<T extends { close(): Promise<void> }>(thing: T): T {
  cleanups.push(() => thing.close());
  return thing;
}

const discovers = (peer: { methods: Map<string, number> }) => peer.methods.get("server/discover") ?? 0;

describe("the protocol era of a server", () => {
  it("a modern server: probed once, then adopted from the remembered verdict with no probe", async () => {
    const peer = later(await startModernPeer());
    const first = later(await connectMcp(cfg(peer.url), { guard }));
    expect(first.era).toBe("modern");
    expect(first.protocolVersion).toBe(MODERN_PROTOCOL_VERSION);
    expect(discovers(peer)).toBe(1);
    const verdict = first.eraVerdict!;
    expect(verdict).toMatchObject({
      era: "modern",
      transport: "streamable_http",
      protocol_version: MODERN_PROTOCOL_VERSION,
    });
    // It survives storage as JSON.
    const stored = parseEraVerdict(JSON.parse(JSON.stringify(verdict)))!;

    const second = later(await connectMcp(cfg(peer.url, { era: stored }), { guard }));
    expect(second.era).toBe("modern");
    expect(second.serverInfo).toEqual(first.serverInfo);
    expect(discovers(peer)).toBe(1);
    expect((await second.callTool("add", { a: 1, b: 2 })).content).toEqual([{ type: "text", text: "3" }]);
    expect(second.eraVerdict?.checked_at).toBe(verdict.checked_at);
  });

  it("a legacy server: the remembered verdict skips the probe and goes straight to initialize", async () => {
    const peer = later(await startStreamablePeer());
    const first = later(await connectMcp(cfg(peer.url), { guard }));
    expect(first.era).toBe("legacy");
    expect(peer.stats).toMatchObject({ probes: 1, initialize: 1 });
    const second = later(await connectMcp(cfg(peer.url, { era: first.eraVerdict }), { guard }));
    expect(second.era).toBe("legacy");
    expect(peer.stats).toMatchObject({ probes: 1, initialize: 2 });
  });

  it("a legacy verdict is trusted for a day only (an upgraded server would still answer initialize)", async () => {
    const peer = later(await startStreamablePeer());
    const old: EraVerdict = {
      era: "legacy",
      transport: "streamable_http",
      protocol_version: "2025-11-25",
      checked_at: new Date(Date.now() - LEGACY_VERDICT_HORIZON_MS - 1000).toISOString(),
    };
    expect(priorFor(old)).toBeUndefined();
    later(await connectMcp(cfg(peer.url, { era: old }), { guard }));
    expect(peer.stats.probes).toBe(1);
  });

  it("a legacy HTTP+SSE server: remembered, the next connect skips the Streamable HTTP attempt", async () => {
    const peer = later(await startLegacySsePeer());
    const first = later(await connectMcp(cfg(peer.url), { guard }));
    expect(first.eraVerdict).toMatchObject({ era: "legacy", transport: "sse" });
    const posts = peer.stats.postsToSse;
    const second = later(await connectMcp(cfg(peer.url, { era: first.eraVerdict }), { guard }));
    expect(second.transport).toBe("sse");
    expect(peer.stats.postsToSse).toBe(posts);
  });

  it("a stale legacy verdict for a server that went modern: probed again", async () => {
    const peer = later(await startModernPeer());
    const stale: EraVerdict = {
      era: "legacy",
      transport: "streamable_http",
      protocol_version: "2025-11-25",
      checked_at: new Date().toISOString(),
    };
    const conn = later(await connectMcp(cfg(peer.url, { era: stale }), { guard }));
    expect(conn.era).toBe("modern");
    expect(conn.eraVerdict?.era).toBe("modern");
  });

  it("a stale modern verdict for a server that went back to legacy: the pool reconnects and resends", async () => {
    const modern = later(await startModernPeer());
    const remembered = later(await connectMcp(cfg(modern.url), { guard })).eraVerdict;
    const legacy = later(await startStreamablePeer());
    const config = cfg(legacy.url, { era: remembered });
    const pool = createConnectionPool({ guard });
    cleanups.push(() => pool.closeAll());
    const tools = await pool.withConnection("k", config, (c) => c.listTools());
    expect(tools.map((t) => t.name)).toContain("echo");
    const result = await pool.withConnection("k", config, async (c) => {
      expect(c.era).toBe("legacy");
      return c.callTool("add", { a: 2, b: 2 });
    });
    expect(result.content).toEqual([{ type: "text", text: "4" }]);
    expect(pool.stats()).toMatchObject({ connects: 2, reconnects: 1 });
    // A tool call that meets the stale verdict first is resent too: the server refused it, nothing ran.
    const fresh = createConnectionPool({ guard });
    cleanups.push(() => fresh.closeAll());
    const echoed = await fresh.withConnection("k", config, (c) => c.callTool("echo", { text: "once" }));
    expect(echoed.content).toEqual([{ type: "text", text: "once" }]);
  });

  it("malformed stored verdicts are ignored", () => {
    expect(parseEraVerdict(undefined)).toBeUndefined();
    expect(parseEraVerdict({ era: "modern" })).toBeUndefined();
    expect(
      parseEraVerdict({ era: "ancient", transport: "sse", protocol_version: "x", checked_at: "now" }),
    ).toBeUndefined();
  });
});

describe("modern-era connections in the pool", () => {
  it("keep their warm client: one probe for many calls, concurrent callers share it", async () => {
    const peer = later(await startModernPeer());
    const pool = createConnectionPool({ guard });
    cleanups.push(() => pool.closeAll());
    const config = cfg(peer.url);
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        pool.withConnection("k", config, (c) => c.callTool("echo", { text: String(i) })),
      ),
    );
    expect(results.map((r) => r.content)).toEqual(
      Array.from({ length: 5 }, (_, i) => [{ type: "text", text: String(i) }]),
    );
    for (let i = 0; i < 10; i++) await pool.withConnection("k", config, (c) => c.ping());
    expect(discovers(peer)).toBe(1 + 10); // the probe, then ten pings (server/discover is the modern ping)
    expect(pool.stats()).toMatchObject({ connects: 1, size: 1 });
  });
});
