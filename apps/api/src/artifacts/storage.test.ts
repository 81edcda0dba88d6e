import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DemoMcpHandle, startDemoMcpServer } from "@mcpdeck/demo-mcp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../sessions/engine.js";
import type { SessionEvent } from "../sessions/events.js";
import { startTestApp, type TestApp } from "../testing/harness.js";

/**
 * `MCPDECK_ARTIFACT_STORAGE=file` and `MCPDECK_ARTIFACT_MAX_MB`: a run's artifact lands as an
 * owner-only file under the data dir (no bytes in the database) and downloads intact; an artifact
 * over the cap is refused with a clear reason and leaves nothing behind.
 */
let app: TestApp;
let demo: DemoMcpHandle;
let dataDir: string;
let token: string;
let userId: string;
let serverId: string;
const artifactDir = () => join(dataDir, "artifacts");

beforeAll(async () => {
  demo = await startDemoMcpServer({ port: 0 });
  dataDir = mkdtempSync(join(tmpdir(), "mcpdeck-artifacts-"));
  app = await startTestApp({
    statusChecks: false,
    dataDir,
    env: { MCPDECK_ARTIFACT_STORAGE: "file", MCPDECK_ARTIFACT_MAX_MB: "1" },
  });
  ({ token, userId, serverId } = await app.signInWithServer("files@example.com", demo.url));
});
afterAll(async () => {
  await app.close();
  await demo.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const count = async (table: string) =>
  Number(((await app.db.execute(`select count(*)::int as n from ${table}`)) as { n: number }[])[0]!.n);

describe("artifacts kept as files", () => {
  it("are written owner-only under the data dir, not into the database, and download intact", async () => {
    const session = await app.services.sessionStore.startNew(userId, serverId);
    const actor: Actor = { userId, serverId, sessionId: session.id };
    const seen: SessionEvent[] = [];
    const sub = await app.services.events.subscribe(session.id, "history", (e) => void seen.push(e));
    try {
      await app.services.engine.send(
        actor,
        `/call build_report ${JSON.stringify({ title: "Kept as a file", sections: [{ heading: "A", data: "b" }] })}`,
      );
      await expect.poll(() => seen.some((e) => e.type === "task_graph_proposal")).toBe(true);
      await app.services.engine.approve(actor, { node_id: "call" });
      await expect
        .poll(() => seen.find((e) => e.type === "artifact_generated"), { timeout: 20_000 })
        .toBeTruthy();
      const announced = seen.find((e) => e.type === "artifact_generated")!;
      if (announced.type !== "artifact_generated") throw new Error("unreachable");
      const id = announced.payload.artifact_id;

      const onDisk = join(artifactDir(), id);
      expect(statSync(artifactDir()).mode & 0o777).toBe(0o700);
      expect(statSync(onDisk).mode & 0o777).toBe(0o600);
      const file = readFileSync(onDisk);
      expect(file.subarray(0, 5).toString()).toBe("%PDF-");
      expect(file.length).toBe(announced.payload.size);
      expect(await count("artifact_blobs")).toBe(0);
      const [row] = (await app.db.execute(
        `select storage, size, sha256 from artifacts where id = '${id}'`,
      )) as {
        storage: string;
        size: number;
        sha256: string;
      }[];
      expect(row).toMatchObject({ storage: "file", size: file.length });

      const download = await fetch(`${app.url}${announced.payload.url}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(download.status).toBe(200);
      expect(download.headers.get("content-type")).toBe("application/pdf");
      expect(Buffer.from(await download.arrayBuffer()).equals(file)).toBe(true);

      // The file gone (a lost volume): the download says so instead of failing obscurely.
      rmSync(onDisk);
      const lost = await app.request("GET", `/api/v1/artifacts/download/${id}`, { token });
      expect(lost.status).toBe(404);
      expect(lost.body).toMatchObject({
        code: "NOT_FOUND",
        message: expect.stringMatching(/no longer stored/),
      });
    } finally {
      sub.close();
    }
  });

  it("refuses an artifact over MCPDECK_ARTIFACT_MAX_MB with a clear reason, and keeps nothing of it", async () => {
    const session = await app.services.sessionStore.startNew(userId, serverId);
    const before = { rows: await count("artifacts"), files: readdirSync(artifactDir()).length };
    const cap = 1024 * 1024;
    await expect(
      app.services.artifacts.save({
        userId,
        sessionId: session.id,
        name: "huge.bin",
        contentType: "application/octet-stream",
        bytes: Buffer.alloc(cap + 1),
      }),
    ).rejects.toMatchObject({
      code: "PAYLOAD_TOO_LARGE",
      message: `The artifact "huge.bin" is ${cap + 1} bytes; the limit is ${cap}.`,
    });
    expect(await count("artifacts")).toBe(before.rows);
    expect(readdirSync(artifactDir())).toHaveLength(before.files);
    // Exactly the cap is kept.
    const atCap = await app.services.artifacts.save({
      userId,
      sessionId: session.id,
      name: "just-fits.bin",
      contentType: "application/octet-stream",
      bytes: Buffer.alloc(cap, 7),
    });
    expect(atCap.size).toBe(cap);
    expect(readFileSync(join(artifactDir(), atCap.id)).equals(Buffer.alloc(cap, 7))).toBe(true);
  });
});
