/**
 * `pnpm bench` (MCP part), on loopback, in one run:
 *  1. `POST /api/v1/servers/test` latency through the whole API against the demo server (a fresh
 *     handshake each time);
 *  2. per protocol era (a modern-era 2026-07-28 server on the SDK 2.x, a legacy-era 2025-11-25 one
 *     on the SDK 1.x), a warm `tools/call` through mcpdeck's connection layer (pool + call scope +
 *     SSRF-guarded transport) vs the MCP SDK 2.x client used directly, interleaved call by call so
 *     drift hits both alike;
 *  3. the pool's own warm-path cost: `withConnection` over a connection that answers at once, vs
 *     calling that connection directly (target: far below 0.05 ms).
 * Prints medians/p99 and the median overhead per call. Target: ≤ 1 ms added per call.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, startApp } from "@mcpdeck/api";
import { createTestDb } from "@mcpdeck/db/testing";
import { startDemoMcpServer } from "@mcpdeck/demo-mcp";
import {
  connectMcp,
  createConnectionPool,
  createSsrfGuard,
  type McpConnection,
  type McpEndpointConfig,
} from "@mcpdeck/mcp";
import { startModernPeer, startStreamablePeer } from "@mcpdeck/mcp/testing";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { formatMs, percentile, stopAfter } from "./measure.js";

const TEST_RUNS = Number(process.env.BENCH_TEST_RUNS ?? 40);
const CALLS = Number(process.env.BENCH_CALLS ?? 600);
const TARGET_MS = 1;

stopAfter(110, "mcp bench");

async function main() {
  const demo = await startDemoMcpServer({ port: 0 });
  const dataDir = mkdtempSync(join(tmpdir(), "mcpdeck-bench-"));
  const db = await createTestDb();
  const config = loadConfig({
    NODE_ENV: "test",
    PORT: "0",
    HOST: "127.0.0.1",
    MCPDECK_DATA_DIR: dataDir,
    LOG_LEVEL: "warn",
    MCPDECK_DEMO_MCP_URL: "none",
    MCPDECK_RATE_LIMIT_API: "100000000",
    MCPDECK_RATE_LIMIT_AUTH: "100000000",
  });
  const app = await startApp({ config, dbHandle: db, statusChecks: false });
  try {
    // Sign in through the real endpoints (code from the development outbox).
    const email = "bench@example.com";
    const post = (path: string, body: unknown, token?: string) =>
      fetch(`${app.url}${path}`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
      });
    await post("/api/v1/auth/otp/request", { email });
    await new Promise((r) => setTimeout(r, 50));
    const code = app.services.mailer.outbox!.list(email)[0]!.code!;
    const { access_token: token } = (await (
      await post("/api/v1/auth/otp/verify", { email, code })
    ).json()) as { access_token: string };

    // 1. POST /servers/test
    const testTimes: number[] = [];
    for (let i = 0; i < TEST_RUNS + 3; i++) {
      const t0 = performance.now();
      const res = await post("/api/v1/servers/test", { url: demo.url, auth_method: "none" }, token);
      const body = (await res.json()) as { status: string; message: string };
      if (res.status !== 200) throw new Error(`servers/test failed: ${res.status} ${JSON.stringify(body)}`);
      if (i >= 3) testTimes.push(performance.now() - t0);
      if (i === 3) console.log(`servers/test says: ${body.message}`);
    }

    // 2. Warm tools/call per era: connection layer vs the SDK client directly.
    const guard = createSsrfGuard({ allowPrivateNetworks: true, allowedHosts: [] });
    const eraResults: Array<{
      era: string;
      protocol: string;
      layer: number[];
      sdk: number[];
      diffs: number[];
    }> = [];
    for (const era of ["modern", "legacy"] as const) {
      const peer = era === "modern" ? await startModernPeer() : await startStreamablePeer();
      try {
        eraResults.push({ era, ...(await warmCalls(peer.url, era, guard)) });
      } finally {
        await peer.close();
      }
    }
    const cfg: McpEndpointConfig = { url: demo.url, authMethod: "none", timeoutSec: 30, sslVerify: true };

    // 3. The pool's bookkeeping alone, over a connection that answers without I/O.
    const instant = await connectMcp(cfg, { guard });
    const noIo: McpConnection = Object.create(instant, { listTools: { value: async () => [] } });
    const fakePool = createConnectionPool({ guard, connect: async () => noIo });
    const listViaPool = (c: McpConnection) => c.listTools();
    const N = 20_000;
    for (let i = 0; i < 1000; i++) await fakePool.withConnection("k", cfg, listViaPool);
    let t0 = performance.now();
    for (let i = 0; i < N; i++) await noIo.listTools();
    const bareUs = ((performance.now() - t0) / N) * 1000;
    t0 = performance.now();
    for (let i = 0; i < N; i++) await fakePool.withConnection("k", cfg, listViaPool);
    const pooledUs = ((performance.now() - t0) / N) * 1000;
    await instant.close();
    await fakePool.closeAll();

    console.log("");
    console.log(
      `POST /servers/test (fresh handshake + tools/list, ${TEST_RUNS} runs): p50 ${formatMs(percentile(testTimes, 50))}  p99 ${formatMs(percentile(testTimes, 99))}`,
    );
    for (const { era, protocol, layer, sdk, diffs } of eraResults) {
      console.log(`warm tools/call add, ${era} era (protocol ${protocol}), ${CALLS} interleaved calls each:`);
      console.log(
        `  mcpdeck connection layer  p50 ${formatMs(percentile(layer, 50))}  p99 ${formatMs(percentile(layer, 99))}`,
      );
      console.log(
        `  MCP SDK client directly   p50 ${formatMs(percentile(sdk, 50))}  p99 ${formatMs(percentile(sdk, 99))}`,
      );
      const overhead = percentile(diffs, 50);
      console.log(
        `mcp tools/call (${era} era): median added per call ${formatMs(overhead)} (ratio ${(percentile(layer, 50) / percentile(sdk, 50)).toFixed(3)}; target <= ${TARGET_MS} ms) ${overhead <= TARGET_MS ? "OK" : "MISSED"}`,
      );
    }
    const poolCostUs = pooledUs - bareUs;
    console.log(
      `pool warm path (no I/O, ${N} calls): direct ${bareUs.toFixed(2)} µs, through the pool ${pooledUs.toFixed(2)} µs, added ${poolCostUs.toFixed(2)} µs (target < 50 µs) ${poolCostUs < 50 ? "OK" : "MISSED"}`,
    );
  } finally {
    await app.close();
    await db.close();
    await demo.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Warm calls through the pool and through a bare SDK client, interleaved, against one server. */
