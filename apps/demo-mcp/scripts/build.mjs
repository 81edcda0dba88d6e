/** `pnpm --filter @mcpdeck/demo-mcp build`: the demo MCP server as dist/main.js, run with plain Node. */
import { fileURLToPath } from "node:url";
import { bundleNodeApp } from "../../../scripts/bundle-node-app.mjs";

await bundleNodeApp({
  appDir: fileURLToPath(new URL("..", import.meta.url)),
  entryPoints: { main: "src/main.ts" },
  outdir: "dist",
});
