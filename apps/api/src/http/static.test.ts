import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../testing/harness.js";

let app: TestApp;
let dist: string;

beforeAll(async () => {
  dist = mkdtempSync(join(tmpdir(), "mcpdeck-web-"));
  mkdirSync(join(dist, "assets"));
  writeFileSync(join(dist, "index.html"), "<!doctype html><title>mcpdeck</title><div id=root></div>");
  writeFileSync(join(dist, "assets", "app.js"), "console.log('mcpdeck')");
  app = await startTestApp({ env: { MCPDECK_WEB_DIST: dist } });
});
afterAll(async () => {
  await app.close();
  rmSync(dist, { recursive: true, force: true });
});

describe("web client", () => {
  it("is served at / with its assets, and client-side routes fall back to index.html", async () => {
    const root = await app.request("GET", "/");
    expect(root.status).toBe(200);
    expect(root.headers.get("content-type")).toContain("text/html");
    expect(String(root.body)).toContain("<title>mcpdeck</title>");
    const asset = await app.request("GET", "/assets/app.js");
    expect(asset.status).toBe(200);
    expect(asset.headers.get("content-type")).toContain("javascript");
    const deep = await app.request("GET", "/servers/123/session");
    expect(String(deep.body)).toContain("<div id=root>");
  });

  it("sends its HTML with a strict Content-Security-Policy: no inline script, no framing", async () => {
    for (const path of ["/", "/servers/123/session"]) {
      const res = await app.request("GET", path);
      expect(res.headers.get("content-type"), path).toContain("text/html");
      const policy = new Map(
        (res.headers.get("content-security-policy") ?? "").split(";").map((directive) => {
          const [name, ...values] = directive.trim().split(/\s+/);
          return [name!, values] as const;
        }),
      );
      expect(policy.get("default-src"), path).toEqual(["'self'"]);
      expect(policy.get("script-src"), path).toEqual(["'self'"]);
      expect(policy.get("object-src"), path).toEqual(["'none'"]);
      expect(policy.get("base-uri"), path).toEqual(["'none'"]);
      expect(policy.get("frame-ancestors"), path).toEqual(["'none'"]);
      // The API's own WebSockets (tRPC subscriptions, sessions), on the public origin.
      expect(policy.get("connect-src"), path).toEqual(["'self'", "ws://127.0.0.1:3000"]);
      expect([...policy.values()].flat().join(" ")).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    }
    const api = await app.request("GET", "/api/v1/openapi.json");
    expect(api.headers.get("content-security-policy")).toBeNull();
  });

  it("has no inline script or handler in its page, which the policy would block", () => {
    const page = readFileSync(fileURLToPath(new URL("../../../web/index.html", import.meta.url)), "utf8");
    const scripts = page.match(/<script\b[^>]*>/g) ?? [];
    expect(scripts.length).toBeGreaterThan(0);
    for (const tag of scripts) expect(tag).toMatch(/\ssrc=/);
    expect(page).not.toMatch(/<script\b[^>]*>[^<]+<\/script>/);
    expect(page).not.toMatch(/\son[a-z]+=/i);
    expect(page).not.toMatch(/<style\b|\sstyle=/i);
  });

  it("does not answer unknown API paths with the web page", async () => {
    const res = await app.request("GET", "/api/v1/nope");
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ code: "NOT_FOUND" });
  });

  it("publishes the OpenAPI 3.1 document of the REST surface", async () => {
    const res = await app.request("GET", "/api/v1/openapi.json");
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\.1/);
    for (const path of [
      "/auth/otp/request",
      "/auth/otp/verify",
      "/auth/refresh",
      "/auth/logout",
      "/user/profile",
      "/servers",
      "/servers/{server_id}",
      "/servers/test",
      "/servers/{server_id}/status",
      "/servers/{server_id}/tools",
      "/servers/{server_id}/oauth/start",
      "/oauth/callback",
      "/healthz",
    ]) {
      expect(Object.keys(res.body.paths)).toContain(path);
    }
    expect(res.body.components.schemas.Error).toBeDefined();
  });
});
