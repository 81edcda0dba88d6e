/**
 * CLI entry: `pnpm --filter @mcpdeck/demo-mcp start`
 *
 * Env: DEMO_MCP_PORT (default 3001), DEMO_MCP_HOST (default 127.0.0.1), DEMO_MCP_OAUTH=true (OAuth mode),
 * DEMO_MCP_API_KEY (require a key), DEMO_MCP_LEGACY_SSE=false (disable /sse), DEMO_MCP_MODERN_ERA=false (/mcp speaks
 * only the 2025 handshake era), DEMO_MCP_VERBOSE=true (log sessions).
 */
import { startDemoMcpServer } from "./index.js";

const truthy = (value: string | undefined): boolean => /^(1|true|yes|on)$/i.test(value?.trim() ?? "");

async function main(): Promise<void> {
  const rawPort = process.env.DEMO_MCP_PORT?.trim() || "3001";
  const port = Number(rawPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`Invalid DEMO_MCP_PORT: ${rawPort}`);
  const host = process.env.DEMO_MCP_HOST?.trim() || "127.0.0.1";
  const apiKey = process.env.DEMO_MCP_API_KEY?.trim() || undefined;
  const verbose = truthy(process.env.DEMO_MCP_VERBOSE);
  const handle = await startDemoMcpServer({
    port,
    host,
    oauth: truthy(process.env.DEMO_MCP_OAUTH),
    ...(apiKey !== undefined && { apiKey }),
    legacySse: process.env.DEMO_MCP_LEGACY_SSE === undefined || truthy(process.env.DEMO_MCP_LEGACY_SSE),
    modernEra: process.env.DEMO_MCP_MODERN_ERA === undefined || truthy(process.env.DEMO_MCP_MODERN_ERA),
    ...(verbose && { log: (line: string) => console.log(`[demo-mcp] ${line}`) }),
  });
  console.log(`demo MCP server listening on ${handle.url}`);

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    if (verbose) console.log(`[demo-mcp] ${signal} received, shutting down`);
    const force = setTimeout(() => process.exit(1), 5000);
    force.unref();
    handle.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error("demo MCP server failed to close cleanly:", error);
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}

main().catch((error: unknown) => {
  console.error("demo MCP server failed to start:", error instanceof Error ? error.message : error);
  process.exit(1);
});
