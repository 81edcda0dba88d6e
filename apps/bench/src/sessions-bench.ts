/**
 * `pnpm bench` (sessions part), on PGlite and on PostgreSQL in one run, against the demo MCP server:
 *  1. a warm tool call through a session — approve → `succeeded` event, every state change persisted
 *     and delivered over the session socket — beside the same call made directly with the MCP SDK
 *     client, interleaved call by call; median and p99 of each and of the difference
 *     (target ≤ 1 ms median added, floor 2 ms);
 *  2. 1,000 concurrent idle sessions on one process (sockets held by a child process): memory per
 *     session (target ≤ 64 KB, floor 100 KB), and the p99 delivery latency of one event to each of
 *     them (target ≤ 50 ms, floor 100 ms), plus one event fanned out to 1,000 sockets on one session;
 *  3. a graph of 8 independent 200 ms tools: wall time against one such tool's
 *     (target ≤ 1.15×, floor 1.3×);
 *  4. the events per second one session sustains end to end (a tool streaming progress).
 *
 * BENCH_DATABASE_URL (or the machine's PostgreSQL at 127.0.0.1:5432) for the PostgreSQL run, in a
 * database created for it and dropped after; skipped with a note when no server answers.
 */
import { fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, type RunningApp, startApp } from "@mcpdeck/api";
import { createDb, type DbHandle } from "@mcpdeck/db";
import { createTestDb } from "@mcpdeck/db/testing";
import { startDemoMcpServer } from "@mcpdeck/demo-mcp";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import postgres from "postgres";
import WebSocket from "ws";
import { formatMs, percentile, stopAfter } from "./measure.js";

const CALLS = Number(process.env.BENCH_SESSION_CALLS ?? 150);
const IDLE = Number(process.env.BENCH_IDLE_SESSIONS ?? 1000);
const PROGRESS_STEPS = 3000;

stopAfter(280, "sessions bench");

const verdict = (value: number, target: number, floor: number) =>
  value <= target ? "OK" : value <= floor ? "within floor" : "MISSED";

interface Message {
  id: number;
  type: string;
  payload: Record<string, unknown> & { node_id?: string; status?: string; graph_id?: string };
}

