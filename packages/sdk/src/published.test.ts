import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LiveApi, startLiveApi } from "./testing/index.js";

/**
 * The package as a user gets it: packed (which builds it), installed from the tarball into a plain
 * Node ESM project outside the workspace (its dependencies from the npm registry), typechecked by a
 * TypeScript app, and run — the README's example, as written — against a live API.
 */
const run = promisify(execFile);
const sdkDir = fileURLToPath(new URL("..", import.meta.url));
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const typeRoots = join(sdkDir, "node_modules/@types");

/** The README's example, the first TypeScript block of the package README. */
function readmeExample(file: string): string {
  const text = readFileSync(file, "utf8");
  const block = /```ts\n([\s\S]*?)```/.exec(text)?.[1];
  if (!block) throw new Error(`no example in ${file}`);
  return block;
}

let api: LiveApi;
let work: string;
let project: string;
let installed: string;

beforeAll(async () => {
  api = await startLiveApi();
  work = mkdtempSync(join(tmpdir(), "mcpdeck-sdk-pack-"));
  await run("pnpm", ["pack", "--pack-destination", work], { cwd: sdkDir, maxBuffer: 16 * 1024 * 1024 });
  const tarball = readdirSync(work).find((f) => f.endsWith(".tgz"));
  if (!tarball) throw new Error("pnpm pack made no tarball");
  project = join(work, "app");
  rmSync(project, { recursive: true, force: true });
  await run("mkdir", ["-p", project]);
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify({ name: "sdk-user", private: true, type: "module" }),
  );
  await run(
    "npm",
    ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", join(work, tarball)],
    { cwd: project, maxBuffer: 16 * 1024 * 1024 },
  );
  installed = join(project, "node_modules/@mcpdeck/sdk");
}, 300_000);

