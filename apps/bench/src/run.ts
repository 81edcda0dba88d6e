/**
 * `pnpm bench`: authenticated `GET /api/v1/user/profile` through the whole mcpdeck stack (Fastify,
 * rate limiter, REST facade, tRPC, session check) against a bare node:http handler doing the same
 * token verification and the same one-row query on the same database, side by side in one run.
 *
 * Both servers live in this process (PGlite is embedded, so they must share it; on PostgreSQL
 * likewise, for symmetry); the load comes from a child process on loopback. Rounds alternate
 * A/B/A/B after a warm-up so drift (JIT, caches, other work on the machine) hits both alike.
 *
 * BENCH_DATABASE_URL (or DATABASE_URL): run on that PostgreSQL server, in a database created for
 * the run and dropped after it. Otherwise an in-memory PGlite.
 */
import { type ChildProcess, fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, type RunningApp, startApp } from "@mcpdeck/api";
import { createDb, type DbHandle } from "@mcpdeck/db";
import { createTestDb } from "@mcpdeck/db/testing";
import postgres from "postgres";
import { startBareServer } from "./bare-server.js";
import type { LoadResult, LoadRun } from "./load.js";
import { percentile, stopAfter } from "./measure.js";

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 8_000);
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 2_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const ROUNDS = 2;
const TARGET = 0.6;
const PROFILE_PATH = "/api/v1/user/profile";

stopAfter(115, "bench");

/** A database of its own on the PostgreSQL server at `serverUrl`, dropped by `drop()`. */
async function createBenchDatabase(serverUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `mcpdeck_bench_${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const dropper = postgres(serverUrl, { max: 1, onnotice: () => {} });
      try {
        await dropper.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await dropper.end();
      }
    },
  };
}

async function json<T = Record<string, unknown>>(res: Response): Promise<T> {
  const text = await res.text();
  if (!res.ok) throw new Error(`${res.status} ${text}`);
  return JSON.parse(text) as T;
}

/** A real sign-in through mcpdeck's endpoints (development outbox), for a real access token. */
async function signIn(baseUrl: string): Promise<string> {
  const email = `bench-${randomBytes(4).toString("hex")}@example.com`;
  const post = (path: string, body: unknown) =>
    fetch(`${baseUrl}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  await json(await post("/api/v1/auth/otp/request", { email }));
  let code: string | undefined;
  for (let i = 0; i < 100 && !code; i++) {
    const outbox = await json<{ messages: { code?: string }[] }>(
      await fetch(`${baseUrl}/api/v1/dev/outbox?email=${encodeURIComponent(email)}`),
    );
    code = outbox.messages[0]?.code;
    if (!code) await new Promise((r) => setTimeout(r, 20));
  }
  if (!code) throw new Error("no sign-in code in the development outbox");
  const session = await json<{ access_token: string }>(
    await post("/api/v1/auth/otp/verify", { email, code }),
  );
  return session.access_token;
}

function startLoadProcess(): Promise<{
  child: ChildProcess;
  run(run: Omit<LoadRun, "type">): Promise<LoadResult>;
}> {
  const child = fork(new URL("./load.ts", import.meta.url), [], { execArgv: ["--import", "tsx"] });
  let pending: { resolve(r: LoadResult): void; reject(e: Error): void } | undefined;
  child.on("message", (message: { type: string; message?: string }) => {
    if (message.type === "result") pending?.resolve(message as LoadResult);
    if (message.type === "error") pending?.reject(new Error(`load generator: ${message.message}`));
  });
  child.on("exit", (code) => pending?.reject(new Error(`load generator exited (${code})`)));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("message", () =>
      resolve({
        child,
        run: (run) =>
          new Promise<LoadResult>((res, rej) => {
            pending = { resolve: res, reject: rej };
            child.send({ type: "run", ...run } satisfies LoadRun);
          }),
      }),
    );
  });
}

interface Totals {
  requests: number;
  failures: number;
  elapsedMs: number;
  latencies: number[];
}

