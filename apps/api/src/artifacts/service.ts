import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { artifacts, type Database, newId, withTransaction } from "@mcpdeck/db";
import { and, asc, eq } from "drizzle-orm";
import type { Clock } from "../clock.js";
import { AppError, notFound } from "../errors.js";
import type { EventLog } from "../sessions/events.js";
import type { ArtifactStorage } from "./storage.js";

export type ArtifactRow = typeof artifacts.$inferSelect;

export const ARTIFACT_DOWNLOAD_PATH = "/api/v1/artifacts/download";
/** Signed links are for plain browser downloads: short-lived. */
export const SIGNED_URL_TTL_SEC = 5 * 60;

export interface NewArtifact {
  userId: string;
  sessionId: string;
  graphId?: string;
  nodeId?: string;
  name: string;
  contentType: string;
  bytes: Buffer;
}

/** A file name safe in a header and on a disk: no paths, no control characters, a sane length. */
export function safeFileName(name: string, fallback = "artifact"): string {
  const base = name.split(/[\\/]/).pop() ?? "";
  const cleaned = [...base]
    .filter((ch) => ch !== '"' && ch.codePointAt(0)! > 0x1f && ch.codePointAt(0) !== 0x7f)
    .join("")
    .trim()
    .slice(-120);
  return cleaned === "" || cleaned === "." || cleaned === ".." ? fallback : cleaned;
}

/** A content type we pass on as is only when it is well formed; anything else is plain bytes. */
export function safeContentType(type: string | undefined): string {
  const t = (type ?? "").trim().toLowerCase();
  return /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}(\s*;\s*[a-z0-9_-]+=[a-z0-9_.-]+)?$/.test(
    t,
  )
    ? t
    : "application/octet-stream";
}

/**
 * Artifacts: files a run produced, owned by the user whose session produced them. Recording one also
 * announces it (`artifact_generated`) in the same transaction.
 */
export function createArtifactService(deps: {
  db: Database;
  storage: ArtifactStorage;
  events: EventLog;
  clock: Clock;
  hmacSecret: Buffer;
  maxBytes: number;
}) {
  const { db, storage, events, clock } = deps;

  const sign = (id: string, userId: string, exp: number) =>
    createHmac("sha256", deps.hmacSecret).update(`artifact\0${id}\0${userId}\0${exp}`).digest("base64url");

  async function save(input: NewArtifact): Promise<ArtifactRow> {
    if (input.bytes.length > deps.maxBytes) {
      throw new AppError(
        "PAYLOAD_TOO_LARGE",
        `The artifact "${input.name}" is ${input.bytes.length} bytes; the limit is ${deps.maxBytes}.`,
      );
    }
    const id = newId();
    const row = {
      id,
      userId: input.userId,
      sessionId: input.sessionId,
      graphId: input.graphId ?? null,
      nodeId: input.nodeId ?? null,
      name: safeFileName(input.name),
      contentType: safeContentType(input.contentType),
      size: input.bytes.length,
      sha256: createHash("sha256").update(input.bytes).digest("hex"),
      storage: storage.kind,
      createdAt: clock.now(),
    };
    if (storage.kind !== "db") await storage.put(id, input.bytes);
    try {
      return await withTransaction(db, async (tx) => {
        const [saved] = await tx.insert(artifacts).values(row).returning();
        if (storage.kind === "db") await storage.put(id, input.bytes, tx);
        await events.append(
          input.sessionId,
          [
            {
              type: "artifact_generated",
              payload: {
                artifact_id: id,
                name: row.name,
                url: `${ARTIFACT_DOWNLOAD_PATH}/${id}`,
                content_type: row.contentType,
                size: row.size,
                ...(input.nodeId ? { node_id: input.nodeId } : {}),
              },
            },
          ],
          tx,
        );
        return saved!;
      });
    } catch (error) {
      if (storage.kind !== "db") await storage.delete(id).catch(() => undefined);
      throw error;
    }
  }

  async function getOwned(userId: string, artifactId: string): Promise<ArtifactRow> {
    const [row] = await db
      .select()
      .from(artifacts)
      .where(and(eq(artifacts.id, artifactId), eq(artifacts.userId, userId)));
    if (!row) throw notFound("Artifact");
    return row;
  }

  /** The artifact a signed link names, when the signature holds and has not expired. */
  async function getSigned(artifactId: string, exp: number, sig: string): Promise<ArtifactRow> {
    if (!Number.isSafeInteger(exp) || exp * 1000 < clock.now().getTime()) {
      throw new AppError("UNAUTHENTICATED", "This download link has expired: ask for a new one.");
    }
    const [row] = await db.select().from(artifacts).where(eq(artifacts.id, artifactId));
    const expected = row ? Buffer.from(sign(row.id, row.userId, exp)) : undefined;
    const given = Buffer.from(sig);
    if (!row || !expected || expected.length !== given.length || !timingSafeEqual(expected, given)) {
      throw new AppError("UNAUTHENTICATED", "This download link is not valid: ask for a new one.");
    }
    return row;
  }

  function signedUrl(row: ArtifactRow, ttlSec = SIGNED_URL_TTL_SEC): { url: string; expires_at: string } {
    const exp = Math.floor(clock.now().getTime() / 1000) + ttlSec;
    return {
      url: `${ARTIFACT_DOWNLOAD_PATH}/${row.id}?exp=${exp}&sig=${sign(row.id, row.userId, exp)}`,
      expires_at: new Date(exp * 1000).toISOString(),
    };
  }

  async function bytes(row: ArtifactRow): Promise<Buffer> {
    const data = await storage.get(row.id);
    if (!data) throw new AppError("NOT_FOUND", "This artifact's content is no longer stored.");
    return data;
  }

  async function listForSession(sessionId: string): Promise<ArtifactRow[]> {
    return db
      .select()
      .from(artifacts)
      .where(eq(artifacts.sessionId, sessionId))
      .orderBy(asc(artifacts.createdAt));
  }

  return { save, getOwned, getSigned, signedUrl, bytes, listForSession };
}

export type ArtifactService = ReturnType<typeof createArtifactService>;
