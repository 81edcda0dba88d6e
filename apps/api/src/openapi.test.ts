import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildOpenApiDocument } from "./openapi.js";
import { startTestApp, type TestApp } from "./testing/harness.js";

type Operation = { security?: Record<string, string[]>[] };
const doc = buildOpenApiDocument("http://127.0.0.1:3000") as unknown as {
  paths: Record<string, Record<string, Operation>>;
};
const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
  Object.entries(ops).map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, method, path, op })),
);

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app?.close());

describe("the OpenAPI document's security requirements", () => {
  it("asks for the bearer token on protected operations only, never on public ones", () => {
    const open = operations.filter((o) => !o.op.security?.length).map((o) => o.key);
    expect(open.sort()).toEqual(
      [
        "GET /healthz",
        "POST /auth/otp/request",
        "POST /auth/otp/verify",
        "POST /auth/refresh",
        "POST /auth/logout",
        "GET /oauth/callback",
        "GET /oauth/client-metadata.json",
        "GET /dev/outbox",
      ].sort(),
    );
    const secured = operations.filter((o) => o.op.security?.length);
    expect(secured.length).toBeGreaterThanOrEqual(10);
    for (const { key, op } of secured) expect(op.security, key).toEqual([{ bearer: [] }]);
  });

  it("matches what the API does: exactly the secured operations refuse a call without a token", async () => {
    for (const { key, method, path, op } of operations) {
      const concrete = path.replace(/\{[^}]+\}/g, "00000000-0000-7000-8000-000000000000");
      const res = await app.request(
        method.toUpperCase(),
        `/api/v1${concrete}`,
        method === "get" || method === "delete" ? {} : { body: {} },
      );
      const refused = res.status === 401 && res.body?.code === "UNAUTHENTICATED";
      expect(refused, `${key} answered ${res.status} ${JSON.stringify(res.body)}`).toBe(Boolean(op.security));
    }
  });
});