/** A session socket that resolves the next message matching a predicate. */
async function socket(url: string) {
  const ws = new WebSocket(url);
  const waiters: { match: (m: Message) => boolean; resolve: (m: Message) => void }[] = [];
  let onAny: ((m: Message) => void) | undefined;
  ws.on("message", (data) => {
    const m = JSON.parse(String(data)) as Message;
    onAny?.(m);
    for (const w of [...waiters]) {
      if (w.match(m)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  return {
    send: (type: string, payload: unknown) => ws.send(JSON.stringify({ type, payload })),
    next: (match: (m: Message) => boolean) =>
      new Promise<Message>((resolve) => waiters.push({ match, resolve })),
    onAny: (fn: (m: Message) => void) => {
      onAny = fn;
    },
    close: () => ws.close(),
  };
}

async function postgresServer(): Promise<string | undefined> {
  const url =
    process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
  const probe = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await probe`select 1`;
    return url;
  } catch {
    return undefined;
  } finally {
    await probe.end({ timeout: 1 });
  }
}

async function benchDatabase(kind: "pglite" | "postgres", serverUrl?: string) {
  if (kind === "pglite") {
    const handle = await createTestDb();
    return { handle, drop: async () => handle.close() };
  }
  const name = `mcpdeck_bench_${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`;
  const admin = postgres(serverUrl!, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  await admin.end();
  const url = new URL(serverUrl!);
  url.pathname = `/${name}`;
  const handle = await createDb({ databaseUrl: url.toString(), maxConnections: 10 });
  return {
    handle,
    drop: async () => {
      await handle.close();
      const dropper = postgres(serverUrl!, { max: 1, onnotice: () => {} });
      await dropper.unsafe(`drop database if exists "${name}" with (force)`);
      await dropper.end();
    },
  };
}

async function signIn(app: RunningApp): Promise<{ token: string; userId: string }> {
  const email = `bench-${randomBytes(4).toString("hex")}@example.com`;
  const post = (path: string, body: unknown) =>
    fetch(`${app.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  await post("/api/v1/auth/otp/request", { email });
  await new Promise((r) => setTimeout(r, 50));
  const code = app.services.mailer.outbox!.list(email)[0]!.code!;
  const verified = (await (await post("/api/v1/auth/otp/verify", { email, code })).json()) as {
    access_token: string;
    user: { id: string };
  };
  return { token: verified.access_token, userId: verified.user.id };
}

async function run(kind: "pglite" | "postgres", serverUrl?: string) {
  const demo = await startDemoMcpServer({ port: 0 });
  const db: { handle: DbHandle; drop(): Promise<void> } = await benchDatabase(kind, serverUrl);
  const dataDir = mkdtempSync(join(tmpdir(), "mcpdeck-bench-sessions-"));
  const config = loadConfig({
    NODE_ENV: "test",
    PORT: "0",
    HOST: "127.0.0.1",
    MCPDECK_DATA_DIR: dataDir,
    LOG_LEVEL: "warn",
    MCPDECK_DEMO_MCP_URL: "none",
    MCPDECK_RATE_LIMIT_API: "100000000",
    MCPDECK_RATE_LIMIT_AUTH: "100000000",
    MCPDECK_WS_MESSAGES_PER_MIN: "1000000",
    MCPDECK_SESSION_CONCURRENCY: "16",
  });
  const app = await startApp({ config, dbHandle: db.handle, statusChecks: false });
  const lines: string[] = [`— sessions on ${kind}`];
  try {
    const { token, userId } = await signIn(app);
    const created = await fetch(`${app.url}/api/v1/servers`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ name: "demo", url: demo.url, auth_method: "none" }),
    });
    const serverId = ((await created.json()) as { id: string }).id;
    const wsBase = `${app.url.replace("http", "ws")}/api/v1/ws/server/${serverId}?token=${token}`;

    // 1. A warm call through a session vs the SDK client directly.
    const s = await socket(wsBase);
    const direct = new Client(
      { name: "bench-direct", version: "0.0.0" },
      { versionNegotiation: { mode: "auto" } },
    );
    await direct.connect(new StreamableHTTPClientTransport(new URL(demo.url)));
    const args = { country: "US", limit: 5 };
    const viaSession = async () => {
      const proposed = s.next((m) => m.type === "task_graph_proposal");
      s.send("chat_message", { text: `/call query_signups ${JSON.stringify(args)}` });
      const graphId = (await proposed).payload.graph_id as string;
      const done = s.next(
        (m) => m.type === "task_update" && m.payload.graph_id === graphId && m.payload.status === "succeeded",
      );
      // The graph's summary follows the outcome; waiting for it (untimed) keeps that work out of
      // the SDK call measured next.
      const summarised = s.next((m) => m.type === "chat_message" && m.payload.sender === "AGENT");
      const t0 = performance.now();
      s.send("approve_task", { node_id: "call", graph_id: graphId });
      await done;
      const elapsed = performance.now() - t0;
      await summarised;
      return elapsed;
    };
    const viaSdk = async () => {
      const t0 = performance.now();
      await direct.callTool({ name: "query_signups", arguments: args });
      return performance.now() - t0;
    };
    for (let i = 0; i < 10; i++) {
      await viaSession();
      await viaSdk();
    }
    const session: number[] = [];
    const sdk: number[] = [];
    const added: number[] = [];
    for (let i = 0; i < CALLS; i++) {
      const [a, b] = i % 2 === 0 ? [await viaSession(), await viaSdk()] : [0, 0];
      const [c, d] = i % 2 === 1 ? [await viaSdk(), await viaSession()] : [b, a];
      session.push(i % 2 === 0 ? a : d);
      sdk.push(i % 2 === 0 ? b : c);
      added.push(session.at(-1)! - sdk.at(-1)!);
    }
    await direct.close();
    const overhead = percentile(added, 50);
    lines.push(
      `1. warm tool call, approve → succeeded (${CALLS} interleaved): session p50 ${formatMs(percentile(session, 50))} p99 ${formatMs(percentile(session, 99))}; SDK directly p50 ${formatMs(percentile(sdk, 50))} p99 ${formatMs(percentile(sdk, 99))}`,
      `   median added ${formatMs(overhead)}, p99 added ${formatMs(percentile(added, 99))} (target ≤ 1 ms, floor 2 ms) ${verdict(overhead, 1, 2)}`,
    );

    // 3. Eight independent 200 ms tools in one graph vs one.
    const timeGraph = async (n: number) => {
      const nodes = Array.from({ length: n }, (_, i) => ({
        id: `w${i}`,
        tool: "wait",
        arguments: { ms: 200 },
      }));
      const proposed = s.next((m) => m.type === "task_graph_proposal");
      s.send("chat_message", { text: `/graph ${JSON.stringify({ nodes })}` });
      const graphId = (await proposed).payload.graph_id as string;
      const finished = new Set<string>();
      const all = new Promise<void>((resolve) => {
        s.onAny((m) => {
          if (
            m.type === "task_update" &&
            m.payload.graph_id === graphId &&
            m.payload.status === "succeeded"
          ) {
            finished.add(m.payload.node_id!);
            if (finished.size === n) resolve();
          }
        });
      });
      const t0 = performance.now();
      s.send("chat_message", { text: "/approve all" });
      await all;
      s.onAny(() => undefined);
      return performance.now() - t0;
    };
    await timeGraph(1);
    const one = Math.min(await timeGraph(1), await timeGraph(1));
    const eight = Math.min(await timeGraph(8), await timeGraph(8));
    const ratio = eight / one;
    lines.push(
      `3. 8 independent 200 ms tools: ${formatMs(eight)} vs one tool ${formatMs(one)} = ${ratio.toFixed(3)}× (target ≤ 1.15×, floor 1.3×) ${verdict(ratio, 1.15, 1.3)}`,
    );

    // 4. Events per second one session sustains: a tool streaming progress as fast as it can.
    {
      const proposed = s.next((m) => m.type === "task_graph_proposal");
      s.send("chat_message", {
        text: `/call long_running_analysis {"steps": ${PROGRESS_STEPS}, "step_ms": 0}`,
      });
      const graphId = (await proposed).payload.graph_id as string;
      let events = 0;
      let progress = 0;
      let first = 0;
      let last = 0;
      const done = new Promise<void>((resolve) => {
        s.onAny((m) => {
          if (m.type === "connection_status" || m.type === "error") return;
          const now = performance.now();
          if (!first) first = now;
          last = now;
          events++;
          if (m.type === "task_update" && m.payload.progress) progress++;
          if (m.type === "task_update" && m.payload.graph_id === graphId && m.payload.status === "succeeded")
            resolve();
        });
      });
      s.send("approve_task", { node_id: "call", graph_id: graphId });
      await done;
      s.onAny(() => undefined);
      const seconds = (last - first) / 1000;
      lines.push(
        `4. one session end to end: ${events} events in ${seconds.toFixed(2)} s = ${Math.round(events / seconds)} events/s (${progress} progress updates for ${PROGRESS_STEPS} server notifications; the latest progress wins while a write is in flight)`,
      );
    }
    s.close();

    // 2. 1,000 idle sessions: memory per session, and delivery latency.
    const sessionIds: string[] = [];
    for (let i = 0; i < IDLE; i++)
      sessionIds.push((await app.services.sessionStore.startNew(userId, serverId)).id);
    const child = fork(new URL("./socket-load.ts", import.meta.url), [], { execArgv: ["--import", "tsx"] });
    const fromChild = <T>(type: string) =>
      new Promise<T>((resolve, reject) => {
        const on = (m: { type: string; message?: string }) => {
          if (m.type === type) {
            child.off("message", on);
            resolve(m as T);
          } else if (m.type === "error") reject(new Error(m.message));
        };
        child.on("message", on);
      });
    await fromChild("ready");
    const gc = (globalThis as { gc?: () => void }).gc;
    // Settle what the earlier parts left (buffers outside the heap are freed a collection or two later).
    for (let i = 0; i < 4; i++) {
      gc?.();
      await new Promise((r) => setTimeout(r, 150));
    }
    const before = process.memoryUsage();
    child.send({ type: "open", urls: sessionIds.map((id) => `${wsBase}&session_id=${id}`) });
    await fromChild("opened");
    await new Promise((r) => setTimeout(r, 1500));
    gc?.();
    await new Promise((r) => setTimeout(r, 200));
    const after = process.memoryUsage();
    // What the sessions hold: the JS heap plus memory outside it (socket buffers, zlib). The process's
    // RSS is shown too, but it also moves as the allocator hands back what earlier parts used (it can
    // even shrink), so the verdict reads the accounted memory.
    const perSessionHeap = (after.heapUsed - before.heapUsed) / IDLE / 1024;
    const perSessionExternal = (after.external - before.external) / IDLE / 1024;
    const perSession = perSessionHeap + perSessionExternal;
    const perSessionRss = (after.rss - before.rss) / IDLE / 1024;
    lines.push(
      `2. ${IDLE} idle sessions on one process: ${perSession.toFixed(1)} KB per session (heap ${perSessionHeap.toFixed(1)} + outside the heap ${perSessionExternal.toFixed(1)}; process RSS moved ${perSessionRss.toFixed(1)} KB per session) (target ≤ 64 KB, floor 100 KB) ${verdict(perSession, 64, 100)}${gc ? "" : " (no --expose-gc: figures include garbage)"}`,
    );
    const expectDelivery = (marker: string) => {
      child.send({ type: "expect", marker });
      return fromChild<{ latenciesMs: number[] }>("delivered");
    };
    {
      const delivered = expectDelivery("bench-all");
      for (const id of sessionIds) {
        await app.services.events.append(id, [
          {
            type: "chat_message",
            payload: {
              sender: "SYSTEM",
              text: `bench-all ${Date.now()}`,
              timestamp: new Date().toISOString(),
            },
          },
        ]);
      }
      const { latenciesMs } = await delivered;
      const p99 = percentile(latenciesMs, 99);
      lines.push(
        `   one event to each of them, written back to back: delivery p50 ${percentile(latenciesMs, 50)} ms, p99 ${p99} ms (target ≤ 50 ms, floor 100 ms) ${verdict(p99, 50, 100)}`,
      );
    }
    child.kill();
    await new Promise((r) => setTimeout(r, 300));
    {
      // Fan-out: one event, 1,000 sockets following the same conversation.
      const fan = fork(new URL("./socket-load.ts", import.meta.url), [], { execArgv: ["--import", "tsx"] });
      const fromFan = <T>(type: string) =>
        new Promise<T>((resolve) => {
          const on = (m: { type: string }) => {
            if (m.type === type) {
              fan.off("message", on);
              resolve(m as T);
            }
          };
          fan.on("message", on);
        });
      await fromFan("ready");
      const target = sessionIds[0]!;
      fan.send({ type: "open", urls: Array.from({ length: IDLE }, () => `${wsBase}&session_id=${target}`) });
      await fromFan("opened");
      await new Promise((r) => setTimeout(r, 1000));
      fan.send({ type: "expect", marker: "bench-fan" });
      const delivered = fromFan<{ latenciesMs: number[] }>("delivered");
      await app.services.events.append(target, [
        {
          type: "chat_message",
          payload: { sender: "SYSTEM", text: `bench-fan ${Date.now()}`, timestamp: new Date().toISOString() },
        },
      ]);
      const { latenciesMs } = await delivered;
      const p99 = percentile(latenciesMs, 99);
      lines.push(
        `   one event fanned out to ${IDLE} sockets on one session: p50 ${percentile(latenciesMs, 50)} ms, p99 ${p99} ms (target ≤ 50 ms, floor 100 ms) ${verdict(p99, 50, 100)}`,
      );
      fan.kill();
    }
  } finally {
    await app.close();
    await db.drop();
    await demo.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  return lines;
}

async function main() {
  const out: string[] = [];
  out.push(...(await run("pglite")));
  const pg = await postgresServer();
  if (pg) out.push(...(await run("postgres", pg)));
  else out.push("— sessions on postgres: skipped (no PostgreSQL answered; set BENCH_DATABASE_URL)");
  console.log("");
  for (const line of out) console.log(line);
}

main()
  .then(() => process.exit(0))
  .catch((error) => {
    console.error(error);
    process.exit(1);
  });
