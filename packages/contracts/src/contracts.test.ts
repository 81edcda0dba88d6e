import { describe, expect, it } from "vitest";
import {
  ClientMessage,
  Cursor,
  decodeCursor,
  encodeCursor,
  entityId,
  McpFailureReason,
  McpServerCreate,
  McpServerTest,
  McpServerUpdate,
  multiLine,
  ProfileUpdateInput,
  parseCredentials,
  ServerMessage,
  ServerUrl,
  singleLine,
} from "./index.js";

describe("WebSocket contracts", () => {
  it("accepts every client message of the spec and rejects unknown or malformed ones", () => {
    for (const m of [
      { type: "chat_message", payload: { text: "Analyze the latest user signups." } },
      { type: "approve_task", payload: { node_id: "node1" } },
      { type: "reject_task", payload: { node_id: "node2" } },
      { type: "cancel", payload: {} },
      { type: "ping", payload: {} },
    ]) {
      expect(ClientMessage.safeParse(m).success).toBe(true);
    }
    expect(ClientMessage.safeParse({ type: "approve_task", payload: { nodeId: "node1" } }).success).toBe(
      false,
    );
    expect(ClientMessage.safeParse({ type: "rm_rf", payload: {} }).success).toBe(false);
    expect(ClientMessage.safeParse({ type: "chat_message", payload: { text: "" } }).success).toBe(false);
  });

  it("describes server messages with a monotonic id", () => {
    const proposal = {
      id: 7,
      type: "task_graph_proposal",
      payload: {
        graph_id: "g1",
        nodes: [
          {
            id: "node1",
            title: "Query",
            content: "…",
            status: "pending",
            position: { x: 100, y: 200 },
            tool: "query_signups",
            arguments: {},
          },
          {
            id: "node2",
            title: "Report",
            content: "…",
            status: "pending",
            position: { x: 300, y: 200 },
            depends_on: ["node1"],
            tool: "build_report",
            arguments: { title: "x" },
          },
        ],
      },
    };
    expect(ServerMessage.parse(proposal).type).toBe("task_graph_proposal");
    expect(ServerMessage.safeParse({ ...proposal, id: -1 }).success).toBe(false);
    expect(
      ServerMessage.safeParse({
        id: 1,
        type: "task_update",
        payload: { graph_id: "g", node_id: "n", status: "teleported" },
      }).success,
    ).toBe(false);
  });
});

describe("server contracts", () => {
  it("applies defaults and refuses unknown fields", () => {
    expect(
      McpServerCreate.parse({ name: "a", url: "https://x.example/mcp", auth_method: "none" }),
    ).toMatchObject({
      timeout: 30,
      ssl_verify: true,
    });
    expect(
      McpServerCreate.safeParse({ name: "a", url: "https://x.example/mcp", auth_method: "none", admin: true })
        .success,
    ).toBe(false);
  });

  it("accepts only absolute http(s) URLs without userinfo", () => {
    expect(ServerUrl.safeParse("https://mcp.example.com/mcp").success).toBe(true);
    for (const bad of ["ftp://x/", "javascript:alert(1)", "/relative", "https://u:p@x.example/"]) {
      expect(ServerUrl.safeParse(bad).success).toBe(false);
    }
  });

  it("matches credentials to the auth method, naming the field", () => {
    expect(parseCredentials("api_key", { api_key: "k" })).toEqual({
      ok: true,
      value: { auth_method: "api_key", credentials: { api_key: "k", header: "Authorization" } },
    });
    const missing = parseCredentials("api_key", undefined);
    expect(missing.ok).toBe(false);
    expect(!missing.ok && missing.issues[0]!.path).toBe("credentials.api_key");
    expect(parseCredentials("none", { api_key: "k" }).ok).toBe(false);
    expect(parseCredentials("oauth", undefined).ok).toBe(true);
    const bad = parseCredentials("api_key", { api_key: "k", header: "bad header" });
    expect(!bad.ok && bad.issues[0]!.path).toBe("credentials.header");
  });
});

