import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { startDemoMcpServer, startLegacySseOnlyServer, TOOL_NAMES } from "./index.js";
import {
  asToolResult,
  connectSse,
  connectStreamable,
  connectWithFallback,
  INITIALIZE_BODY,
  MCP_POST_HEADERS,
  newClient,
  textOf,
} from "./testing/utils.js";

describe("legacy HTTP+SSE transport", () => {
  it("is served alongside streamable HTTP by default", async () => {
    const handle = await startDemoMcpServer();
    try {
      const client = await connectSse(handle.sseUrl);
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual([...TOOL_NAMES].sort());
      const result = asToolResult(
        await client.callTool({ name: "query_signups", arguments: { plan: "enterprise" } }),
      );
      expect(result.isError).toBeFalsy();
      expect((result.structuredContent as { by_plan: Record<string, number> }).by_plan).toEqual({
        enterprise: (result.structuredContent as { total: number }).total,
      });
      const progress: number[] = [];
      await client.callTool(
        { name: "long_running_analysis", arguments: { steps: 3, step_ms: 10 } },
        undefined,
        {
          onprogress: (p) => progress.push(p.progress),
        },
      );
      expect(progress).toEqual([0, 1, 2, 3]);
      await client.close();
    } finally {
      await handle.close();
    }
  });

  it("serves the same tool table, input requests included", async () => {
    const handle = await startDemoMcpServer();
    try {
      const client = newClient({ elicitation: { form: {} } });
      client.setRequestHandler(ElicitRequestSchema, async () => ({
        action: "accept",
        content: {
          title: "Over SSE",
          sections: ["summary"],
          include_chart: false,
          recipient: "sse@example.com",
        },
      }));
      await client.connect(new SSEClientTransport(new URL(handle.sseUrl)));
      const result = asToolResult(await client.callTool({ name: "configure_report", arguments: {} }));
      expect(result.structuredContent).toMatchObject({
        action: "accept",
        title: "Over SSE",
        recipient: "sse@example.com",
      });
      await client.close();
    } finally {
      await handle.close();
    }
  });

  it("can be disabled with legacySse: false", async () => {
    const handle = await startDemoMcpServer({ legacySse: false });
    try {
      const res = await fetch(handle.sseUrl, { headers: { accept: "text/event-stream" } });
      expect(res.status).toBe(404);
      await expect(connectSse(handle.sseUrl)).rejects.toThrow();
      const client = await connectStreamable(handle.url);
      await client.close();
    } finally {
      await handle.close();
    }
  });

  it("rejects POST /messages for unknown sessions", async () => {
    const handle = await startDemoMcpServer();
    try {
      const missing = await fetch(`${handle.origin}/messages`, {
        method: "POST",
        headers: MCP_POST_HEADERS,
        body: "{}",
      });
      expect(missing.status).toBe(400);
      const unknown = await fetch(`${handle.origin}/messages?sessionId=nope`, {
        method: "POST",
        headers: MCP_POST_HEADERS,
        body: JSON.stringify(INITIALIZE_BODY),
      });
      expect(unknown.status).toBe(404);
    } finally {
      await handle.close();
    }
  });
});

describe("legacy-SSE-only server", () => {
  it("answers POST /sse with 405 and opens the legacy stream on GET /sse", async () => {
    const handle = await startLegacySseOnlyServer();
    try {
      expect(handle.url).toBe(`${handle.origin}/sse`);
      expect(handle.sseUrl).toBe(handle.url);
      const post = await fetch(handle.url, {
        method: "POST",
        headers: MCP_POST_HEADERS,
        body: JSON.stringify(INITIALIZE_BODY),
      });
      expect(post.status).toBe(405);
      expect(post.headers.get("allow")).toBe("GET");
      const noMcp = await fetch(`${handle.origin}/mcp`, {
        method: "POST",
        headers: MCP_POST_HEADERS,
        body: JSON.stringify(INITIALIZE_BODY),
      });
      expect(noMcp.status).toBe(404);

      const controller = new AbortController();
      const get = await fetch(handle.url, {
        headers: { accept: "text/event-stream" },
        signal: controller.signal,
      });
      expect(get.status).toBe(200);
      expect(get.headers.get("content-type")).toMatch(/^text\/event-stream/);
      const reader = get.body?.getReader();
      const first = await reader?.read();
      expect(new TextDecoder().decode(first?.value)).toMatch(
        /event: endpoint\ndata: \/messages\?sessionId=[0-9a-f-]+/,
      );
      controller.abort();
    } finally {
      await handle.close();
    }
  });

  it("lets a client fall back from streamable HTTP to legacy SSE", async () => {
    const legacy = await startLegacySseOnlyServer();
    const modern = await startDemoMcpServer();
    try {
      await expect(connectStreamable(legacy.url)).rejects.toThrow(/Method not allowed/);
      const viaFallback = await connectWithFallback(legacy.url);
      expect(viaFallback.transport).toBe("sse");
      const result = asToolResult(await viaFallback.client.callTool({ name: "always_fails", arguments: {} }));
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/failed on purpose/);
      await viaFallback.client.close();

      const direct = await connectWithFallback(modern.url);
      expect(direct.transport).toBe("streamable");
      await direct.client.close();
    } finally {
      await legacy.close();
      await modern.close();
    }
  });
});
