import { describe, expect, it } from "vitest";
import { ClientMessage, McpServerCreate, parseCredentials, ServerMessage, ServerUrl } from "./index.js";

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
