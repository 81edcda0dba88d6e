import { mkdirSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { artifactBlobs, type Database, type Executor } from "@mcpdeck/db";
import { eq } from "drizzle-orm";

/**
 * Where artifact bytes live. The metadata row is always in Postgres; the bytes go through this
 * interface so an S3-compatible store can be added without touching the engine.
 */
export interface ArtifactStorage {
  readonly kind: "db" | "file";
  /** Stores the bytes; with `executor`, inside the transaction that records the artifact. */
  put(id: string, bytes: Buffer, executor?: Executor): Promise<void>;
  get(id: string): Promise<Buffer | undefined>;
  delete(id: string): Promise<void>;
}

/** Bytes in the database (`artifact_blobs`): shared by every API process with nothing else to run. */
export function createDbArtifactStorage(db: Database): ArtifactStorage {
  return {
    kind: "db",
    async put(id, bytes, executor = db) {
      await executor.insert(artifactBlobs).values({ artifactId: id, data: bytes });
    },
    async get(id) {
      const [row] = await db
        .select({ data: artifactBlobs.data })
        .from(artifactBlobs)
        .where(eq(artifactBlobs.artifactId, id));
      return row?.data;
    },
    async delete(id) {
      await db.delete(artifactBlobs).where(eq(artifactBlobs.artifactId, id));
    },
  };
}

const SAFE_ID = /^[0-9a-f-]{36}$/;

/** Bytes as files under a directory (one API process, or a shared volume), owner-only permissions. */
export function createFileArtifactStorage(dir: string): ArtifactStorage {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = (id: string) => {
    if (!SAFE_ID.test(id)) throw new Error(`not an artifact id: ${id}`);
    return join(dir, id);
  };
  return {
    kind: "file",
    async put(id, bytes) {
      await writeFile(path(id), bytes, { mode: 0o600 });
    },
    async get(id) {
      try {
        return await readFile(path(id));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw error;
      }
    },
    async delete(id) {
      await rm(path(id), { force: true });
    },
  };
}
