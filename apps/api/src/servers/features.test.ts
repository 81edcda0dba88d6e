/**
 * What the API offers of a server beyond its tools, against a real server of each protocol era:
 * tool annotations, icons and output schemas; resource templates and reads; argument completion;
 * prompts; and what `servers/test` says about the era.
 */
import {
  ITEM_TEMPLATE,
  MODERN_PROTOCOL_VERSION,
  STATS_ICON,
  STATS_SCHEMA,
  startModernPeer,
  startStreamablePeer,
} from "@mcpdeck/mcp/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../testing/harness.js";

let app: TestApp;
let token: string;
let stranger: string;

beforeAll(async () => {
  app = await startTestApp({ statusChecks: false });
  token = (await app.signIn("features@example.com")).access_token;
  stranger = (await app.signIn("features-stranger@example.com")).access_token;
});
afterAll(async () => {
  await app.close();
});

/** A tRPC query over HTTP, as the web client sends it. */
async function query(path: string, input: unknown, as = token) {
  const res = await app.request(
    "GET",
    `/trpc/servers.${path}?input=${encodeURIComponent(JSON.stringify(input))}`,
    {
      token: as,
    },
  );
  return { status: res.status, data: res.body?.result?.data, error: res.body?.error?.data?.error };
}

const eras = [
  { era: "modern", start: () => startModernPeer({ features: true }), protocol: MODERN_PROTOCOL_VERSION },
  { era: "legacy", start: () => startStreamablePeer({ features: true }), protocol: "2025-11-25" },
] as const;

describe.each(eras)("a $era-era server", ({ era, start, protocol }) => {
  let peer: Awaited<ReturnType<(typeof eras)[number]["start"]>>;
  let serverId: string;

  beforeAll(async () => {
    peer = await start();
    const created = await app.request("POST", "/api/v1/servers", {
      token,
      body: { name: `features-${era}`, url: peer.url, auth_method: "none" },
    });
    serverId = created.body.id;
  });
  afterAll(async () => {
    await peer.close();
  });

  it("servers/test names the protocol version and era", async () => {
    const res = await app.request("POST", "/api/v1/servers/test", {
      token,
      body: { url: peer.url, auth_method: "none" },
    });
    expect(res.status).toBe(200);
    expect(res.body.message).toContain(`over streamable HTTP (protocol ${protocol}, ${era} era)`);
  });

  it("lists tools over REST with title, annotations, output schema and icons", async () => {
    const res = await app.request("GET", `/api/v1/servers/${serverId}/tools`, { token });
    expect(res.status).toBe(200);
    const stats = res.body.tools.find((t: { name: string }) => t.name === "stats");
    expect(stats).toMatchObject({
      title: "Statistics",
      annotations: { title: "Statistics", read_only_hint: true, idempotent_hint: true },
      output_schema: { type: "object", required: [...STATS_SCHEMA.required] },
    });
    if (era === "modern")
      expect(stats.icons).toEqual([{ src: STATS_ICON.src, mime_type: "image/png", sizes: ["48x48"] }]);
  });

  it("lists resource templates, reads resources and completes template variables", async () => {
    const templates = await query("resourceTemplates", { server_id: serverId });
    expect(templates.data.resource_templates).toContainEqual(
      expect.objectContaining({ uri_template: ITEM_TEMPLATE, name: "item", mime_type: "text/plain" }),
    );
    const read = await query("readResource", { server_id: serverId, uri: "test://items/alpha" });
    expect(read.data).toEqual({ contents: [{ uri: "test://items/alpha", text: "item alpha" }] });
    const ids = await query("complete", {
      server_id: serverId,
      ref: { type: "resource_template", uri_template: ITEM_TEMPLATE },
      argument: { name: "id", value: "al" },
    });
    expect(ids.data.values).toEqual(["alpha", "alpine"]);
  });

  it("gets prompts and completes their arguments", async () => {
    const names = await query("complete", {
      server_id: serverId,
      ref: { type: "prompt", name: "greet_person" },
      argument: { name: "name", value: "G" },
    });
    expect(names.data.values).toEqual(["Grace"]);
    const prompt = await query("getPrompt", {
      server_id: serverId,
      name: "greet_person",
      arguments: { name: "Grace" },
    });
    expect(prompt.data.messages).toEqual([
      { role: "user", content: { type: "text", text: "Hello, Grace!" } },
    ]);
  });

  it("answers 404 to another user, exactly like a missing server", async () => {
    for (const [path, input] of [
      ["resourceTemplates", { server_id: serverId }],
      ["readResource", { server_id: serverId, uri: "test://counter" }],
      ["getPrompt", { server_id: serverId, name: "greet_person" }],
      [
        "complete",
        {
          server_id: serverId,
          ref: { type: "prompt", name: "greet_person" },
          argument: { name: "name", value: "" },
        },
      ],
    ] as const) {
      const res = await query(path, input, stranger);
      expect([path, res.status, res.error?.code]).toEqual([path, 404, "NOT_FOUND"]);
    }
  });

  it("a failing read is a 502 with the server's reason", async () => {
    const res = await query("readResource", { server_id: serverId, uri: "test://nothing-here" });
    expect(res.status).toBe(502);
    expect(res.error).toMatchObject({ code: "UPSTREAM_ERROR", reason: "PROTOCOL_ERROR" });
  });
});
