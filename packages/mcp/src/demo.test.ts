/**
 * The demo MCP server (`@mcpdeck/demo-mcp`, the real server mcpdeck ships and demos with) through the
 * connection layer: its eliciting tool `configure_report` completes once the per-call hook answers,
 * whichever protocol era the connection speaks — 2026-07-28 (the answer goes back in an
 * `input_required` round) or 2025-11-25 (the answer to a server-to-client `elicitation/create`).
 */
import { type DemoMcpHandle, startDemoMcpServer } from "@mcpdeck/demo-mcp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectMcp, type McpConnection, type McpEndpointConfig } from "./connection.js";
import type { EraVerdict, ProtocolEra, TransportKind } from "./era.js";
import type { InputAnswer, InputRequest } from "./hooks.js";
import { endpointConfig, loopbackGuard as guard, MODERN_PROTOCOL_VERSION } from "./testing/index.js";

const LEGACY_PROTOCOL_VERSION = "2025-11-25";

const cfg = (url: string, extra: Partial<McpEndpointConfig> = {}) =>
  endpointConfig(url, { timeoutSec: 10, ...extra });

const textOf = (result: { content: unknown }) =>
  (result.content as { type: string; text?: string }[])
    .filter((c) => c.type === "text")
    .map((c) => c.text ?? "")
    .join("\n");

/** The dual-era demo, and one whose /mcp speaks only the 2025 handshake era. */
let demo: DemoMcpHandle;
let legacyOnly: DemoMcpHandle;
beforeAll(async () => {
  [demo, legacyOnly] = await Promise.all([
    startDemoMcpServer({ referenceDate: "2025-06-01" }),
    startDemoMcpServer({ referenceDate: "2025-06-01", modernEra: false, legacySse: false }),
  ]);
});
afterAll(async () => {
  await Promise.all([demo?.close(), legacyOnly?.close()]);
});

interface EraCase {
  name: string;
  era: ProtocolEra;
  protocolVersion: string;
  transport: TransportKind;
  connect(): Promise<McpConnection>;
}

const cases: EraCase[] = [
  {
    name: "modern era, negotiated with the dual-era demo",
    era: "modern",
    protocolVersion: MODERN_PROTOCOL_VERSION,
    transport: "streamable_http",
    connect: () => connectMcp(cfg(demo.url), { guard }),
  },
  {
    name: "legacy era, negotiated with a demo that speaks only 2025-11-25 (the probe falls back)",
    era: "legacy",
    protocolVersion: LEGACY_PROTOCOL_VERSION,
    transport: "streamable_http",
    connect: () => connectMcp(cfg(legacyOnly.url), { guard }),
  },
  {
    name: "legacy era, from a remembered legacy verdict on the dual-era demo (no probe)",
    era: "legacy",
    protocolVersion: LEGACY_PROTOCOL_VERSION,
    transport: "streamable_http",
    connect: () => {
      const remembered: EraVerdict = {
        era: "legacy",
        transport: "streamable_http",
        protocol_version: LEGACY_PROTOCOL_VERSION,
        checked_at: new Date().toISOString(),
      };
      return connectMcp(cfg(demo.url, { era: remembered }), { guard });
    },
  },
  {
    name: "legacy era over the legacy HTTP+SSE transport",
    era: "legacy",
    protocolVersion: LEGACY_PROTOCOL_VERSION,
    transport: "sse",
    connect: () => connectMcp(cfg(demo.sseUrl), { guard }),
  },
];

const CHOICES = {
  title: "Weekly signups",
  sections: ["summary", "by_country"],
  include_chart: true,
  recipient: "ops@example.com",
};

for (const c of cases) {
  describe(`configure_report through the connection layer: ${c.name}`, () => {
    let conn: McpConnection;
    beforeAll(async () => {
      conn = await c.connect();
    });
    afterAll(async () => {
      await conn?.close();
    });

    /** Calls the tool, answering its form with `answer` through the per-call hook. */
    const configure = async (answer: InputAnswer) => {
      const asked: InputRequest[] = [];
      const result = await conn.callTool(
        "configure_report",
        { suggested_title: "Weekly signups" },
        {
          onInputRequest: async (request) => {
            asked.push(request);
            return answer;
          },
        },
      );
      return { result, asked };
    };

    it(`speaks the ${c.era} era (${c.protocolVersion})`, () => {
      expect(conn.era).toBe(c.era);
      expect(conn.protocolVersion).toBe(c.protocolVersion);
      expect(conn.transport).toBe(c.transport);
      expect(conn.serverInfo.name).toBe("mcpdeck-demo");
      expect(conn.eraVerdict).toMatchObject({ era: c.era, protocol_version: c.protocolVersion });
    });

    it("asks for the form through onInputRequest and completes with the accepted answer", async () => {
      const { result, asked } = await configure({ action: "accept", content: CHOICES });
      expect(asked).toHaveLength(1);
      expect(asked[0]).toMatchObject({
        kind: "form",
        message: "How should the signups report look?",
        schema: {
          type: "object",
          properties: {
            title: { type: "string", default: "Weekly signups" },
            recipient: { type: "string", format: "email" },
          },
        },
      });
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toEqual({ action: "accept", ...CHOICES });
      expect(textOf(result)).toBe(
        'The user configured the report "Weekly signups" for ops@example.com: sections summary, by_country; with a chart.',
      );
    });

    it("completes with the decline when the person declines", async () => {
      const { result, asked } = await configure({ action: "decline" });
      expect(asked).toHaveLength(1);
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toEqual({ action: "decline" });
      expect(textOf(result)).toBe("The user declined to configure the report; nothing was chosen.");
    });
  });
}
