import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const apiDir = fileURLToPath(new URL("..", import.meta.url));
const webDir = fileURLToPath(new URL("../../web", import.meta.url));
const typescript = (...args: string[]) =>
  run(process.execPath, [tsc, ...args], { maxBuffer: 64 * 1024 * 1024 });

/** Every declaration file under `dir`. */
const declarations = (dir: string): string[] =>
  readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith(".d.ts"))
    .map((f) => join(dir, f));

describe("the client-safe router type (@mcpdeck/api/router)", () => {
  it("gives clients the router's types without the server's: the web typecheck stays small", async () => {
    await typescript("-p", join(apiDir, "tsconfig.router.json"));

    // What the emitted declarations import: tRPC, the contracts (and zod behind them), each other.
    const imported = new Set(
      declarations(join(apiDir, "dist-types")).flatMap((file) =>
        [...readFileSync(file, "utf8").matchAll(/(?:from |import\()"([^"]+)"/g)].map((m) => m[1]!),
      ),
    );
    for (const specifier of imported)
      expect(specifier).toMatch(/^(\.{1,2}\/|@trpc\/server(\/[\w-]+)?$|@mcpdeck\/contracts$|zod$)/);

    const { stdout } = await typescript("--noEmit", "--listFilesOnly", "-p", webDir);
    const files = stdout.split("\n").filter(Boolean);
    expect(files.some((f) => f.endsWith("/apps/api/dist-types/router.d.ts"))).toBe(true);
    const serverParts = [
      "fastify",
      "drizzle-orm",
      "@electric-sql/pglite",
      "@modelcontextprotocol/sdk",
      "@modelcontextprotocol/client",
      "pino",
      "postgres",
    ];
    for (const part of serverParts)
      expect(files.filter((f) => f.includes(`/node_modules/${part}/`))).toEqual([]);
    expect(files.filter((f) => f.includes("/apps/api/src/"))).toEqual([]);
    expect(files.length).toBeLessThan(300);

    // And the web client, which imports it, typechecks.
    await typescript("--noEmit", "-p", webDir);
  }, 180_000);
});
