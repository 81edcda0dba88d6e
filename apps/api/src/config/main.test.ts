import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { generateKeyMaterial } from "./keys.js";

const apiDir = fileURLToPath(new URL("../..", import.meta.url));

/** Runs the real entry point the way `pnpm start` does, with only the given environment. */
function runMain(
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
      cwd: apiDir,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? tmpdir(), ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe("the mcpdeck process", () => {
  it("exits with 1 and one stderr line naming PORT when PORT is invalid", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "mcpdeck-main-"));
    try {
      const { code, stdout, stderr } = await runMain({
        PORT: "abc",
        MCPDECK_DATA_DIR: dataDir,
        LOG_LEVEL: "info",
      });
      expect(code).toBe(1);
      const lines = stderr.split("\n").filter((l) => l.trim() !== "");
      expect(lines, stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/PORT/);
      expect(lines[0]).toMatch(/^mcpdeck: Invalid configuration: PORT must be an integer/);
      expect(stdout).toBe("");
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("refuses a production start without a key, DATABASE_URL, an https PUBLIC_URL or a mail provider, in one line naming it", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "mcpdeck-main-"));
    const keys = generateKeyMaterial("k1");
    const complete = {
      NODE_ENV: "production",
      MCPDECK_DATA_DIR: dataDir,
      MCPDECK_JWT_PRIVATE_KEY: keys.jwt_private_key,
      MCPDECK_ENCRYPTION_KEYS: keys.encryption_keys,
      MCPDECK_HMAC_SECRET: keys.hmac_secret,
      DATABASE_URL: "postgres://mcpdeck@127.0.0.1:1/never-reached",
      PUBLIC_URL: "https://deck.example.com",
      RESEND_API_KEY: "re_never_used",
    };
    const without = (name: keyof typeof complete) =>
      Object.fromEntries(Object.entries(complete).filter(([k]) => k !== name));
    try {
      const cases: [Record<string, string>, string][] = [
        [without("MCPDECK_ENCRYPTION_KEYS"), "MCPDECK_ENCRYPTION_KEYS"],
        [without("DATABASE_URL"), "DATABASE_URL"],
        [without("RESEND_API_KEY"), "RESEND_API_KEY"],
        [{ ...complete, PUBLIC_URL: "http://deck.example.com" }, "PUBLIC_URL"],
      ];
      const runs = await Promise.all(cases.map(([env]) => runMain(env)));
      runs.forEach(({ code, stdout, stderr }, i) => {
        expect(code).toBe(1);
        const lines = stderr.split("\n").filter((l) => l.trim() !== "");
        expect(lines, stderr).toHaveLength(1);
        expect(lines[0]).toMatch(new RegExp(`^mcpdeck: Invalid configuration: ${cases[i]![1]} `));
        expect(stdout).toBe("");
      });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
