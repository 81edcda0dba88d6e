import { randomBytes } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCredentialCipher } from "../crypto/credentials.js";
import { startTestApp, type TestApp } from "../testing/harness.js";
import { rotateCredentials } from "./rotation.js";

let app: TestApp;
let alice: string;
let bob: string;
const SECRET = `sk-test-${randomBytes(12).toString("hex")}`;

beforeAll(async () => {
  app = await startTestApp({ env: { MCPDECK_RATE_LIMIT_API: "1000000" } });
  alice = (await app.signIn("alice@example.com")).access_token;
  bob = (await app.signIn("bob@example.com")).access_token;
});
afterAll(() => app.close());

const base = { url: "http://127.0.0.1:9/mcp", auth_method: "none" as const };

async function create(token: string, body: Record<string, unknown>) {
  return app.request("POST", "/api/v1/servers", { token, body });
}

describe("server registry", () => {
  it("creates with defaults and answers 201 without credentials", async () => {
    const res = await create(alice, { ...base, name: "alpha" });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: "alpha",
      url: base.url,
      auth_method: "none",
      timeout: 30,
      ssl_verify: true,
      has_credentials: false,
    });
    expect(res.body.status).toMatch(/online|offline|error/);
    expect(res.body).not.toHaveProperty("credentials");
  });

  it("stores api keys write-only: has_credentials true, never echoed", async () => {
    const res = await create(alice, {
      name: "keyed",
      url: "http://127.0.0.1:9/mcp",
      auth_method: "api_key",
      credentials: { api_key: SECRET, header: "X-API-Key" },
    });
    expect(res.status).toBe(201);
    expect(res.body.has_credentials).toBe(true);
    expect(JSON.stringify(res.body)).not.toContain(SECRET);
    const list = await app.request("GET", "/api/v1/servers?limit=100", { token: alice });
    expect(JSON.stringify(list.body)).not.toContain(SECRET);
  });

  it("rejects a duplicate name ignoring case with 409, per user only", async () => {
    await create(alice, { ...base, name: "Dup" });
    const again = await create(alice, { ...base, name: "dUP" });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe("SERVER_NAME_TAKEN");
    expect((await create(bob, { ...base, name: "dup" })).status).toBe(201);
  });

  it.each([
    [{ ...base, name: "" }, "name"],
    [{ ...base, name: "x".repeat(65) }, "name"],
    [{ ...base, name: "ftp", url: "ftp://127.0.0.1/mcp" }, "url"],
    [{ ...base, name: "userinfo", url: "http://user:pw@127.0.0.1/mcp" }, "url"],
    [{ ...base, name: "t0", timeout: 0 }, "timeout"],
    [{ ...base, name: "t301", timeout: 301 }, "timeout"],
    [{ ...base, name: "unknown", extra: true }, ""],
    [{ ...base, name: "nokey", auth_method: "api_key" }, "credentials.api_key"],
    [
      { ...base, name: "badkey", auth_method: "api_key", credentials: { api_key: "" } },
      "credentials.api_key",
    ],
    [{ ...base, name: "nonecreds", credentials: { api_key: "x" } }, "credentials"],
    [{ ...base, name: "oauthextra", auth_method: "oauth", credentials: { api_key: "x" } }, "credentials"],
    [{ ...base, name: "method", auth_method: "basic" }, "auth_method"],
  ])("400 names the field for %j", async (body, field) => {
    const res = await create(alice, body);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("VALIDATION_FAILED");
    expect(res.body.issues.map((i: { path: string }) => i.path).join(" ")).toContain(field);
    expect(JSON.stringify(res.body)).not.toContain("stack");
  });

  it("updates fields, switches auth methods with matching credentials, and keeps names unique", async () => {
    const created = (await create(alice, { ...base, name: "mutable" })).body;
    const renamed = await app.request("PUT", `/api/v1/servers/${created.id}`, {
      token: alice,
      body: { name: "mutable-2", timeout: 5 },
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: "mutable-2", timeout: 5, has_credentials: false });
    const needsKey = await app.request("PUT", `/api/v1/servers/${created.id}`, {
      token: alice,
      body: { auth_method: "api_key" },
    });
    expect(needsKey.status).toBe(400);
    expect(needsKey.body.issues[0].path).toBe("credentials.api_key");
    const keyed = await app.request("PUT", `/api/v1/servers/${created.id}`, {
      token: alice,
      body: { auth_method: "api_key", credentials: { api_key: "k" } },
    });
    expect(keyed.body).toMatchObject({ auth_method: "api_key", has_credentials: true });
    const back = await app.request("PUT", `/api/v1/servers/${created.id}`, {
      token: alice,
      body: { auth_method: "none" },
    });
    expect(back.body).toMatchObject({ auth_method: "none", has_credentials: false });
    const clash = await app.request("PUT", `/api/v1/servers/${created.id}`, {
      token: alice,
      body: { name: "ALPHA" },
    });
    expect(clash.status).toBe(409);
  });

  it("answers 404 for another user's server on every route, exactly like a missing one", async () => {
    const mine = (await create(alice, { ...base, name: "private" })).body;
    const missing = "01900000-0000-7000-8000-000000000000";
    const routes: [string, string, unknown?][] = [
      ["PUT", "", { name: "stolen" }],
      ["DELETE", ""],
      ["GET", "/status"],
      ["GET", "/tools"],
      ["POST", "/oauth/start"],
    ];
    for (const [method, suffix, body] of routes) {
      const theirs = await app.request(method, `/api/v1/servers/${mine.id}${suffix}`, {
        token: bob,
        ...(body ? { body } : {}),
      });
      const absent = await app.request(method, `/api/v1/servers/${missing}${suffix}`, {
        token: bob,
        ...(body ? { body } : {}),
      });
      expect([method, suffix, theirs.status]).toEqual([method, suffix, 404]);
      expect(theirs.body).toEqual(absent.body);
    }
    const list = await app.request("GET", "/api/v1/servers?limit=100", { token: bob });
    expect(list.body.servers.map((s: { id: string }) => s.id)).not.toContain(mine.id);
    const still = await app.request("GET", "/api/v1/servers?limit=100", { token: alice });
    expect(still.body.servers.find((s: { id: string }) => s.id === mine.id)?.name).toBe("private");
  });

  it("answers a malformed id exactly like a missing one, on every route, without reaching the database", async () => {
    const missing = "01900000-0000-7000-8000-000000000000";
    const routes: [string, string, unknown?][] = [
      ["PUT", "", { name: "renamed" }],
      ["DELETE", ""],
      ["GET", "/status"],
      ["GET", "/tools"],
      ["POST", "/oauth/start"],
    ];
    for (const id of ["%00", "not-a-uuid", "1", "01900000-0000-7000-8000-00000000000%00", "x".repeat(200)]) {
      for (const [method, suffix, body] of routes) {
        const malformed = await app.request(method, `/api/v1/servers/${id}${suffix}`, {
          token: alice,
          ...(body ? { body } : {}),
        });
        const absent = await app.request(method, `/api/v1/servers/${missing}${suffix}`, {
          token: alice,
          ...(body ? { body } : {}),
        });
        expect([id, method, suffix, malformed.status]).toEqual([id, method, suffix, 404]);
        expect(malformed.body).toEqual(absent.body);
      }
    }
    for (const procedure of ["servers.status", "servers.tools", "servers.resources", "servers.prompts"]) {
      const input = encodeURIComponent(JSON.stringify({ server_id: "\u0000" }));
      const res = await app.request("GET", `/trpc/${procedure}?input=${input}`, { token: alice });
      expect([procedure, res.status, res.body.error.data.httpStatus, res.body.error.data.error]).toEqual([
        procedure,
        404,
        404,
        { code: "NOT_FOUND", message: "MCP server not found." },
      ]);
    }
  });

  it("refuses NUL and control characters in every text field with a 400 naming it", async () => {
    for (const [body, field] of [
      [{ ...base, name: "nul\u0000name" }, "name"],
      [{ ...base, name: "line\nbreak" }, "name"],
      [{ ...base, name: "nulurl", url: "http://127.0.0.1:9/mcp\u0000" }, "url"],
      [
        { ...base, name: "crlf", auth_method: "api_key", credentials: { api_key: "k\r\nX-Evil: 1" } },
        "credentials.api_key",
      ],
      [
        { ...base, name: "nulkey", auth_method: "api_key", credentials: { api_key: "k\u0000" } },
        "credentials.api_key",
      ],
      [
        { ...base, name: "nonascii", auth_method: "api_key", credentials: { api_key: "ключ" } },
        "credentials.api_key",
      ],
      [
        {
          ...base,
          name: "nulheader",
          auth_method: "api_key",
          credentials: { api_key: "k", header: "X\u0000" },
        },
        "credentials.header",
      ],
      [
        { ...base, name: "nulclient", auth_method: "oauth", credentials: { client_id: "c\u0000" } },
        "credentials.client_id",
      ],
    ] as const) {
      const res = await create(alice, body);
      expect([field, res.status]).toEqual([field, 400]);
      expect(res.body.issues.map((i: { path: string }) => i.path)).toEqual([field]);
    }
    const created = (await create(alice, { ...base, name: "patchable" })).body;
    const update = await app.request("PUT", `/api/v1/servers/${created.id}`, {
      token: alice,
      body: { name: "x\u0000", credentials: { api_key: "k\n" } },
    });
    expect(update.status).toBe(400);
    // A key whose only control character is a pasted trailing newline is trimmed, not refused.
    const pasted = await create(alice, {
      ...base,
      name: "pasted",
      auth_method: "api_key",
      credentials: { api_key: "sk-pasted\n" },
    });
    expect(pasted.status).toBe(201);
  });

  it("requires authentication", async () => {
    expect((await app.request("GET", "/api/v1/servers")).status).toBe(401);
    expect((await app.request("POST", "/api/v1/servers", { body: { ...base, name: "anon" } })).status).toBe(
      401,
    );
  });

  it("deletes", async () => {
    const s = (await create(alice, { ...base, name: "doomed" })).body;
    const del = await app.request("DELETE", `/api/v1/servers/${s.id}`, { token: alice });
    expect(del).toMatchObject({ status: 200, body: { status: "deleted" } });
    expect((await app.request("DELETE", `/api/v1/servers/${s.id}`, { token: alice })).status).toBe(404);
  });
});

