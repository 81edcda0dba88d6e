/**
 * The container recipe, checked on a machine that cannot run containers: the Dockerfile's build stage
 * is replayed step by step in a clean directory (/src and /app map to folders of it; registries are
 * not reached — pnpm installs offline from the machine's store), then its run stage's command starts
 * the result as an unprivileged user against a database of its own on the machine's PostgreSQL, as
 * production runs it. It needs PostgreSQL (a production start refuses to run without it), so it runs
 * in `pnpm test:postgres` (TEST_DATABASE_URL), not in the PGlite run.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { envPairs, execForm, parseDockerfile } from "../testing/dockerfile.js";
import { freePort } from "../testing/process.js";
import { type ResendStandIn, startResendStandIn } from "../testing/resend-standin.js";

const repoRoot = fileURLToPath(new URL("../../../..", import.meta.url));
const METRICS_TOKEN = "container-recipe-metrics-token-0123456789";

let work: string;
let adminUrl: string;
let databaseUrl: string;
let databaseName: string;
let resend: ResendStandIn;
/** The run stage as the test replays it. */
const image = {
  cwd: "",
  env: {} as Record<string, string>,
  cmd: [] as string[],
  health: [] as string[],
  port: "",
};
/** Non-root, as the image's USER: this machine has no `node` user, so `nobody` (when the test runs as root). */
let runAs: { uid: number; gid: number } | undefined;
const timings: Record<string, number> = {};

function sh(command: string, cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      "sh",
      ["-c", command],
      {
        cwd,
        // The build's environment, offline: a test reaches no registry (pnpm installs from its store).
        env: {
          PATH: process.env.PATH ?? "",
          HOME: process.env.HOME ?? tmpdir(),
          CI: "true",
          npm_config_offline: "true",
        },
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) =>
        error ? reject(new Error(`\`${command}\` failed:\n${stdout}\n${stderr}`)) : resolve(),
    );
  });
}

/** The build context: the repository's files (what .dockerignore leaves in is what git does not ignore). */
function copyContext(to: string) {
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: repoRoot,
    encoding: "utf8",
  })
    .split("\0")
    .filter((f) => f !== "" && existsSync(join(repoRoot, f)));
  for (const file of files) {
    mkdirSync(dirname(join(to, file)), { recursive: true });
    copyFileSync(join(repoRoot, file), join(to, file));
  }
}

