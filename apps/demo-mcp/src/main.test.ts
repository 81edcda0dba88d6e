import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { TOOL_NAMES } from "./index.js";
import { connectStreamable } from "./testing/utils.js";

const appDir = fileURLToPath(new URL("..", import.meta.url));
const tsx = fileURLToPath(new URL("../node_modules/.bin/tsx", import.meta.url));

function startCli(env: Record<string, string>): {
  child: ChildProcess;
  firstLine: Promise<string>;
  output: () => string;
} {
  const child = spawn(tsx, ["src/main.ts"], {
    cwd: appDir,
    env: { ...process.env, DEMO_MCP_PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const firstLine = new Promise<string>((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const nl = out.indexOf("\n");
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.once("exit", (code) => reject(new Error(`exited early (${code}): ${out}`)));
  });
  return { child, firstLine, output: () => out };
}

describe("CLI entry (src/main.ts)", () => {
  it("logs the listening line, serves MCP, and exits cleanly on SIGTERM", async () => {
    const { child, firstLine, output } = startCli({});
    try {
      const line = await firstLine;
      const match = /^demo MCP server listening on (http:\/\/127\.0\.0\.1:\d+\/mcp)$/.exec(line);
      expect(match, line).not.toBeNull();
      const client = await connectStreamable(match?.[1] ?? "");
      expect((await client.listTools()).tools.length).toBe(TOOL_NAMES.length);
      // Leave the session open: shutdown must still be prompt.
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      const [code] = await exited;
      expect(code).toBe(0);
      expect(output().trim()).toBe(line);
      await client.close().catch(() => {});
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  }, 20_000);

  it("enables OAuth with DEMO_MCP_OAUTH=true and exits on SIGINT", async () => {
    const { child, firstLine } = startCli({ DEMO_MCP_OAUTH: "true" });
    try {
      const url = /listening on (\S+)$/.exec(await firstLine)?.[1] ?? "";
      const res = await fetch(url, { method: "POST" });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toContain("resource_metadata=");
      const exited = once(child, "exit");
      child.kill("SIGINT");
      expect((await exited)[0]).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  }, 20_000);

  it("requires the key with DEMO_MCP_API_KEY", async () => {
    const { child, firstLine } = startCli({ DEMO_MCP_API_KEY: "k" });
    try {
      const url = /listening on (\S+)$/.exec(await firstLine)?.[1] ?? "";
      expect((await fetch(url, { method: "POST" })).status).toBe(401);
      const client = await connectStreamable(url, { requestInit: { headers: { "X-API-Key": "k" } } });
      await client.close();
    } finally {
      child.kill("SIGTERM");
      if (child.exitCode === null) await once(child, "exit");
    }
  }, 20_000);

  it("leaves /mcp to the 2025 handshake era with DEMO_MCP_MODERN_ERA=false", async () => {
    const { child, firstLine } = startCli({ DEMO_MCP_MODERN_ERA: "false" });
    try {
      const url = new URL(/listening on (\S+)$/.exec(await firstLine)?.[1] ?? "");
      const info = (await (await fetch(new URL("/", url))).json()) as { protocol_eras: string[] };
      expect(info.protocol_eras).toEqual(["2025-11-25 (and earlier)"]);
      const client = await connectStreamable(url.href);
      expect((await client.listTools()).tools.length).toBe(TOOL_NAMES.length);
      await client.close();
    } finally {
      child.kill("SIGTERM");
      if (child.exitCode === null) await once(child, "exit");
    }
  }, 20_000);
});
