import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

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
});
