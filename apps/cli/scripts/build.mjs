/**
 * Builds the `mcpdeck` command into one file, dist/mcpdeck.js: the CLI, the SDK and their
 * dependencies (tRPC's client, ws) bundled, so it runs with plain `node` and installs with nothing
 * else (`npm install -g ./apps/cli`).
 */
import { chmodSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

export async function buildCli(outfile = fileURLToPath(new URL("../dist/mcpdeck.js", import.meta.url))) {
  await build({
    entryPoints: [fileURLToPath(new URL("../src/main.ts", import.meta.url))],
    outfile,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    // ws and its peers are CommonJS and `require` Node's modules; give the bundle a real `require`.
    banner: {
      js: '#!/usr/bin/env node\nimport { createRequire as __mcpdeckRequire } from "node:module";\nconst require = __mcpdeckRequire(import.meta.url);',
    },
    // Optional native speed-ups of ws, loaded only when installed.
    external: ["bufferutil", "utf-8-validate"],
    logLevel: "warning",
  });
  chmodSync(outfile, 0o755);
  return outfile;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildCli();