beforeAll(async () => {
  adminUrl = process.env.TEST_DATABASE_URL ?? "";
  if (!adminUrl) throw new Error("this test needs TEST_DATABASE_URL (PostgreSQL)");
  work = mkdtempSync(join(tmpdir(), "mcpdeck-recipe-"));
  chmodSync(work, 0o755);
  const paths: Record<string, string> = { "/src": join(work, "src"), "/app": join(work, "app") };
  const mapped = (text: string) =>
    text.replace(/(?<![\w./-])\/(src|app)(?=$|[\s/'"])/g, (path) => paths[path] ?? path);

  const stages = parseDockerfile(readFileSync(join(repoRoot, "Dockerfile"), "utf8"));
  expect(stages.map((s) => s.base)).toEqual(["node:20-bookworm-slim", "node:20-bookworm-slim"]);
  const [build, run] = stages as [(typeof stages)[0], (typeof stages)[0]];

  const started = Date.now();
  let cwd = work;
  for (const step of build.steps) {
    if (step.op === "WORKDIR") {
      cwd = mapped(step.args);
      mkdirSync(cwd, { recursive: true });
    } else if (step.op === "COPY") {
      expect(step.args).toBe(". .");
      copyContext(cwd);
    } else if (step.op === "RUN") {
      // Installing the pinned package manager would reach the registry: this machine's must be that one.
      const tool = /^npm install --global (\S+)@(\S+)$/.exec(step.args);
      if (tool) expect(execFileSync(tool[1]!, ["--version"], { encoding: "utf8" }).trim()).toBe(tool[2]);
      else await sh(mapped(step.args), cwd);
    } else {
      throw new Error(`the recipe test does not replay ${step.op} in the build stage: teach it`);
    }
  }
  timings.build = Date.now() - started;

  for (const step of run.steps) {
    if (step.op === "ENV") Object.assign(image.env, envPairs(step.args));
    else if (step.op === "COPY") {
      // The build stage's output, copied to the same path: here it is already in place.
      const [from, source, target] = step.args.split(/\s+/);
      expect(from).toBe(`--from=${build.name}`);
      expect(source).toBe(target);
    } else if (step.op === "WORKDIR") image.cwd = mapped(step.args);
    else if (step.op === "USER") expect(step.args).not.toBe("root");
    else if (step.op === "EXPOSE") image.port = step.args;
    else if (step.op === "HEALTHCHECK") image.health = execForm(step.args.replace(/^.*?\bCMD\s+/, ""));
    else if (step.op === "CMD") image.cmd = execForm(step.args);
    else throw new Error(`the recipe test does not replay ${step.op} in the run stage: teach it`);
  }
  expect(image.port).toBe(image.env.PORT);
  image.env.MCPDECK_WEB_DIST = mapped(image.env.MCPDECK_WEB_DIST ?? "");
  if (process.getuid?.() === 0) {
    const id = (flag: string) => Number(execFileSync("id", [flag, "nobody"], { encoding: "utf8" }).trim());
    runAs = { uid: id("-u"), gid: id("-g") };
  }

  databaseName = `mcpdeck_recipe_${randomBytes(6).toString("hex")}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${databaseName}"`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${databaseName}`;
  databaseUrl = url.toString();
  resend = await startResendStandIn();
}, 300_000);

afterAll(async () => {
  await resend?.close();
  if (databaseName) {
    const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`drop database if exists "${databaseName}" with (force)`);
    await admin.end();
  }
  if (work) rmSync(work, { recursive: true, force: true });
  process.stderr.write(`container recipe: build stage ${timings.build} ms\n`);
});

/** Production keys from the release's own generator, as an operator makes them. */
function generatedKeys(): Record<string, string> {
  const out = execFileSync(process.execPath, ["dist/bin/generate-keys.js"], {
    cwd: image.cwd,
    encoding: "utf8",
  });
  return Object.fromEntries(
    out
      .trim()
      .split("\n")
      .map((line) => /^(\w+)='(.*)'$/.exec(line)!.slice(1, 3) as [string, string]),
  );
}

/** The image's command with the image's environment and the deployment's. */
function startImage(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const [command, ...args] = image.cmd;
  const child = spawn(command === "node" ? process.execPath : command!, args, {
    cwd: image.cwd,
    env: { PATH: process.env.PATH ?? "", ...image.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    ...(runAs ?? {}),
  });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  return { child, output: () => output };
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once("exit", (code) => resolve(code));
  });
}

/** Runs the image's HEALTHCHECK command: true when it exits 0. */
function healthy(env: Record<string, string>): Promise<boolean> {
  const [command, ...args] = image.health;
  return new Promise((resolve) => {
    execFile(
      command === "node" ? process.execPath : command!,
      args,
      { env: { PATH: process.env.PATH ?? "", ...image.env, ...env }, timeout: 5_000 },
      (error) => resolve(!error),
    );
  });
}

describe("the container recipe (Dockerfile), replayed in a clean directory", () => {
  it("installs only production dependencies: no tsx, no build tools, no workspace sources", () => {
    const modules = join(image.cwd, "node_modules");
    const top = readdirSync(modules).flatMap((entry) =>
      entry.startsWith("@") ? readdirSync(join(modules, entry)).map((name) => `${entry}/${name}`) : [entry],
    );
    expect(top).toEqual(
      expect.arrayContaining(["fastify", "postgres", "@electric-sql/pglite", "prom-client"]),
    );
    const installed = readdirSync(join(modules, ".pnpm"));
    for (const dev of [
      "tsx",
      "vitest",
      "esbuild",
      "vite",
      "turbo",
      "@biomejs",
      "@playwright",
      "fast-check",
      "@mcpdeck",
    ]) {
      expect(top.filter((name) => name === dev || name.startsWith(`${dev}/`))).toEqual([]);
      expect(
        installed.filter(
          (name) => name.startsWith(`${dev.replace("/", "+")}@`) || name.startsWith(`${dev}+`),
        ),
      ).toEqual([]);
    }
    // The bundles, the migrations beside them and the web client; no TypeScript sources.
    expect(existsSync(join(image.cwd, "dist/bin/main.js"))).toBe(true);
    expect(readdirSync(join(image.cwd, "dist/drizzle")).some((f) => f.endsWith(".sql"))).toBe(true);
    expect(existsSync(join(image.env.MCPDECK_WEB_DIST!, "index.html"))).toBe(true);
    expect(existsSync(join(image.cwd, "src"))).toBe(false);
  });

  it("sets, in the image and in compose.yaml, only variables the API reads (or Node does)", () => {
    const read = new Set(
      [
        ...readFileSync(join(repoRoot, "apps/api/src/config/env.ts"), "utf8").matchAll(
          /^ {4}([A-Z][A-Z0-9_]+):/gm,
        ),
      ].map((m) => m[1]),
    );
    const compose = readFileSync(join(repoRoot, "compose.yaml"), "utf8");
    const apiBlock = compose.slice(compose.indexOf("x-api:"), compose.indexOf("\nservices:"));
    const composed = [...apiBlock.matchAll(/^ {4}([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]);
    expect(composed).toEqual(
      expect.arrayContaining(["DATABASE_URL", "PUBLIC_URL", "MCPDECK_JWT_PRIVATE_KEY"]),
    );
    for (const variable of [...composed, ...Object.keys(image.env)])
      if (variable !== "NODE_OPTIONS") expect(read, `${variable} is not read by the API`).toContain(variable);
    expect(compose).toContain("./deploy/Caddyfile:/etc/caddy/Caddyfile");
    expect(existsSync(join(repoRoot, "deploy/Caddyfile"))).toBe(true);
  });

  it("refuses to start without a key, DATABASE_URL, an https PUBLIC_URL or a mail provider, in one line naming it", async () => {
    const complete = {
      ...generatedKeys(),
      DATABASE_URL: databaseUrl,
      PUBLIC_URL: "https://deck.example.com",
      RESEND_API_KEY: "re_never_used",
    };
    const cases: [Record<string, string>, string][] = [
      [{ ...complete, MCPDECK_HMAC_SECRET: "" }, "MCPDECK_HMAC_SECRET"],
      [{ ...complete, DATABASE_URL: "" }, "DATABASE_URL"],
      [{ ...complete, PUBLIC_URL: "http://deck.example.com" }, "PUBLIC_URL"],
      [{ ...complete, RESEND_API_KEY: "" }, "RESEND_API_KEY"],
    ];
    for (const [env, variable] of cases) {
      const started = startImage(env);
      expect(await exitOf(started.child)).toBe(1);
      const lines = started
        .output()
        .split("\n")
        .filter((l) => l.trim() !== "");
      expect(lines, started.output()).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^mcpdeck: Invalid configuration: ${variable} `));
    }
  });

  it("`pnpm start:production` in the built tree runs the compiled API with plain Node and drains on SIGTERM", async () => {
    const manifest = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    };
    expect(manifest.scripts["start:production"]).toBe("NODE_ENV=production node scripts/start.mjs");
    const port = String(await freePort());
    const child = spawn(process.execPath, ["scripts/start.mjs"], {
      cwd: join(work, "src"),
      env: {
        PATH: process.env.PATH ?? "",
        NODE_ENV: "production",
        ...generatedKeys(),
        PORT: port,
        HOST: "127.0.0.1",
        DATABASE_URL: databaseUrl,
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        // No mail is sent here: accept the log mailer explicitly, as a private deployment may.
        MCPDECK_LOG_SIGN_IN_CODES: "true",
        LOG_LEVEL: "info",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout!.on("data", (d) => (output += d));
    child.stderr!.on("data", (d) => (output += d));
    try {
      await expect
        .poll(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.status, {
          timeout: 30_000,
          interval: 250,
        })
        .toBe(200);
      expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toContain("<title>mcpdeck</title>");
      // The compiled entry, no tsx, and no demo server in production.
      const pid = /\[start\] api started \(pid (\d+)\)/.exec(output)![1];
      const commandLine = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
      expect(commandLine.slice(1)).toEqual(["apps/api/dist/bin/main.js"]);
      expect(output).not.toMatch(/demo MCP server/);
      child.kill("SIGTERM");
      expect(await exitOf(child)).toBe(0);
      expect(output).toMatch(/stopped: 0 calls finished, 0 interrupted/);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });

  it("serves the product: health check, web client, sign-in mailed through Resend, metrics; drains on SIGTERM", async () => {
    const port = String(await freePort());
    const url = `http://127.0.0.1:${port}`;
    const deployment = {
      ...generatedKeys(),
      PORT: port,
      HOST: "127.0.0.1",
      DATABASE_URL: databaseUrl,
      PUBLIC_URL: url,
      RESEND_API_KEY: resend.apiKey,
      RESEND_BASE_URL: resend.url,
      MCPDECK_METRICS_TOKEN: METRICS_TOKEN,
      LOG_LEVEL: "warn",
    };
    const startedAt = Date.now();
    const server = startImage(deployment);
    try {
      await expect
        .poll(() => (server.child.exitCode === null ? healthy(deployment) : server.output()), {
          timeout: 30_000,
          interval: 250,
        })
        .toBe(true);
      timings.start = Date.now() - startedAt;

      const page = await fetch(`${url}/`);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain("<title>mcpdeck</title>");
      const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1]!;
      expect((await fetch(`${url}${script}`)).status).toBe(200);

      // Production has no development outbox: the code arrives by mail.
      expect((await fetch(`${url}/api/v1/dev/outbox?email=ops@example.com`)).status).toBe(404);
      const post = (path: string, body: unknown) =>
        fetch(`${url}${path}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        });
      expect((await post("/api/v1/auth/otp/request", { email: "ops@example.com" })).status).toBe(200);
      const mail = await resend.waitForMessage("ops@example.com", { timeoutMs: 10_000 });
      const code = /\b(\d{6})\b/.exec(mail.text ?? "")![1];
      const verified = await post("/api/v1/auth/otp/verify", { email: "ops@example.com", code });
      expect(verified.status).toBe(200);
      const { access_token } = (await verified.json()) as { access_token: string };
      const profile = await fetch(`${url}/api/v1/user/profile`, {
        headers: { authorization: `Bearer ${access_token}` },
      });
      expect(((await profile.json()) as { email: string }).email).toBe("ops@example.com");

      const metrics = await fetch(`${url}/metrics`, {
        headers: { authorization: `Bearer ${METRICS_TOKEN}` },
      });
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toMatch(
        /^mcpdeck_http_requests_total\{method="POST",route="\/api\/v1\/auth\/otp\/verify",status="200"\} 1$/m,
      );

      server.child.kill("SIGTERM");
      expect(await exitOf(server.child)).toBe(0);
      expect(server.output()).not.toMatch(/"level":(50|60)/);
    } finally {
      if (server.child.exitCode === null) server.child.kill("SIGKILL");
    }
  }, 60_000);
});
