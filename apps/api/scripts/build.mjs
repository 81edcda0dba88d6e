/**
 * `pnpm --filter @mcpdeck/api build`: the API for production, run with plain Node.
 *   dist/bin/main.js           the server (`NODE_ENV=production node dist/bin/main.js`)
 *   dist/bin/rotate-keys.js    re-encrypt stored credentials under the first encryption key
 *   dist/bin/generate-keys.js  fresh production keys as environment lines
 *   dist/drizzle/              the database migrations, applied at start-up
 * `pnpm --filter @mcpdeck/api deploy --prod <dir>` (see the Dockerfile) adds the runtime dependencies.
 */
import { cpSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { bundleNodeApp } from "../../../scripts/bundle-node-app.mjs";

const appDir = fileURLToPath(new URL("..", import.meta.url));
await bundleNodeApp({
  appDir,
  entryPoints: {
    main: "src/main.ts",
    "rotate-keys": "src/cli/rotate-keys.ts",
    "generate-keys": "src/cli/generate-keys.ts",
  },
  outdir: "dist/bin",
});
// createDb reads its migrations from ../drizzle beside its own module (packages/db/src/client.ts →
// packages/db/drizzle); bundled into dist/bin, that is dist/drizzle.
cpSync(
  fileURLToPath(new URL("../../../packages/db/drizzle", import.meta.url)),
  fileURLToPath(new URL("../dist/drizzle", import.meta.url)),
  { recursive: true },
);