function summarize(t: Totals) {
  return {
    rps: (t.requests - t.failures) / (t.elapsedMs / 1000),
    p50: percentile(t.latencies, 50),
    p99: percentile(t.latencies, 99),
  };
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

async function main() {
  const serverUrl = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL;
  const dataDir = mkdtempSync(join(tmpdir(), "mcpdeck-bench-"));
  const cleanups: (() => Promise<void>)[] = [async () => rmSync(dataDir, { recursive: true, force: true })];
  const cleanup = async () => {
    for (const fn of cleanups.splice(0).reverse())
      await fn().catch((e) => process.stderr.write(`cleanup: ${e}\n`));
  };

  try {
    let pg: { url: string; drop(): Promise<void> } | undefined;
    let shared: DbHandle | undefined;
    if (serverUrl) {
      pg = await createBenchDatabase(serverUrl);
      cleanups.push(() => pg!.drop());
    } else {
      shared = await createTestDb();
      cleanups.push(() => shared!.close());
    }

    const config = loadConfig({
      NODE_ENV: "development",
      PORT: "0",
      HOST: "127.0.0.1",
      PUBLIC_URL: "http://127.0.0.1:3000",
      MCPDECK_DATA_DIR: dataDir,
      LOG_LEVEL: "warn",
      // The limiter runs on every request but never refuses one.
      MCPDECK_RATE_LIMIT_API: "100000000",
      MCPDECK_RATE_LIMIT_AUTH: "100000000",
      MCPDECK_DEMO_MCP_URL: "none",
      ...(pg ? { DATABASE_URL: pg.url } : {}),
    });
    // On PostgreSQL each server has its own pool of the default size; on PGlite they share the one
    // embedded instance.
    const app: RunningApp = await startApp({ config, ...(shared ? { dbHandle: shared } : {}) });
    cleanups.push(() => app.close());
    const bareDb = shared ?? (await createDb({ databaseUrl: pg!.url, migrate: false }));
    if (!shared) cleanups.push(() => bareDb.close());
    const bare = await startBareServer({
      db: bareDb.db,
      publicKey: config.keys.jwtPublicKey,
      issuer: config.publicUrl,
    });
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          bare.server.closeAllConnections();
          bare.server.close(() => resolve());
        }),
    );

    const token = await signIn(app.url);
    const headers = { authorization: `Bearer ${token}` };
    const [viaApp, viaBare] = await Promise.all(
      [app.url, bare.url].map(async (base) => json(await fetch(`${base}${PROFILE_PATH}`, { headers }))),
    );
    if (JSON.stringify(viaApp) !== JSON.stringify(viaBare)) {
      throw new Error(`the two servers disagree: ${JSON.stringify(viaApp)} vs ${JSON.stringify(viaBare)}`);
    }

    const load = await startLoadProcess();
    cleanups.push(async () => {
      load.child.disconnect();
    });
    const targets = { mcpdeck: `${app.url}${PROFILE_PATH}`, bare: `${bare.url}${PROFILE_PATH}` } as const;

    console.log(
      `auth profile bench: ${pg ? "PostgreSQL" : "PGlite (in-process)"}, node ${process.version}, ${cpus().length} CPUs, ` +
        `concurrency ${CONCURRENCY}, ${ROUNDS}×${DURATION_MS / 1000} s per server after ${WARMUP_MS / 1000} s warm-up`,
    );
    for (const label of ["mcpdeck", "bare"] as const) {
      await load.run({
        label: `${label} warm-up`,
        url: targets[label],
        headers,
        durationMs: WARMUP_MS,
        concurrency: CONCURRENCY,
      });
    }

    const totals: Record<"mcpdeck" | "bare", Totals> = {
      mcpdeck: { requests: 0, failures: 0, elapsedMs: 0, latencies: [] },
      bare: { requests: 0, failures: 0, elapsedMs: 0, latencies: [] },
    };
    for (let round = 1; round <= ROUNDS; round++) {
      for (const label of ["mcpdeck", "bare"] as const) {
        const result = await load.run({
          label,
          url: targets[label],
          headers,
          durationMs: DURATION_MS,
          concurrency: CONCURRENCY,
        });
        const t = totals[label];
        t.requests += result.requests;
        t.failures += result.failures;
        t.elapsedMs += result.elapsedMs;
        for (const l of result.latenciesMs) t.latencies.push(l);
        const s = summarize({
          requests: result.requests,
          failures: result.failures,
          elapsedMs: result.elapsedMs,
          latencies: result.latenciesMs,
        });
        console.log(
          `  round ${round} ${label.padEnd(7)} ${fmt(s.rps).padStart(7)} req/s  p50 ${fmt(s.p50, 2)} ms  p99 ${fmt(s.p99, 2)} ms` +
            (result.failures ? `  (${result.failures} failed: ${result.firstFailure})` : ""),
        );
      }
    }

    const a = summarize(totals.mcpdeck);
    const b = summarize(totals.bare);
    const ratio = a.rps / b.rps;
    console.log("");
    console.log(`  ${"".padEnd(8)} ${"req/s".padStart(8)} ${"p50 ms".padStart(8)} ${"p99 ms".padStart(8)}`);
    for (const [label, s] of [
      ["mcpdeck", a],
      ["bare", b],
    ] as const) {
      console.log(
        `  ${label.padEnd(8)} ${fmt(s.rps).padStart(8)} ${fmt(s.p50, 2).padStart(8)} ${fmt(s.p99, 2).padStart(8)}`,
      );
    }
    console.log(`  ratio mcpdeck/bare: ${(ratio * 100).toFixed(1)}% of the throughput`);
    console.log("");
    console.log(
      `auth profile: mcpdeck ${fmt(a.rps)} req/s vs bare ${fmt(b.rps)} req/s = ${(ratio * 100).toFixed(0)}% (target >= ${TARGET * 100}%)`,
    );
    if (totals.mcpdeck.failures + totals.bare.failures > 0) {
      process.exitCode = 1;
      console.error("bench: some requests failed (see above)");
    }
  } finally {
    await cleanup();
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error) => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
