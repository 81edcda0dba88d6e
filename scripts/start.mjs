#!/usr/bin/env node
// Starts the whole product: the demo MCP server and the API (which also serves the built web client).
// Used by `pnpm start`; each child gets the parent's environment, and stopping this process stops both.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const tsx = join(root, "node_modules", ".bin", "tsx");
const webDist = join(root, "apps", "web", "dist");
const demoPort = process.env.DEMO_MCP_PORT ?? "3001";
const children = [];

function run(name, args, env) {
  const child = spawn(tsx, args, { cwd: root, env: { ...process.env, ...env }, stdio: "inherit" });
  child.on("exit", (code, signal) => {
    if (!stopping) {
      console.error(`[start] ${name} exited (${signal ?? code}); stopping`);
      stop(code ?? 1);
    }
  });
  children.push(child);
}

let stopping = false;
function stop(code = 0) {
  stopping = true;
  for (const c of children) if (c.exitCode === null) c.kill("SIGTERM");
  setTimeout(() => process.exit(code), 2000).unref();
  Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.on("exit", r)) : null))).then(
    () => process.exit(code),
  );
}
process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));

if (process.env.MCPDECK_DEMO_MCP_URL !== "none") {
  run("demo MCP server", ["apps/demo-mcp/src/main.ts"], { DEMO_MCP_PORT: demoPort });
}
run("api", ["apps/api/src/main.ts"], {
  ...(existsSync(webDist) && !process.env.MCPDECK_WEB_DIST ? { MCPDECK_WEB_DIST: webDist } : {}),
  ...(process.env.MCPDECK_DEMO_MCP_URL ? {} : { MCPDECK_DEMO_MCP_URL: `http://127.0.0.1:${demoPort}/mcp` }),
});
