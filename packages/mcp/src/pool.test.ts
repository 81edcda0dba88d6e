import { afterEach, describe, expect, it } from "vitest";
import { connectMcp, type McpConnection } from "./connection.js";
import { McpConnectionError } from "./errors.js";
import { configFingerprint, createConnectionPool } from "./pool.js";
import { endpointConfig as cfgFor, loopbackGuard as guard } from "./testing/loopback.js";
import { closedPort, type StreamablePeer, startStreamablePeer } from "./testing/peers.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function peer(opts: Parameters<typeof startStreamablePeer>[0] = {}): Promise<StreamablePeer> {
  const p = await startStreamablePeer(opts);
  cleanups.push(() => p.close());
  return p;
}

function pool(opts: Partial<Parameters<typeof createConnectionPool>[0]> = {}) {
  const p = createConnectionPool({ guard, ...opts });
  cleanups.push(() => p.closeAll());
  return p;
}

describe("connection pool", () => {
  it("concurrent callers share one handshake", async () => {
    const server = await peer();
    const p = pool();
    const cfg = cfgFor(server.url);
    const results = await Promise.all(
      Array.from({ length: 5 }, () => p.withConnection("u1:s1", cfg, (c) => c.listTools())),
    );
    expect(results.every((tools) => tools.length === 4)).toBe(true);
    expect(server.stats.initialize).toBe(1);
    expect(p.stats()).toMatchObject({ connects: 1, size: 1 });
  });

  it("reuses the warm connection, also for an equal config object", async () => {
    const server = await peer();
    const p = pool();
    await p.withConnection("k", cfgFor(server.url), (c) => c.ping());
    await p.withConnection("k", cfgFor(server.url), (c) => c.ping());
    const handshake = await p.withConnection("k", cfgFor(server.url), async (c) => {
      expect(c.transport).toBe("streamable_http");
      expect(c.serverInfo.name).toBe("test-peer");
      expect(c.isClosed).toBe(false);
      return c.handshakeMs;
    });
    expect(handshake).toBeGreaterThan(0);
    expect(server.stats.initialize).toBe(1);
  });

  it("keys are independent", async () => {
    const server = await peer();
    const p = pool();
    await p.withConnection("a", cfgFor(server.url), (c) => c.ping());
    await p.withConnection("b", cfgFor(server.url), (c) => c.ping());
    expect(server.stats.initialize).toBe(2);
    expect(p.stats().size).toBe(2);
  });

  it("evicts idle connections after idleMs (and ends the remote session)", async () => {
    const server = await peer();
    const p = pool({ idleMs: 80 });
    await p.withConnection("k", cfgFor(server.url), (c) => c.ping());
    expect(p.stats().size).toBe(1);
    await sleep(250);
    expect(p.stats().size).toBe(0);
    expect(server.stats.deletes).toBe(1);
    await p.withConnection("k", cfgFor(server.url), (c) => c.ping());
    expect(server.stats.initialize).toBe(2);
  });

  it("does not evict a connection while a call is in flight", async () => {
    const server = await peer();
    const p = pool({ idleMs: 50 });
    const r = await p.withConnection("k", cfgFor(server.url), (c) => c.callTool("sleep", { ms: 200 }));
    expect(r.content).toEqual([{ type: "text", text: "slept" }]);
    expect(server.stats.initialize).toBe(1);
  });

  it("a config change replaces the pooled connection", async () => {
    const server = await peer();
    const p = pool();
    const base = cfgFor(server.url);
    await p.withConnection("k", base, (c) => c.ping());
    await p.withConnection("k", { ...base, authMethod: "api_key", apiKey: { api_key: "new-key-1" } }, (c) =>
      c.ping(),
    );
    expect(server.stats.initialize).toBe(2);
    await p.withConnection("k", { ...base, authMethod: "api_key", apiKey: { api_key: "new-key-2" } }, (c) =>
      c.ping(),
    );
    expect(server.stats.initialize).toBe(3);
    await p.withConnection("k", { ...base, authMethod: "api_key", apiKey: { api_key: "new-key-2" } }, (c) =>
      c.ping(),
    );
    expect(server.stats.initialize).toBe(3);
    await sleep(50);
    expect(server.stats.deletes).toBe(2); // the two replaced connections were closed
    expect(p.stats().size).toBe(1);
  });

  it("fingerprint covers url, auth, credential, ssl_verify and timeout, not object identity", () => {
    const base = cfgFor("http://127.0.0.1:1/mcp");
    const fp = configFingerprint(base);
    expect(configFingerprint({ ...base })).toBe(fp);
    expect(configFingerprint({ ...base, url: "http://127.0.0.1:2/mcp" })).not.toBe(fp);
    expect(configFingerprint({ ...base, sslVerify: false })).not.toBe(fp);
    expect(configFingerprint({ ...base, timeoutSec: 6 })).not.toBe(fp);
    const k1 = { ...base, authMethod: "api_key" as const, apiKey: { api_key: "a" } };
    expect(configFingerprint({ ...k1, apiKey: { api_key: "b" } })).not.toBe(configFingerprint(k1));
    expect(configFingerprint({ ...k1, apiKey: { api_key: "a", header: "X-Key" } })).not.toBe(
      configFingerprint(k1),
    );
    expect(configFingerprint(k1)).not.toContain("a");
  });

  it.each([404, 400] as const)(
    "re-initialises transparently for listTools when the server forgot the session (HTTP %i)",
    async (status) => {
      const server = await peer({ unknownSessionStatus: status });
      const p = pool();
      const cfg = cfgFor(server.url);
      await p.withConnection("k", cfg, (c) => c.listTools());
      await server.forgetSessions();
      const tools = await p.withConnection("k", cfg, (c) => c.listTools());
      expect(tools.length).toBe(4);
      expect(server.stats.initialize).toBe(2);
      expect(p.stats()).toMatchObject({ connects: 2, reconnects: 1 });
    },
  );

  it("re-initialises after the peer restarts on the same port", async () => {
    const first = await startStreamablePeer();
    const p = pool();
    const cfg = cfgFor(first.url);
    expect(await p.withConnection("k", cfg, (c) => c.ping())).toBeGreaterThanOrEqual(0);
    await first.close();
    const second = await peer({ port: first.port });
    const tools = await p.withConnection("k", cfg, (c) => c.listTools());
    expect(tools.length).toBe(4);
    expect(second.stats.initialize).toBe(1);
  });

  it("callTool after a lost session re-initialises but does not retry the call", async () => {
    const server = await peer();
    const p = pool();
    const cfg = cfgFor(server.url);
    await p.withConnection("k", cfg, (c) => c.ping());
    await server.forgetSessions();
    const err = await p
      .withConnection("k", cfg, (c) => c.callTool("echo", { text: "x" }))
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(McpConnectionError);
    expect((err as McpConnectionError).sessionLost).toBe(true);
    expect((err as McpConnectionError).message).toContain("was not retried");
    expect(server.stats.initialize).toBe(2); // re-initialised once
    const r = await p.withConnection("k", cfg, (c) => c.callTool("echo", { text: "again" }));
    expect(r.content).toEqual([{ type: "text", text: "again" }]);
    expect(server.stats.initialize).toBe(2);
  });

  it("a connection closed before the call is re-initialised first (callTool included)", async () => {
    const server = await peer();
    const p = pool();
    const cfg = cfgFor(server.url);
    await p.withConnection("k", cfg, async (c) => {
      await c.client.close(); // closes the raw SDK client under the pool
      expect(c.isClosed).toBe(true);
    });
    const r = await p.withConnection("k", cfg, (c) => c.callTool("add", { a: 1, b: 1 }));
    expect(r.content).toEqual([{ type: "text", text: "2" }]);
    expect(server.stats.initialize).toBe(2);
  });

  it("does not cache connect failures", async () => {
    const port = await closedPort();
    const p = pool();
    const cfg = cfgFor(`http://127.0.0.1:${port}/mcp`);
    const err = await p.withConnection("k", cfg, (c) => c.ping()).catch((e: unknown) => e);
    expect((err as McpConnectionError).code).toBe("CONNECTION_REFUSED");
    expect(p.stats().size).toBe(0);
    const server = await peer({ port });
    expect(await p.withConnection("k", cfg, (c) => c.listTools())).toHaveLength(4);
    expect(server.stats.initialize).toBe(1);
  });

  it("maxConnections evicts the least recently used idle connection", async () => {
    const server = await peer();
    const p = pool({ maxConnections: 2 });
    const cfg = cfgFor(server.url);
    await p.withConnection("a", cfg, (c) => c.ping());
    await p.withConnection("b", cfg, (c) => c.ping());
    await p.withConnection("a", cfg, (c) => c.ping()); // a is now most recent
    await p.withConnection("c", cfg, (c) => c.ping()); // evicts b
    expect(p.stats().size).toBe(2);
    await p.withConnection("a", cfg, (c) => c.ping());
    expect(server.stats.initialize).toBe(3);
    await p.withConnection("b", cfg, (c) => c.ping());
    expect(server.stats.initialize).toBe(4);
  });

  it("evict(key) and closeAll()", async () => {
    const server = await peer();
    const p = pool();
    const cfg = cfgFor(server.url);
    await p.withConnection("a", cfg, (c) => c.ping());
    await p.withConnection("b", cfg, (c) => c.ping());
    await p.evict("a");
    expect(p.stats().size).toBe(1);
    await p.closeAll();
    expect(p.stats().size).toBe(0);
    expect(server.stats.deletes).toBe(2);
  });

  it("keeps the handle's listeners and watched resources across a lost session", async () => {
    const server = await peer({ features: true });
    const p = pool();
    const cfg = cfgFor(server.url);
    const updates: string[] = [];
    await p.withConnection("k", cfg, async (c) => {
      c.on("resource_updated", (e) => updates.push(e.uri));
      await c.subscribeResource("test://counter");
    });
    await server.forgetSessions();
    // The lost session shows on the next call; the new connection watches the resource again.
    await p.withConnection("k", cfg, (c) => c.listTools());
    expect(server.stats.initialize).toBe(2);
    for (let i = 0; i < 100 && !server.sessionStates[1]?.subscribed.has("test://counter"); i++)
      await sleep(20);
    await p.withConnection("k", cfg, (c) => c.callTool("bump_counter"));
    for (let i = 0; i < 100 && updates.length === 0; i++) await sleep(20);
    expect(updates).toEqual(["test://counter"]);
  });

  it("serves many warm calls from one connection (its overhead is measured in `pnpm bench`)", async () => {
    let connects = 0;
    const p = pool({
      connect: async (cfg, deps) => {
        connects++;
        return connectMcp(cfg, deps);
      },
    });
    const server = await peer();
    const cfg = cfgFor(server.url);
    const bareConn = await connectMcp(cfg, { guard });
    cleanups.push(() => bareConn.close());
    const viaPool = (c: McpConnection) => c.listTools();
    for (let i = 0; i < 50; i++) {
      const [pooled, bare] = await Promise.all([p.withConnection("k", cfg, viaPool), bareConn.listTools()]);
      expect(pooled).toEqual(bare);
    }
    expect(connects).toBe(1);
    expect(server.stats.initialize).toBe(2);
  });
});
