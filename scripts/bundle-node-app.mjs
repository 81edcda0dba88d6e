/**
 * Bundles a Node app of the workspace for production: its TypeScript and the workspace packages it
 * uses (consumed as source everywhere else) become plain ES modules, while npm packages stay imports
 * that Node resolves at run time from the app's `dependencies` — all that a production install
 * (`pnpm deploy --prod`) has. Importing anything else fails the build and names the package to add:
 * a bundle that worked only beside the workspace's dev dependencies would fail in production.
 */
import { readFileSync, rmSync } from "node:fs";
import { builtinModules } from "node:module";
import { join } from "node:path";
import { build } from "esbuild";

/** `@scope/name/sub/path` → `@scope/name`; `name/sub` → `name`. */
const packageOf = (specifier) =>
  specifier
    .split("/")
    .slice(0, specifier.startsWith("@") ? 2 : 1)
    .join("/");

export async function bundleNodeApp({ appDir, entryPoints, outdir }) {
  const manifest = JSON.parse(readFileSync(join(appDir, "package.json"), "utf8"));
  const runtime = new Set(Object.keys(manifest.dependencies ?? {}));
  const builtins = new Set(builtinModules);
  rmSync(join(appDir, outdir), { recursive: true, force: true });
  await build({
    absWorkingDir: appDir,
    entryPoints,
    outdir,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    // Stack traces name the TypeScript sources (node --enable-source-maps).
    sourcemap: true,
    logLevel: "warning",
    plugins: [
      {
        name: "runtime-dependencies",
        setup(esbuild) {
          esbuild.onResolve({ filter: /^[^./]/ }, ({ path, importer }) => {
            const name = packageOf(path);
            if (path.startsWith("node:") || builtins.has(name)) return { external: true };
            if (name.startsWith("@mcpdeck/")) return undefined; // workspace source: bundled
            if (runtime.has(name)) return { external: true };
            return {
              errors: [
                {
                  text: `${name} (imported by ${importer}) is not in ${manifest.name}'s dependencies: a production install would not have it. Add it there.`,
                },
              ],
            };
          });
        },
      },
    ],
  });
}
