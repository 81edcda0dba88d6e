import type { AddressInfo } from "node:net";
import { initTRPC } from "@trpc/server";
import Fastify from "fastify";
import type { OpenApiMeta } from "trpc-to-openapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { shapeError } from "../errors.js";
import { expectApiError } from "../testing/api-error.js";
import { startTestApp, type TestApp } from "../testing/harness.js";
import { registerRestFacade } from "./rest.js";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({
    env: { MCPDECK_RATE_LIMIT_AUTH: "1000000", MCPDECK_RATE_LIMIT_API: "1000000" },
  });
});
afterAll(() => app?.close());

describe("the REST facade", () => {
  it("serves every operation of the OpenAPI document", async () => {
    const doc = (await app.request("GET", "/api/v1/openapi.json")).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => ({ method: method.toUpperCase(), path })),
    );
    expect(operations.length).toBeGreaterThanOrEqual(10);
    for (const { method, path } of operations) {
      const concrete = path.replace(/\{[^}]+\}/g, "00000000-0000-7000-8000-000000000000");
      const res = await app.request(
        method,
        `/api/v1${concrete}`,
        method === "GET" || method === "DELETE" ? {} : { body: {} },
      );
      // Whatever the answer (401, 400, 404 for the made-up id, …) it comes from the operation, not a missing route.
      expect(String(res.body?.message), `${method} ${path}`).not.toMatch(/^No route for/);
      expect(res.headers.get("content-type"), `${method} ${path}`).toMatch(/^application\/json/);
    }
  });

  it("answers unknown routes and methods with 404 in the one error shape", async () => {
    const unknown = expectApiError(await app.request("GET", "/api/v1/nothing/here"), 404, "NOT_FOUND");
    expect(unknown.message).toContain("/api/v1/nothing/here");
    expectApiError(await app.request("DELETE", "/api/v1/auth/otp/request"), 404, "NOT_FOUND");
    expectApiError(await app.request("GET", "/api/v1/AUTH/otp/request"), 404, "NOT_FOUND");
  });

  it("answers OPTIONS that is not a CORS preflight in the one error shape, and real preflights as CORS", async () => {
    for (const [path, headers] of [
      ["/api/v1/servers", {}],
      ["/api/v1/servers/%00/status", {}],
      ["/trpc/user.profile", {}],
      ["/nothing", {}],
      ["/api/v1/servers", { origin: "http://127.0.0.1:3000" }],
      ["/api/v1/servers", { "access-control-request-method": "GET" }],
    ] as const) {
      const body = expectApiError(await app.request("OPTIONS", path, { headers }), 404, "NOT_FOUND");
      expect(body.message).toContain("CORS preflight");
    }
    const preflight = await app.request("OPTIONS", "/api/v1/servers", {
      headers: { origin: "http://127.0.0.1:3000", "access-control-request-method": "POST" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("http://127.0.0.1:3000");
    const foreign = await app.request("OPTIONS", "/api/v1/servers", {
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    expect(foreign.headers.get("access-control-allow-origin")).toBeNull();
    expectApiError(foreign, 404, "NOT_FOUND");
  });

  it("accepts a trailing slash and a charset on the JSON content type", async () => {
    const res = await app.request("POST", "/api/v1/auth/otp/request/", {
      body: { email: "slash@example.com" },
      headers: { "content-type": "application/json; charset=utf-8" },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: "sent", cooldown_sec: 30 });
  });

  it("reads GET input from the query string", async () => {
    await app.request("POST", "/api/v1/auth/otp/request", { body: { email: "query@example.com" } });
    await app.latestCode("query@example.com");
    const filtered = await app.request("GET", "/api/v1/dev/outbox?email=QUERY@example.com");
    expect(filtered.status).toBe(200);
    expect(filtered.body.messages.map((m: { to: string }) => m.to)).toEqual(["query@example.com"]);
    const unknownParam = await app.request("GET", "/api/v1/dev/outbox?mailbox=x");
    expect(unknownParam.status).toBe(200);
  });

  it("coerces query-string scalars but takes JSON bodies as typed", async () => {
    const session = await app.signIn("types@example.com");
    const listed = await app.request("GET", "/api/v1/servers?limit=5", { token: session.access_token });
    expect(listed.status).toBe(200);
    const badLimit = await app.request("GET", "/api/v1/servers?limit=many", { token: session.access_token });
    expect(expectApiError(badLimit, 400, "VALIDATION_FAILED").issues?.map((i) => i.path)).toEqual(["limit"]);
    const created = await app.request("POST", "/api/v1/servers", {
      token: session.access_token,
      body: { name: "typed", url: "http://127.0.0.1:9/mcp", auth_method: "none", ssl_verify: "false" },
    });
    const body = expectApiError(created, 400, "VALIDATION_FAILED");
    expect(body.issues?.map((i) => i.path)).toEqual(["ssl_verify"]);
  });

  it("keeps tRPC and REST answers of one operation identical", async () => {
    const session = await app.signIn("both@example.com");
    const rest = await app.request("GET", "/api/v1/user/profile", { token: session.access_token });
    const trpc = await app.request("GET", "/trpc/user.profile", { token: session.access_token });
    expect(trpc.body.result.data).toEqual(rest.body);
    const restError = await app.request("GET", "/api/v1/user/profile", { token: "garbage" });
    const trpcError = await app.request("GET", "/trpc/user.profile", { token: "garbage" });
    expect(trpcError.status).toBe(restError.status);
    expect(trpcError.body.error.data.error).toEqual(restError.body);
  });
});

describe("query-string conversion", () => {
  it("converts query strings in the facade and leaves the shared schemas alone (JSON bodies stay strict)", async () => {
    // One schema for a GET (query string) and a POST (JSON body), as the contracts share them.
    const Shared = z.object({ n: z.number().int(), flag: z.boolean(), when: z.date().optional() });
    const t = initTRPC.meta<OpenApiMeta>().create();
    const router = t.router({
      read: t.procedure
        .meta({ openapi: { method: "GET", path: "/things" } })
        .input(Shared)
        .output(z.object({ n: z.number(), flag: z.boolean(), year: z.number().optional() }))
        .query(({ input }) => ({ n: input.n, flag: input.flag, year: input.when?.getUTCFullYear() })),
      write: t.procedure
        .meta({ openapi: { method: "POST", path: "/things" } })
        .input(Shared)
        .output(z.object({ n: z.number() }))
        .mutation(({ input }) => ({ n: input.n })),
    });
    const http = Fastify();
    registerRestFacade(http, {
      router,
      basePath: "/api",
      createContext: () => ({}),
      responseMeta: ({ errors }) => (errors.length > 0 ? { status: shapeError(errors[0]).status } : {}),
      errorBody: (error) => shapeError(error).body,
    });
    await http.listen({ port: 0, host: "127.0.0.1" });
    const base = `http://127.0.0.1:${(http.server.address() as AddressInfo).port}/api/things`;
    try {
      const read = await fetch(`${base}?n=5&flag=false&when=2026-11-28T10:30:05.123Z`);
      expect(read.status).toBe(200);
      expect(await read.json()).toEqual({ n: 5, flag: false, year: 2026 });
      const notANumber = await fetch(`${base}?n=five&flag=true`);
      expect(notANumber.status).toBe(400);

      const written = await fetch(base, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ n: "5", flag: "false" }),
      });
      expect(written.status).toBe(400);
      const body = (await written.json()) as { code: string; issues: { path: string }[] };
      expect(body.code).toBe("VALIDATION_FAILED");
      expect(body.issues.map((i) => i.path).sort()).toEqual(["flag", "n"]);
      expect(Shared.safeParse({ n: "5", flag: "true" }).success).toBe(false);
    } finally {
      await http.close();
    }
  });
});
