/**
 * Builds the publishable package into dist/: the JavaScript (one ES module per source file) and one
 * bundled declaration file. The declarations inline the API's router type and the contracts behind
 * it — private workspace packages no installer could fetch — and leave tRPC and zod, real
 * dependencies of the package, as imports.
 */
import { readdirSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { rollup } from "rollup";
import { dts } from "rollup-plugin-dts";

const root = fileURLToPath(new URL("..", import.meta.url));
const dist = `${root}dist`;
rmSync(dist, { recursive: true, force: true });

const sources = readdirSync(`${root}src`)
  .filter((file) => file.endsWith(".ts") && !file.endsWith(".test.ts"))
  .map((file) => `${root}src/${file}`);
await build({
  entryPoints: sources,
  outdir: dist,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  bundle: false,
  sourcemap: false,
  logLevel: "warning",
});

const declarations = await rollup({
  input: `${root}src/index.ts`,
  plugins: [dts({ respectExternal: true, tsconfig: `${root}tsconfig.json` })],
  external: (id) => /^(@trpc\/(client|server)|zod)(\/|$)/.test(id),
  onwarn(warning, warn) {
    if (warning.code !== "CIRCULAR_DEPENDENCY") warn(warning);
  },
});
await declarations.write({ file: `${dist}/index.d.ts`, format: "es" });
await declarations.close();
