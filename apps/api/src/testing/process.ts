import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";

const apiDir = fileURLToPath(new URL("../..", import.meta.url));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * The real API entry point as a separate OS process (as `pnpm start` runs it), for what only a
 * process can show: dying mid-run (`kill()` is SIGKILL — no cleanup runs), several processes.
 */
export async function startApiProcess(
  env: Record<string, string>,
): Promise<{ url: string; child: ChildProcess; output: () => string; kill(): void }> {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: apiDir,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? tmpdir(),
      NODE_ENV: "test",
      PORT: String(port),
      HOST: "127.0.0.1",
      PUBLIC_URL: "http://127.0.0.1:3000",
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "warn",
      MCPDECK_DEMO_MCP_URL: "none",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the API process exited: ${output}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`the API process did not start: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    output: () => output,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
  };
}

/** Email-OTP sign-in over HTTP, with the code from the development outbox. */
export async function signInOver(url: string, email: string): Promise<string> {
  const post = (path: string, body: unknown) =>
    fetch(`${url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  await post("/api/v1/auth/otp/request", { email });
  let code: string | undefined;
  for (let i = 0; i < 100 && !code; i++) {
    const outbox = (await (
      await fetch(`${url}/api/v1/dev/outbox?email=${encodeURIComponent(email)}`)
    ).json()) as {
      messages: { code?: string }[];
    };
    code = outbox.messages[0]?.code;
    if (!code) await new Promise((r) => setTimeout(r, 20));
  }
  const verified = (await (await post("/api/v1/auth/otp/verify", { email, code })).json()) as {
    access_token: string;
  };
  return verified.access_token;
}
