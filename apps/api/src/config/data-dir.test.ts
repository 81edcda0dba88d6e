import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLogger } from "../logger.js";
import { startTestApp } from "../testing/harness.js";
import { secureDataDir } from "./data-dir.js";

const modeOf = (path: string) => statSync(path).mode & 0o777;

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "mcpdeck-perms-"));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** A data dir as an older version left it: everything readable by every local user. */
function openDataDir(dir: string) {
  mkdirSync(join(dir, "pgdata", "base"), { recursive: true });
  writeFileSync(join(dir, "keys.json"), "{}");
  writeFileSync(join(dir, "pgdata", "PG_VERSION"), "17");
  writeFileSync(join(dir, "pgdata", "base", "1249"), "");
  for (const d of [dir, join(dir, "pgdata"), join(dir, "pgdata", "base")]) chmodSync(d, 0o755);
  for (const f of ["keys.json", "pgdata/PG_VERSION", "pgdata/base/1249"]) chmodSync(join(dir, f), 0o666);
}

describe("secureDataDir", () => {
  it("creates a missing data dir (and its parents) readable by its owner only", () => {
    const dir = join(root, "nested", "data");
    const secured = secureDataDir(dir);
    expect(modeOf(dir)).toBe(0o700);
    expect(modeOf(join(root, "nested"))).toBe(0o700);
    expect(secured).toEqual({ tightened: [], failed: [], wasOpen: false });
  });

  it("narrows an open data dir: directories to 0700, files to 0600, and says what it changed", () => {
    const dir = join(root, "data");
    openDataDir(dir);
    const secured = secureDataDir(dir);
    expect(secured.wasOpen).toBe(true);
    expect(secured.failed).toEqual([]);
    for (const d of [dir, join(dir, "pgdata"), join(dir, "pgdata", "base")]) expect(modeOf(d), d).toBe(0o700);
    for (const f of ["keys.json", "pgdata/PG_VERSION", "pgdata/base/1249"]) {
      expect(modeOf(join(dir, f)), f).toBe(0o600);
    }
    expect([...secured.tightened].sort()).toEqual(
      [
        dir,
        join(dir, "keys.json"),
        join(dir, "pgdata"),
        join(dir, "pgdata", "PG_VERSION"),
        join(dir, "pgdata", "base"),
        join(dir, "pgdata", "base", "1249"),
      ].sort(),
    );
    // Done once: a second start finds nothing to change.
    expect(secureDataDir(dir)).toEqual({ tightened: [], failed: [], wasOpen: false });
  });

  it("never widens a mode, and does not follow a link out of the data dir", () => {
    const dir = join(root, "data");
    mkdirSync(dir, { mode: 0o700 });
    writeFileSync(join(dir, "read-only"), "");
    chmodSync(join(dir, "read-only"), 0o444);
    const outside = join(root, "outside.txt");
    writeFileSync(outside, "");
    chmodSync(outside, 0o644);
    symlinkSync(outside, join(dir, "link"));
    const secured = secureDataDir(dir);
    expect(modeOf(join(dir, "read-only"))).toBe(0o400);
    expect(modeOf(outside)).toBe(0o644);
    expect(secured).toEqual({ tightened: [join(dir, "read-only")], failed: [], wasOpen: false });
  });
});

describe("start-up", () => {
  it("warns, naming what it narrowed, when it finds the data dir open, and keeps the database owner-only", async () => {
    // As an older version created it on a first run.
    const dir = join(root, "data");
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    const lines: string[] = [];
    const app = await startTestApp({
      dataDir: dir,
      ownDatabase: true,
      statusChecks: false,
      logger: createLogger("warn", { write: (line: string) => void lines.push(line) }),
    });
    try {
      const warning = lines.map((l) => JSON.parse(l)).find((l) => l.dataDir === dir);
      expect(warning?.level).toBe(40);
      expect(warning.msg).toContain("readable by other local users");
      expect(warning.tightened.paths).toContain(dir);
      expect(modeOf(dir)).toBe(0o700);
      expect(app.services.dbHandle.kind).toBe("pglite");
      expect(modeOf(join(dir, "pgdata"))).toBe(0o700);
      expect(readdirSync(join(dir, "pgdata")).length).toBeGreaterThan(0);
    } finally {
      await app.close();
    }
  }, 60_000);
});
