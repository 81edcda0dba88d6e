import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createClient } from "@mcpdeck/sdk";
import type { LiveApi } from "@mcpdeck/sdk/testing";
import { fileTokenStore, readCredentials, writeCredentials } from "../credentials.js";

/** The built command (vitest's global setup builds it), run with plain node as a user runs it. */
export const CLI = fileURLToPath(new URL("../../dist/mcpdeck.js", import.meta.url));

// biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escapes are what is removed
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]|\r/g;
export const plain = (text: string) => text.replace(ANSI, "");

/** A user's home for the command: its own config directory and working directory. */
export function userHome() {
  const root = mkdtempSync(join(tmpdir(), "mcpdeck-cli-"));
  return { config: join(root, "config"), cwd: mkdtempSync(join(root, "work-")) };
}

export type Home = ReturnType<typeof userHome>;

function envFor(api: LiveApi, home: Home, extra: Record<string, string> = {}) {
  const { MCPDECK_API_URL: _api, XDG_CONFIG_HOME: _xdg, ...rest } = process.env;
  return { ...rest, XDG_CONFIG_HOME: home.config, MCPDECK_API_URL: api.url, NO_COLOR: "1", ...extra };
}

/** Signs a user in the way `mcpdeck login` leaves them: tokens in the config directory. */
export async function signedIn(api: LiveApi, home: Home, email: string) {
  const env = { XDG_CONFIG_HOME: home.config };
  const client = createClient({ baseUrl: api.url, tokenStore: fileTokenStore(api.url, env) });
  await client.auth.requestOtp({ email });
  const result = await client.auth.verifyOtp({ email, code: await api.code(email) });
  const credentials = readCredentials(env);
  credentials.default_api = api.url;
  writeCredentials(credentials, env);
  return { client, user: result.user };
}

/** A signed-in user (as `signedIn`) with the demo MCP server registered as "demo". */
export async function signedInWithDemo(api: LiveApi, home: Home, email: string) {
  const { client, user } = await signedIn(api, home, email);
  const server = await client.trpc.servers.create.mutate({
    name: "demo",
    url: api.demoUrl,
    auth_method: "none",
  });
  return { client, user, server };
}

/** A running command: what it printed so far, and waits for what it should print next. */
export class Running {
  stdout = "";
  stderr = "";
  /** Both, in the order they came. */
  #all = "";
  readonly exited: Promise<number | null>;
  readonly #waiters = new Set<() => void>();

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.on("data", (d: Buffer) => {
      this.stdout += d;
      this.#all += d;
      for (const w of [...this.#waiters]) w();
    });
    child.stderr.on("data", (d: Buffer) => {
      this.stderr += d;
      this.#all += d;
      for (const w of [...this.#waiters]) w();
    });
    this.exited = new Promise((resolve) => child.on("close", (code) => resolve(code)));
  }

  /** stdout and stderr as they came, without terminal escapes. */
  get output(): string {
    return plain(this.#all);
  }

  write(line: string) {
    this.child.stdin.write(`${line}\n`);
  }

  /** Waits until the output (from `from` on) matches `pattern`; returns where the match ends. */
  waitFor(pattern: RegExp | string, from = 0, timeoutMs = 30_000): Promise<number> {
    const find = () => {
      const text = this.output.slice(from);
      if (typeof pattern === "string") {
        const i = text.indexOf(pattern);
        return i < 0 ? -1 : from + i + pattern.length;
      }
      const m = pattern.exec(text);
      return m ? from + m.index + m[0].length : -1;
    };
    return new Promise((resolve, reject) => {
      const check = () => {
        const at = find();
        if (at < 0) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(at);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(
          new Error(`no ${String(pattern)} in the output after ${timeoutMs} ms:\n${this.output.slice(from)}`),
        );
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }
}

/** Starts `mcpdeck ARGS` with piped stdin/stdout (scripted input). */
export function start(api: LiveApi, home: Home, args: string[], env: Record<string, string> = {}): Running {
  return new Running(spawn(process.execPath, [CLI, ...args], { cwd: home.cwd, env: envFor(api, home, env) }));
}

/** Runs `mcpdeck ARGS` to its end, with `input` as stdin. */
export async function mcpdeck(api: LiveApi, home: Home, args: string[], input = "") {
  const running = start(api, home, args);
  running.child.stdin.end(input);
  const code = await running.exited;
  return { code, stdout: running.stdout, stderr: running.stderr };
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Starts `mcpdeck ARGS` on a pseudo-terminal (util-linux `script`), as a person at a terminal runs it. */
export function startInTerminal(api: LiveApi, home: Home, args: string[]): Running {
  const command = `stty cols 120 rows 40; exec ${[process.execPath, CLI, ...args].map(quote).join(" ")}`;
  return new Running(
    spawn("script", ["-qfec", command, "/dev/null"], {
      cwd: home.cwd,
      env: { ...envFor(api, home), TERM: "xterm-256color", NO_COLOR: "" },
    }),
  );
}
