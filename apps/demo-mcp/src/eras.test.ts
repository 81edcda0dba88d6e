import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DemoMcpHandle, startDemoMcpServer, TOOL_NAMES } from "./index.js";
import {
  connectEra,
  ERAS,
  LEGACY_PROTOCOL_VERSION,
  MODERN_PROTOCOL_VERSION,
  textOfResult,
} from "./testing/eraClients.js";
import { MCP_POST_HEADERS } from "./testing/utils.js";

let handle: DemoMcpHandle;
beforeAll(async () => {
  handle = await startDemoMcpServer({ referenceDate: "2025-06-01" });
});
afterAll(async () => {
  await handle?.close();
});

/** A raw 2026-07-28 `server/discover` request (no session). */
const discover = (url: string) =>
  fetch(url, {
    method: "POST",
    headers: {
      ...MCP_POST_HEADERS,
      "mcp-protocol-version": MODERN_PROTOCOL_VERSION,
      "mcp-method": "server/discover",
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "server/discover",
      params: {
        _meta: {
          "io.modelcontextprotocol/protocolVersion": MODERN_PROTOCOL_VERSION,
          "io.modelcontextprotocol/clientCapabilities": {},
          "io.modelcontextprotocol/clientInfo": { name: "raw", version: "0" },
        },
      },
    }),
  });

const HINTS = ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"] as const;

describe("one /mcp endpoint, both protocol eras", () => {
  it("negotiates 2026-07-28 with the 2.x client and 2025-11-25 with the 1.x handshake client", async () => {
    const modern = await connectEra("modern", handle.url);
    const legacy = await connectEra("legacy", handle.url);
    expect(modern.protocolVersion).toBe(MODERN_PROTOCOL_VERSION);
    expect(legacy.protocolVersion).toBe(LEGACY_PROTOCOL_VERSION);
    await modern.close();
    await legacy.close();
  });

  it("names both eras at /", async () => {
    const info = (await (await fetch(`${handle.origin}/`)).json()) as { protocol_eras: string[] };
    expect(info.protocol_eras).toEqual(["2026-07-28", "2025-11-25 (and earlier)"]);
  });

  it("answers server/discover without a session", async () => {
    const res = await discover(handle.url);
    expect(res.status).toBe(200);
    expect(res.headers.get("mcp-session-id")).toBeNull();
    const body = (await res.json()) as { result: { supportedVersions: string[]; capabilities: object } };
    expect(body.result.supportedVersions).toContain(MODERN_PROTOCOL_VERSION);
    expect(body.result.capabilities).toHaveProperty("tools");
  });

  for (const era of ERAS) {
    describe(`${era} era`, () => {
      it("lists every tool with a title, all four annotation hints and described inputs", async () => {
        const client = await connectEra(era, handle.url);
        const tools = await client.listTools();
        expect(tools.map((t) => t.name).sort()).toEqual([...TOOL_NAMES].sort());
        for (const tool of tools) {
          expect(tool.title, tool.name).toBeTruthy();
          expect(tool.annotations?.title, tool.name).toBe(tool.title);
          for (const hint of HINTS)
            expect(typeof tool.annotations?.[hint], `${tool.name}.${hint}`).toBe("boolean");
          const props = (tool.inputSchema.properties ?? {}) as Record<string, { description?: string }>;
          for (const [field, schema] of Object.entries(props)) {
            expect(schema.description, `${tool.name}.${field}`).toBeTruthy();
          }
        }
        const byName = new Map(tools.map((t) => [t.name, t]));
        for (const name of [
          "query_signups",
          "fetch_sample_api",
          "render_chart",
          "long_running_analysis",
          "wait",
          "export_signups",
          "sonify_trend",
        ]) {
          expect(byName.get(name)?.annotations?.readOnlyHint, name).toBe(true);
        }
        expect(byName.get("build_report")?.annotations).toMatchObject({
          readOnlyHint: false,
          destructiveHint: false,
        });
        expect(byName.get("purge_report_cache")?.annotations).toMatchObject({
          readOnlyHint: false,
          destructiveHint: true,
        });
        expect(byName.get("wait")?.annotations?.idempotentHint).toBe(true);
        expect(byName.get("query_signups")?.outputSchema?.properties).toHaveProperty("rows");
        if (era === "modern") {
          // Icons travel on the 2.x server; the 1.x McpServer does not list them.
          for (const tool of tools)
            expect(tool.icons?.[0]?.src, tool.name).toMatch(/^data:image\/svg\+xml;base64,/);
        } else {
          // 2025-11-25 experimental tasks: export_signups may run as a task.
          expect(byName.get("export_signups")?.execution?.taskSupport).toBe("optional");
        }
        await client.close();
      });

      it("query_signups returns rows and a summary as structured content and text", async () => {
        const client = await connectEra(era, handle.url);
        const result = await client.callTool("query_signups", { country: "DE", limit: 3 });
        expect(result.isError).toBeFalsy();
        const s = result.structuredContent as {
          total: number;
          rows: { country: string }[];
          by_country: Record<string, number>;
        };
        expect(s.rows).toHaveLength(3);
        expect(s.rows.every((r) => r.country === "DE")).toBe(true);
        expect(s.by_country).toEqual({ DE: s.total });
        expect(textOfResult(result)).toMatch(new RegExp(`^Found ${s.total} signups`));
        await client.close();
      });

      it("always_fails is a tool error, not a protocol error", async () => {
        const client = await connectEra(era, handle.url);
        const result = await client.callTool("always_fails", { reason: era });
        expect(result.isError).toBe(true);
        expect(textOfResult(result)).toMatch(/failed on purpose/);
        await client.close();
      });
    });
  }
});

describe("modernEra: false — /mcp speaks only the 2025 handshake era", () => {
  let legacyOnly: DemoMcpHandle;
  beforeAll(async () => {
    legacyOnly = await startDemoMcpServer({ referenceDate: "2025-06-01", modernEra: false });
  });
  afterAll(async () => {
    await legacyOnly?.close();
  });

  it("refuses the 2026-07-28 probe as a 2025 server does, and says so at /", async () => {
    const res = await discover(legacyOnly.url);
    expect(res.status).toBe(400);
    expect(res.headers.get("mcp-session-id")).toBeNull();
    const info = (await (await fetch(`${legacyOnly.origin}/`)).json()) as { protocol_eras: string[] };
    expect(info.protocol_eras).toEqual(["2025-11-25 (and earlier)"]);
  });

  it("the 2.x client, negotiating, falls back to 2025-11-25 and calls tools there", async () => {
    const client = await connectEra("modern", legacyOnly.url);
    expect(client.protocolVersion).toBe(LEGACY_PROTOCOL_VERSION);
    const result = await client.callTool("query_signups", { country: "DE", limit: 2 });
    expect(result.isError).toBeFalsy();
    expect((result.structuredContent as { rows: unknown[] }).rows).toHaveLength(2);
    await client.close();
    const legacy = await connectEra("legacy", legacyOnly.url);
    expect(legacy.protocolVersion).toBe(LEGACY_PROTOCOL_VERSION);
    await legacy.close();
  });
});