async function warmCalls(url: string, era: "modern" | "legacy", guard: ReturnType<typeof createSsrfGuard>) {
  const pool = createConnectionPool({ guard });
  const cfg: McpEndpointConfig = { url, authMethod: "none", timeoutSec: 30, sslVerify: true };
  const direct = new Client(
    { name: "bench-direct", version: "0.0.0" },
    era === "modern" ? { versionNegotiation: { mode: "auto" } } : {},
  );
  await direct.connect(new StreamableHTTPClientTransport(new URL(url)));
  const protocol = direct.getNegotiatedProtocolVersion() ?? "unknown";
  const args = { a: 20, b: 22 };
  const viaPool = () => pool.withConnection("bench", cfg, (c) => c.callTool("add", args));
  const viaSdk = () => direct.callTool({ name: "add", arguments: args });
  try {
    for (let i = 0; i < 50; i++) {
      await viaPool();
      await viaSdk();
    }
    const layer: number[] = [];
    const sdk: number[] = [];
    const diffs: number[] = [];
    for (let i = 0; i < CALLS; i++) {
      // Alternate which goes first so ordering effects cancel out.
      let a = 0;
      let b = 0;
      if (i % 2 === 0) {
        let t = performance.now();
        await viaPool();
        a = performance.now() - t;
        t = performance.now();
        await viaSdk();
        b = performance.now() - t;
      } else {
        let t = performance.now();
        await viaSdk();
        b = performance.now() - t;
        t = performance.now();
        await viaPool();
        a = performance.now() - t;
      }
      layer.push(a);
      sdk.push(b);
      diffs.push(a - b);
    }
    return { protocol, layer, sdk, diffs };
  } finally {
    await direct.close();
    await pool.closeAll();
  }
}

main()
  .then(() => process.exit(0))
  .catch((error) => {
    console.error(error);
    process.exit(1);
  });
