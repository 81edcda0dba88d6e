/**
 * The load generator, run as a child process of the bench so the servers under test do not share
 * its event loop. Driven over IPC: `{ type: "run", ... }` answers `{ type: "result", ... }`.
 *
 * Closed loop: `concurrency` workers on keep-alive connections, each sending its next request as
 * soon as the previous answer is fully read, for a fixed duration.
 */
import { Agent, request } from "node:http";

export interface LoadRun {
  type: "run";
  label: string;
  url: string;
  headers: Record<string, string>;
  durationMs: number;
  concurrency: number;
}

export interface LoadResult {
  type: "result";
  label: string;
  requests: number;
  /** Answers other than 200, and transport errors. */
  failures: number;
  firstFailure?: string;
  elapsedMs: number;
  /** Latency of every successful request, in milliseconds. */
  latenciesMs: number[];
}

function get(
  agent: Agent,
  url: URL,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, method: "GET", headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

export async function runLoad(run: LoadRun): Promise<LoadResult> {
  const url = new URL(run.url);
  if (url.hostname !== "127.0.0.1" && url.hostname !== "[::1]" && url.hostname !== "localhost") {
    throw new Error(`the load generator only targets loopback, not ${url.hostname}`);
  }
  const agent = new Agent({ keepAlive: true, maxSockets: run.concurrency });
  const latenciesMs: number[] = [];
  let failures = 0;
  let firstFailure: string | undefined;
  const started = performance.now();
  const deadline = started + run.durationMs;

  async function worker() {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      try {
        const res = await get(agent, url, run.headers);
        if (res.status === 200) latenciesMs.push(performance.now() - t0);
        else {
          failures++;
          firstFailure ??= `${res.status} ${res.body.slice(0, 200)}`;
        }
      } catch (error) {
        failures++;
        firstFailure ??= error instanceof Error ? error.message : String(error);
      }
    }
  }

  await Promise.all(Array.from({ length: run.concurrency }, worker));
  const elapsedMs = performance.now() - started;
  agent.destroy();
  return {
    type: "result",
    label: run.label,
    requests: latenciesMs.length + failures,
    failures,
    ...(firstFailure ? { firstFailure } : {}),
    elapsedMs,
    latenciesMs,
  };
}

// As a child process: serve runs until the parent disconnects.
if (process.send) {
  process.on("message", (message: LoadRun) => {
    if (message?.type !== "run") return;
    runLoad(message).then(
      (result) => process.send?.(result),
      (error) =>
        process.send?.({ type: "error", message: error instanceof Error ? error.message : String(error) }),
    );
  });
  process.on("disconnect", () => process.exit(0));
  process.send({ type: "ready" });
}