afterAll(async () => {
  await api?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Runs the example with `node`, answering the sign-in prompt with the code from the outbox. */
async function runExample(file: string, email: string, nodeArgs: string[] = []) {
  const child = spawn(process.execPath, [...nodeArgs, file], {
    cwd: project,
    env: { ...process.env, MCPDECK_API_URL: api.url, MCPDECK_EMAIL: email, DEMO_MCP_URL: api.demoUrl },
  });
  let stdout = "";
  let stderr = "";
  let answered = false;
  child.stderr.on("data", (d: Buffer) => {
    stderr += d;
  });
  child.stdout.on("data", (d: Buffer) => {
    stdout += d;
    if (!answered && stdout.includes(`Code sent to ${email}: `)) {
      answered = true;
      void api.code(email).then((code) => child.stdin.write(`${code}\n`));
    }
  });
  const exitCode = await new Promise<number | null>((resolve) => child.on("close", resolve));
  return { exitCode, stdout, stderr };
}

describe("the published package", () => {
  it("holds the built code, an exports map for Node and browsers, and declarations that need no workspace package", () => {
    const manifest = JSON.parse(readFileSync(join(installed, "package.json"), "utf8"));
    expect(manifest.exports["."]).toEqual({
      types: "./dist/index.d.ts",
      browser: "./dist/browser.js",
      default: "./dist/index.js",
    });
    expect(Object.keys(manifest.dependencies).sort()).toEqual(["@trpc/client", "@trpc/server", "ws", "zod"]);
    const declarations = readFileSync(join(installed, "dist/index.d.ts"), "utf8");
    const imported = [...declarations.matchAll(/(?:from |import\()['"]([^'"]+)['"]/g)].map((m) => m[1]!);
    for (const specifier of imported) expect(specifier).toMatch(/^(@trpc\/(client|server)(\/[\w-]+)?|zod)$/);
    // The browser entry reaches no Node module and not `ws`.
    const browserGraph = new Set<string>();
    const visit = (file: string) => {
      if (browserGraph.has(file)) return;
      browserGraph.add(file);
      const source = readFileSync(join(installed, "dist", file), "utf8");
      for (const [, specifier] of source.matchAll(/from ["']([^"']+)["']/g)) {
        expect(specifier).not.toMatch(/^(node:|ws$)/);
        if (specifier!.startsWith("./")) visit(specifier!.slice(2));
      }
    };
    visit("browser.js");
    expect(browserGraph.size).toBeGreaterThan(3);
  });

  it("typechecks a TypeScript app against the installed package: the README's example, and misuse refused", async () => {
    writeFileSync(join(project, "example.ts"), readmeExample(join(sdkDir, "README.md")));
    writeFileSync(
      join(project, "types.ts"),
      `import { createClient, McpdeckError, type SessionEvent, type RouterOutputs } from "@mcpdeck/sdk";
const client = createClient({ baseUrl: "http://localhost:3000" });
export async function check(event: SessionEvent) {
  const servers: RouterOutputs["servers"]["list"]["servers"] = (await client.trpc.servers.list.query({})).servers;
  const first: "none" | "api_key" | "oauth" | undefined = servers[0]?.auth_method;
  if (event.type === "task_update") {
    const status: "pending" | "approved" | "running" | "awaiting_input" | "succeeded" | "failed" | "rejected" | "skipped" | "cancelled" = event.payload.status;
    return status;
  }
  // @ts-expect-error a server needs a url
  await client.trpc.servers.create.mutate({ name: "x", auth_method: "none" });
  // @ts-expect-error there is no such procedure
  await client.trpc.servers.nope.query();
  // @ts-expect-error the payload of a chat message has no status
  if (event.type === "chat_message") return event.payload.status;
  const error = new McpdeckError({ code: "NOT_FOUND", message: "x" });
  // @ts-expect-error not an error code of the API
  error.code === "NOPE";
  return first;
}
`,
    );
    writeFileSync(
      join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          lib: ["ES2023", "DOM"],
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: ["node"],
          typeRoots: [typeRoots],
        },
        include: ["*.ts"],
      }),
    );
    const result = await run(process.execPath, [tsc, "-p", project], { cwd: project }).then(
      () => "",
      (error: { stdout: string }) => error.stdout,
    );
    expect(result).toBe("");
  }, 120_000);

  it("runs the README's example against a live API in Node (WebSockets from ws)", async () => {
    writeFileSync(join(project, "example.mjs"), readmeExample(join(sdkDir, "README.md")));
    const { exitCode, stdout, stderr } = await runExample(join(project, "example.mjs"), "node@example.com");
    expect(stderr).toBe("");
    expect(exitCode).toBe(0);
    expect(stdout).toMatch(/Signed in as \S+/);
    expect(stdout).toContain("signups: approved");
    expect(stdout).toMatch(/signups succeeded: .+/);
    expect(stdout).toMatch(/report succeeded: Built PDF report "Signups"/);
    expect(stdout).toMatch(/saved signups\.pdf \(application\/pdf, \d+ bytes\)/);
    expect(readFileSync(join(project, "signups.pdf")).subarray(0, 5).toString()).toBe("%PDF-");
  }, 120_000);

  it("runs the same example through the browser entry, on the platform's own WebSocket", async () => {
    writeFileSync(join(project, "example.mjs"), readmeExample(join(sdkDir, "README.md")));
    // Counts the sockets the page-style WebSocket opens, and the token each carries in its URL.
    writeFileSync(
      join(project, "count-websockets.mjs"),
      `const Native = globalThis.WebSocket;
globalThis.WebSocket = class extends Native {
  constructor(url, protocols) {
    super(url, protocols);
    process.stderr.write(\`browser websocket \${new URL(url).pathname} token=\${new URL(url).searchParams.has("token")}\\n\`);
  }
};
`,
    );
    rmSync(join(project, "signups.pdf"), { force: true });
    const { exitCode, stdout, stderr } = await runExample(
      join(project, "example.mjs"),
      "browser@example.com",
      [
        "--experimental-websocket",
        "--no-warnings",
        "--conditions=browser",
        "--import",
        "./count-websockets.mjs",
      ],
    );
    expect(exitCode).toBe(0);
    expect(stderr).toMatch(/browser websocket \/api\/v1\/ws\/server\/[\w-]+ token=true/);
    expect(stdout).toMatch(/report succeeded: Built PDF report "Signups"/);
    expect(readFileSync(join(project, "signups.pdf")).subarray(0, 5).toString()).toBe("%PDF-");
  }, 120_000);

  it("is the example the repository README shows", () => {
    const root = fileURLToPath(new URL("../../../README.md", import.meta.url));
    expect(readFileSync(root, "utf8")).toContain(readmeExample(join(sdkDir, "README.md")));
  });
});