describe("pagination", () => {
  it("walks every server exactly once in a stable order; next is absent on the last page", async () => {
    const { access_token: token } = await app.signIn("pager@example.com");
    for (let i = 0; i < 7; i++) await create(token, { ...base, name: `p${i}` });
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await app.request("GET", `/api/v1/servers?limit=3${cursor ? `&cursor=${cursor}` : ""}`, {
        token,
      });
      expect(res.status).toBe(200);
      seen.push(...res.body.servers.map((s: { name: string }) => s.name));
      cursor = res.body.next;
      pages++;
    } while (cursor);
    expect(seen).toEqual(["p0", "p1", "p2", "p3", "p4", "p5", "p6"]);
    expect(pages).toBe(3);
    const exact = await app.request("GET", "/api/v1/servers?limit=7", { token });
    expect(exact.body.servers).toHaveLength(7);
    expect(exact.body).not.toHaveProperty("next");
    const empty = await app.signIn("empty@example.com");
    const none = await app.request("GET", "/api/v1/servers", { token: empty.access_token });
    expect(none.body).toEqual({ servers: [] });
  });

  it("validates limit and cursor", async () => {
    for (const q of ["limit=0", "limit=101", "limit=abc", "cursor=%%%"]) {
      const res = await app.request("GET", `/api/v1/servers?${q}`, { token: alice });
      expect([q, res.status]).toEqual([q, 400]);
    }
  });
  it("refuses hand-made cursors with a 400 naming cursor and saying what to pass", async () => {
    const id = "01900000-0000-7000-8000-000000000000";
    const b64 = (text: string) => Buffer.from(text).toString("base64url");
    for (const cursor of [
      "%%%",
      "%00",
      b64(`+275760-09-13T00:00:00.000Z|${id}`),
      b64(`-271821-04-20T00:00:00.000Z|${id}`),
      b64(`0000-01-01T00:00:00.000Z|${id}`),
      b64(`2026-02-30T00:00:00.000Z|${id}`),
      b64("2026-01-01T00:00:00.000Z|not-a-uuid"),
      b64(`2026-01-01T00:00:00.000Z|${id}|extra`),
      b64("garbage"),
      b64(`2026-01-01T00:00:00.000Z|${id}\u0000`),
      "x".repeat(300),
    ]) {
      const res = await app.request("GET", `/api/v1/servers?cursor=${encodeURIComponent(cursor)}`, {
        token: alice,
      });
      expect([cursor, res.status]).toEqual([cursor, 400]);
      expect(res.body.code).toBe("VALIDATION_FAILED");
      expect(res.body.issues).toEqual([
        { path: "cursor", message: expect.stringContaining("`next` value of the previous page") },
      ]);
    }
  });
});

