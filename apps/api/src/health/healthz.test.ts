import { createTestDb } from "@mcpdeck/db/testing";
import { describe, expect, it } from "vitest";
import { manualClock, startTestApp } from "../testing/harness.js";

describe("GET /healthz", () => {
  it("answers 200 { status: ok, ts } while the database answers", async () => {
    const clock = manualClock(new Date("2026-07-01T00:00:00.000Z"));
    const app = await startTestApp({ clock });
    try {
      for (const path of ["/healthz", "/api/v1/healthz"]) {
        const res = await app.request("GET", path);
        expect(res.status, path).toBe(200);
        expect(res.body).toEqual({ status: "ok", ts: "2026-07-01T00:00:00.000Z" });
      }
      // No credentials needed, even when a broken one is sent.
      expect((await app.request("GET", "/healthz", { token: "garbage" })).status).toBe(200);
    } finally {
      await app.close();
    }
  });

  it("answers 503 { status: degraded } when the database is gone, and the server keeps running", async () => {
    const db = await createTestDb();
    const app = await startTestApp({ dbHandle: db });
    try {
      expect((await app.request("GET", "/healthz")).status).toBe(200);
      await db.close();
      for (let i = 0; i < 2; i++) {
        for (const path of ["/healthz", "/api/v1/healthz"]) {
          const res = await app.request("GET", path);
          expect(res.status, path).toBe(503);
          expect(res.body.status).toBe("degraded");
          expect(Number.isNaN(Date.parse(res.body.ts))).toBe(false);
        }
      }
      // Still serving what needs no database.
      expect((await app.request("GET", "/api/v1/openapi.json")).status).toBe(200);
    } finally {
      await app.close();
    }
  });
});