describe("hostile input", () => {
  it("refuses control characters in single-line text, and all but tab and line breaks in multi-line text", () => {
    for (const bad of ["a\u0000b", "a\nb", "a\rb", "\tx", "x\u001b[31m", "x\u007f"]) {
      expect(singleLine().safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
    for (const good of ["", "plain text", "ünïcödé ✓", "\u0080 is not C0"]) {
      expect(singleLine().safeParse(good).success, JSON.stringify(good)).toBe(true);
    }
    expect(multiLine().safeParse("line one\r\n\tline two").success).toBe(true);
    expect(multiLine().safeParse("nul\u0000").success).toBe(false);
    expect(ClientMessage.safeParse({ type: "chat_message", payload: { text: "a\u0000" } }).success).toBe(
      false,
    );
  });

  it("reads an id that is not a UUID as naming nothing", () => {
    const ServerId = entityId("MCP server");
    expect(ServerId.safeParse("01900000-0000-7000-8000-000000000000").success).toBe(true);
    for (const bad of ["", "%00", "\u0000", "1", "01900000-0000-7000-8000-00000000000g", "x".repeat(64)]) {
      const r = ServerId.safeParse(bad);
      expect(r.success).toBe(false);
      expect(r.error?.issues).toEqual([
        expect.objectContaining({
          code: "custom",
          params: { notFound: "MCP server" },
          message: "MCP server not found.",
        }),
      ]);
    }
  });

  it("round-trips cursors and refuses every hand-made one", () => {
    const position = {
      createdAt: new Date("2026-11-28T10:30:05.123Z"),
      id: "01900000-0000-7000-8000-000000000000",
    };
    expect(decodeCursor(encodeCursor(position))).toEqual(position);
    // The same format Buffer's base64url made before, so cursors handed out earlier stay valid.
    const legacy = Buffer.from(`${position.createdAt.toISOString()}|${position.id}`).toString("base64url");
    expect(encodeCursor(position)).toBe(legacy);
    const b64 = (text: string) => Buffer.from(text).toString("base64url");
    for (const bad of [
      "%%%",
      "",
      b64("+275760-09-13T00:00:00.000Z|01900000-0000-7000-8000-000000000000"),
      b64("1969-12-31T23:59:59.999Z|01900000-0000-7000-8000-000000000000"),
      b64("2026-13-01T00:00:00.000Z|01900000-0000-7000-8000-000000000000"),
      b64("2026-01-01T00:00:00.000Z|x"),
      b64("2026-01-01T00:00:00.000Z"),
    ]) {
      expect(decodeCursor(bad), bad).toBeUndefined();
      const r = Cursor.safeParse(bad);
      expect(r.error?.issues[0]?.message).toContain("`next` value of the previous page");
    }
  });
});

describe("what the server contracts accept", () => {
  it("discriminates credentials on auth_method, naming the field", () => {
    const base = { name: "a", url: "https://x.example/mcp" };
    const issues = (input: unknown) =>
      McpServerCreate.safeParse(input).error?.issues.map((i) => [i.path.join("."), i.message]);
    expect(issues({ ...base, auth_method: "api_key" })).toEqual([
      ["credentials.api_key", 'api_key is required when auth_method is "api_key"'],
    ]);
    expect(issues({ ...base, auth_method: "none", credentials: { api_key: "k" } })).toEqual([
      ["credentials", 'credentials must be absent when auth_method is "none"'],
    ]);
    expect(issues({ ...base, auth_method: "basic" })).toEqual([
      ["auth_method", 'auth_method must be "none", "api_key" or "oauth"'],
    ]);
    expect(McpServerCreate.parse({ ...base, auth_method: "oauth" })).toMatchObject({ credentials: {} });
    expect(
      McpServerTest.parse({ url: base.url, auth_method: "api_key", credentials: { api_key: " sk-1\n" } }),
    ).toMatchObject({ credentials: { api_key: "sk-1", header: "Authorization" } });
    expect(McpServerUpdate.safeParse({ credentials: { api_key: "k" } }).success).toBe(true);
    expect(McpServerUpdate.safeParse({ credentials: { api_key: "k\r\nX-Evil: 1" } }).success).toBe(false);
  });

  it("publishes the connection failure reasons and the one profile update schema", () => {
    expect(McpFailureReason.options).toContain("SSRF_BLOCKED");
    expect(McpFailureReason.options).toHaveLength(10);
    expect(ProfileUpdateInput.parse({ username: " Caps_Lock " })).toEqual({ username: "caps_lock" });
    expect(ProfileUpdateInput.safeParse({ username: "a\u0000bc" }).success).toBe(false);
  });
});