describe("credential encryption at rest", () => {
  it("no plaintext key appears anywhere in a dump of the database, and rotation re-encrypts every row", async () => {
    const tables = await app.db.execute(
      "select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'",
    );
    let dump = "";
    for (const t of tables as { table_name: string }[]) {
      const rows = await app.db.execute(`select row_to_json(x)::text as j from "${t.table_name}" x`);
      dump += (rows as { j: string }[]).map((r) => r.j).join("\n");
    }
    expect(dump).toContain("keyed");
    expect(dump).not.toContain(SECRET);
    if (app.db.pglite) {
      const raw = gunzipSync(Buffer.from(await (await app.db.pglite.dumpDataDir("gzip")).arrayBuffer()));
      expect(raw.includes(Buffer.from("keyed"))).toBe(true);
      expect(raw.includes(Buffer.from(SECRET))).toBe(false);
    }

    const oldKeys = app.services.config.keys.encryptionKeys;
    const rotated = createCredentialCipher([{ kid: "rotated", key: randomBytes(32) }, ...oldKeys]);
    const result = await rotateCredentials(app.db.db, rotated);
    expect(result.reencrypted).toBeGreaterThan(0);
    const rows = (await app.db.execute(
      "select id, user_id, credentials from mcp_servers where credentials is not null",
    )) as {
      id: string;
      user_id: string;
      credentials: string;
    }[];
    for (const row of rows) {
      expect(rotated.keyIdOf(row.credentials)).toBe("rotated");
      const plain = rotated.decrypt<{ api_key: string }>(
        row.credentials,
        `mcp_servers:${row.id}:${row.user_id}:credentials`,
      );
      expect(typeof plain.api_key).toBe("string");
    }
    expect((await rotateCredentials(app.db.db, rotated)).reencrypted).toBe(0);
  });
});
