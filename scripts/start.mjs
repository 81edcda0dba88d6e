#!/usr/bin/env node
// Starts the whole product: the demo MCP server and the API (which also serves the built web client).
// Used by `pnpm start`; each child gets the parent's environment.
//
// With NODE_ENV=production (`pnpm start:production`, after `pnpm build`) it runs the compiled API
// with plain Node — no tsx, nothing from the dev dependencies — and no demo server.
//
// The API is the product: when it exits, everything stops with its exit code. The bundled demo MCP
// server is an accessory: when it dies it is restarted with exponential backoff (reset after it has
// run for a while), and the API — serving every user — keeps running meanwhile.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const webDist = join(root, "apps", "web", "dist");
const production = process.env.NODE_ENV === "production";
const apiEntry = production ? "apps/api/dist/bin/main.js" : "apps/api/src/main.ts";
const demoPort = process.env.DEMO_MCP_PORT ?? "3001";
const BACKOFF_START_MS = Number(process.env.MCPDECK_RESTART_BACKOFF_MS ?? 500);
const BACKOFF_MAX_MS = 30_000;
/** A child that ran this long before dying is considered healthy: its next restart is quick again. */
const HEALTHY_RUN_MS = 60_000;
/**
 * On SIGTERM the API drains: running tool calls get MCPDECK_SHUTDOWN_GRACE_S, then a few seconds to
 * record their outcomes and close. Waited for in full; killing it sooner would interrupt calls that
 * were about to finish.
 */
const STOP_WAIT_MS = (Number(process.env.MCPDECK_SHUTDOWN_GRACE_S ?? 25) + 15) * 1000;

const children = new Set();
let stopping = false;

function log(line) {
  process.stderr.write(`[start] ${line}\n`);
}

/** Runs a child; `onExit` decides what its end means. */
function run(name, args, env, onExit) {
  // `node --import tsx`, not the tsx binary: one process per child, so a signal reaches the server
  // itself (the tsx binary runs it in a grandchild that would outlive a killed parent).
  const child = spawn(process.execPath, production ? args : ["--import", "tsx", ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: "inherit",
  });
  children.add(child);
  log(`${name} started (pid ${child.pid})`);
  child.on("exit", (code, signal) => {
    children.delete(child);
    if (!stopping) onExit(code, signal);
  });
  return child;
}

function supervise(name, args, env) {
  let backoff = BACKOFF_START_MS;
  const launch = () => {
    const startedAt = Date.now();
    run(name, args, env, (code, signal) => {
      if (Date.now() - startedAt >= HEALTHY_RUN_MS) backoff = BACKOFF_START_MS;
      log(`${name} exited (${signal ?? code}); restarting in ${backoff} ms`);
      const timer = setTimeout(() => {
        if (!stopping) launch();
      }, backoff);
      timer.unref();
      backoff = Math.min(BACKOFF_MAX_MS, backoff * 2);
    });
  };
  launch();
}

function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  for (const c of children) if (c.exitCode === null) c.kill("SIGTERM");
  setTimeout(() => process.exit(code), STOP_WAIT_MS).unref();
  Promise.all([...children].map((c) => new Promise((r) => c.on("exit", r)))).then(() => process.exit(code));
}
process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));

if (production && !existsSync(join(root, apiEntry))) {
  log(`${apiEntry} is missing: run pnpm build first`);
  process.exit(1);
}
if (!production && process.env.MCPDECK_DEMO_MCP_URL !== "none") {
  supervise("demo MCP server", ["apps/demo-mcp/src/main.ts"], { DEMO_MCP_PORT: demoPort });
}
run(
  "api",
  [apiEntry],
  {
    ...(existsSync(webDist) && !process.env.MCPDECK_WEB_DIST ? { MCPDECK_WEB_DIST: webDist } : {}),
    ...(production || process.env.MCPDECK_DEMO_MCP_URL
      ? {}
      : { MCPDECK_DEMO_MCP_URL: `http://127.0.0.1:${demoPort}/mcp` }),
  },
  (code, signal) => {
    log(`api exited (${signal ?? code}); stopping`);
    stop(code ?? 1);
  },
);
