import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  type LoggingMessageNotification,
  LoggingMessageNotificationSchema,
  type Progress,
} from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getSignupDataset } from "./dataset.js";
import { type DemoMcpHandle, SERVER_NAME, SERVER_VERSION, startDemoMcpServer, TOOL_NAMES } from "./index.js";
import { connectEra } from "./testing/eraClients.js";
import {
  asToolResult,
  connectStreamable,
  decodePng,
  INITIALIZE_BODY,
  MCP_POST_HEADERS,
  newClient,
  textOf,
  validatePdf,
  waitFor,
} from "./testing/utils.js";

const REFERENCE_DATE = "2025-06-01";

let handle: DemoMcpHandle;
let client: Client;
const logs: LoggingMessageNotification["params"][] = [];

beforeAll(async () => {
  handle = await startDemoMcpServer({ port: 0, referenceDate: REFERENCE_DATE });
  client = await connectStreamable(handle.url);
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    logs.push(n.params);
  });
});

afterAll(async () => {
  await client?.close();
  await handle?.close();
});

const call = async (name: string, args: Record<string, unknown> = {}) =>
  asToolResult(await client.callTool({ name, arguments: args }));

describe("streamable HTTP server", () => {
  it("exposes urls on the loopback origin", () => {
    expect(handle.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(handle.url).toBe(`${handle.origin}/mcp`);
    expect(handle.sseUrl).toBe(`${handle.origin}/sse`);
    expect(handle.oauth).toBeUndefined();
  });

  it("identifies itself and its capabilities", () => {
    expect(client.getServerVersion()).toMatchObject({ name: SERVER_NAME, version: SERVER_VERSION });
    const caps = client.getServerCapabilities();
    expect(caps).toHaveProperty("tools");
    expect(caps).toHaveProperty("resources");
    expect(caps).toHaveProperty("prompts");
    expect(caps).toHaveProperty("logging");
  });

  it("lists all tools with titles, descriptions and described input fields", async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([...TOOL_NAMES].sort());
    for (const tool of tools) {
      expect(tool.title, tool.name).toBeTruthy();
      expect(tool.description?.length, tool.name).toBeGreaterThan(20);
      const props = (tool.inputSchema.properties ?? {}) as Record<string, { description?: string }>;
      for (const [field, schema] of Object.entries(props)) {
        expect(schema.description, `${tool.name}.${field}`).toBeTruthy();
      }
    }
    const query = tools.find((t) => t.name === "query_signups");
    expect(query?.outputSchema?.properties).toHaveProperty("by_country");
    expect(query?.inputSchema.properties).toHaveProperty("limit");
  });

  it("query_signups: filtered totals are consistent with the unfiltered breakdown", async () => {
    const all = await call("query_signups", { limit: 5 });
    expect(all.isError).toBeFalsy();
    const s = all.structuredContent as {
      total: number;
      returned: number;
      by_country: Record<string, number>;
      by_plan: Record<string, number>;
      by_day: { date: string; count: number }[];
      rows: { country: string; plan: string; signed_up_at: string; email: string }[];
    };
    expect(s.total).toBe(getSignupDataset(REFERENCE_DATE).signups.length);
    expect(s.returned).toBe(5);
    expect(s.rows).toHaveLength(5);
    expect(s.by_day).toHaveLength(90);
    expect(textOf(all)).toMatch(/^Found 2000 signups from 2025-03-03 to 2025-05-31/);

    const de = asToolResult(
      await client.callTool({ name: "query_signups", arguments: { country: "de", limit: 500 } }),
    );
    const deS = de.structuredContent as typeof s;
    expect(deS.total).toBe(s.by_country.DE);
    expect(deS.rows.every((r) => r.country === "DE")).toBe(true);
    expect(Object.values(deS.by_plan).reduce((a, b) => a + b, 0)).toBe(deS.total);

    const deTeam = (await call("query_signups", { country: "DE", plan: "team" }))
      .structuredContent as typeof s;
    expect(deTeam.total).toBe(deS.by_plan.team);
    expect(deTeam.rows.every((r) => r.plan === "team" && r.email.endsWith("@example.com"))).toBe(true);

    const lastWeek = (
      await call("query_signups", { start_date: "2025-05-25", end_date: "2025-05-31", limit: 0 })
    ).structuredContent as typeof s;
    expect(lastWeek.by_day.map((d) => d.date)).toEqual([
      "2025-05-25",
      "2025-05-26",
      "2025-05-27",
      "2025-05-28",
      "2025-05-29",
      "2025-05-30",
      "2025-05-31",
    ]);
    expect(lastWeek.total).toBe(s.by_day.slice(-7).reduce((a, d) => a + d.count, 0));
    expect(lastWeek.rows).toEqual([]);
  });

  it("query_signups: invalid input is a tool error with a clear message", async () => {
    const reversed = await call("query_signups", { start_date: "2025-05-10", end_date: "2025-05-01" });
    expect(reversed.isError).toBe(true);
    expect(textOf(reversed)).toMatch(/Invalid date range: start_date .* is after end_date/);
    const garbage = await call("query_signups", { start_date: "last tuesday" });
    expect(garbage.isError).toBe(true);
    expect(textOf(garbage)).toMatch(/start_date "last tuesday" is not a valid ISO 8601 date/);
    const tooMany = await call("query_signups", { limit: 501 });
    expect(tooMany.isError).toBe(true);
    expect(textOf(tooMany)).toMatch(/limit/);
  });

  it("fetch_sample_api returns generated JSON as text and structured content", async () => {
    const result = await call("fetch_sample_api", {
      endpoint: "marketing_spend",
      start_date: "2025-05-01",
      end_date: "2025-05-14",
    });
    expect(result.isError).toBeFalsy();
    const data = result.structuredContent as {
      endpoint: string;
      rows: Record<string, number | string>[];
      totals: Record<string, number>;
    };
    expect(data.endpoint).toBe("marketing_spend");
    expect(data.rows).toHaveLength(14);
    expect(data.rows[0]?.date).toBe("2025-05-01");
    expect(JSON.parse(textOf(result))).toEqual(data);
    const defaults = (await call("fetch_sample_api", { endpoint: "web_traffic" }))
      .structuredContent as typeof data;
    expect(defaults.rows).toHaveLength(30);
    expect(defaults.rows[29]?.date).toBe("2025-05-31");
    const bad = await call("fetch_sample_api", {
      endpoint: "revenue",
      start_date: "2025-05-02",
      end_date: "2025-05-01",
    });
    expect(bad.isError).toBe(true);
    const unknown = await call("fetch_sample_api", { endpoint: "weather" });
    expect(unknown.isError).toBe(true);
  });

  it("build_report returns a valid PDF as an embedded resource", async () => {
    const signups = await call("query_signups", { start_date: "2025-05-01", limit: 100 });
    const spend = await call("fetch_sample_api", { endpoint: "marketing_spend", start_date: "2025-05-01" });
    const result = await call("build_report", {
      title: "Latest signups (May 2025)",
      sections: [
        { heading: "Summary", body: "Signups grew steadily, with a spike from the ads campaign." },
        { heading: "Signups", data: signups.structuredContent },
        { heading: "Marketing spend", data: spend.structuredContent },
      ],
    });
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toMatch(
      /^Built PDF report "Latest signups \(May 2025\)" \(latest-signups-may-2025\.pdf\): 3 section/,
    );
    const resource = result.content.find((c) => c.type === "resource");
    expect(resource?.type).toBe("resource");
    if (resource?.type !== "resource" || !("blob" in resource.resource)) throw new Error("no blob resource");
    expect(resource.resource.uri).toBe("report://latest-signups-may-2025.pdf");
    expect(resource.resource.mimeType).toBe("application/pdf");
    const pdf = Buffer.from(resource.resource.blob, "base64");
    const { pages, text } = validatePdf(pdf);
    expect(pages).toBeGreaterThanOrEqual(2);
    expect(text).toContain("(Latest signups \\(May 2025\\)) Tj");
    expect(text).toContain("(By country) Tj");
  });

  it("render_chart returns a valid PNG image", async () => {
    const result = await call("render_chart");
    const image = result.content.find((c) => c.type === "image");
    if (image?.type !== "image") throw new Error("no image content");
    expect(image.mimeType).toBe("image/png");
    const { width, height } = decodePng(Buffer.from(image.data, "base64"));
    expect(width).toBeGreaterThanOrEqual(640);
    expect(height).toBe(320);
    expect(textOf(result)).toMatch(/Signups per day from 2025-05-18 to 2025-05-31/);
  });

  it("long_running_analysis reports progress and logs each step", async () => {
    logs.length = 0;
    const progress: Progress[] = [];
    const result = asToolResult(
      await client.callTool(
        { name: "long_running_analysis", arguments: { steps: 4, step_ms: 20 } },
        undefined,
        {
          onprogress: (p) => progress.push(p),
        },
      ),
    );
    expect(textOf(result)).toMatch(/^Analysis complete: 4 steps/);
    expect(progress.map((p) => p.progress)).toEqual([0, 1, 2, 3, 4]);
    expect(progress.every((p) => p.total === 4)).toBe(true);
    expect(progress[4]?.message).toMatch(/^Step 4\/4/);
    const mine = logs.filter((l) => l.logger === "long_running_analysis");
    expect(mine.filter((l) => l.level === "info").length).toBeGreaterThanOrEqual(5);
    expect(mine.filter((l) => l.level === "debug")).toHaveLength(4);
    expect(mine.map((l) => l.data)).toContain("Step 2/4 done: Deduplicating accounts");
  });

  it("logging/setLevel filters messages for the session", async () => {
    const other = await connectStreamable(handle.url);
    const received: LoggingMessageNotification["params"][] = [];
    other.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      received.push(n.params);
    });
    await other.setLoggingLevel("info");
    await other.callTool({ name: "long_running_analysis", arguments: { steps: 2, step_ms: 10 } });
    expect(received.length).toBeGreaterThan(0);
    expect(received.every((l) => l.level !== "debug")).toBe(true);
    received.length = 0;
    await other.setLoggingLevel("error");
    await other.callTool({ name: "long_running_analysis", arguments: { steps: 2, step_ms: 10 } });
    expect(received).toEqual([]);
    await other.close();
  });

  it("long_running_analysis stops when the request is cancelled", async () => {
    logs.length = 0;
    const controller = new AbortController();
    const pending = client.callTool(
      { name: "long_running_analysis", arguments: { steps: 50, step_ms: 100 } },
      undefined,
      {
        signal: controller.signal,
        onprogress: (p) => {
          if (p.progress >= 1) controller.abort("user cancelled");
        },
      },
    );
    await expect(pending).rejects.toThrow();
    await waitFor(
      () => logs.some((l) => typeof l.data === "string" && l.data.startsWith("Cancelled after")),
      3000,
      "the server to report cancellation",
    );
    const cancelled = logs.find((l) => typeof l.data === "string" && l.data.startsWith("Cancelled after"));
    expect(cancelled?.level).toBe("warning");
    expect(cancelled?.data).toMatch(/^Cancelled after [12]\/50 steps$/);
  });

  it("always_fails returns a clear tool error", async () => {
    const result = await call("always_fails", { reason: "demo" });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe(
      "always_fails: this tool failed on purpose: demo. Nothing was changed; retrying will fail the same way.",
    );
  });

  it("serves the dataset schema resource", async () => {
    const { resources } = await client.listResources();
    expect(resources).toContainEqual(
      expect.objectContaining({ uri: "dataset://signups/schema", mimeType: "application/json" }),
    );
    const read = await client.readResource({ uri: "dataset://signups/schema" });
    const content = read.contents[0];
    if (!content || !("text" in content)) throw new Error("no text content");
    const schema = JSON.parse(content.text) as {
      fields: { name: string }[];
      row_count: number;
      last_day: string;
    };
    expect(schema.fields.map((f) => f.name)).toEqual([
      "id",
      "email",
      "country",
      "plan",
      "signed_up_at",
      "source",
    ]);
    expect(schema.row_count).toBe(2000);
    expect(schema.last_day).toBe("2025-05-31");
  });

  it("serves the analyze_signups prompt with completion for period", async () => {
    const { prompts } = await client.listPrompts();
    const prompt = prompts.find((p) => p.name === "analyze_signups");
    expect(prompt?.arguments).toEqual([expect.objectContaining({ name: "period", required: true })]);
    const got = await client.getPrompt({ name: "analyze_signups", arguments: { period: "last 14 days" } });
    const message = got.messages[0];
    expect(message?.role).toBe("user");
    expect(message?.content.type === "text" && message.content.text).toMatch(
      /last 14 days[\s\S]*query_signups[\s\S]*build_report/,
    );
    const completion = await client.complete({
      ref: { type: "ref/prompt", name: "analyze_signups" },
      argument: { name: "period", value: "last 1" },
    });
    expect(completion.completion.values).toEqual(["last 14 days"]);
  });

  it("keeps sessions isolated and terminates them on DELETE", async () => {
    const transport = new StreamableHTTPClientTransport(new URL(handle.url));
    const second = newClient();
    await second.connect(transport);
    const sessionId = transport.sessionId;
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
    await transport.terminateSession();
    const res = await fetch(handle.url, {
      method: "POST",
      headers: {
        ...MCP_POST_HEADERS,
        "mcp-session-id": sessionId ?? "",
        "mcp-protocol-version": "2025-06-18",
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }),
    });
    expect(res.status).toBe(404);
    await second.close();
  });

  it("rejects requests without a session and unknown sessions", async () => {
    const noSession = await fetch(handle.url, {
      method: "POST",
      headers: MCP_POST_HEADERS,
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(noSession.status).toBe(400);
    const unknown = await fetch(handle.url, {
      headers: { "mcp-session-id": "nope", accept: "text/event-stream" },
    });
    expect(unknown.status).toBe(404);
    const put = await fetch(handle.url, { method: "PUT" });
    expect(put.status).toBe(405);
    const badJson = await fetch(handle.url, { method: "POST", headers: MCP_POST_HEADERS, body: "{nope" });
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toMatchObject({ error: { code: -32700 } });
  });

  it("refuses foreign Host headers (DNS rebinding protection)", async () => {
    const { request } = await import("node:http");
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        handle.url,
        { method: "POST", headers: { ...MCP_POST_HEADERS, host: "evil.example:80" } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.end(JSON.stringify(INITIALIZE_BODY));
    });
    expect(status).toBe(403);
  });
});

describe("lifecycle", () => {
  it("close() does not hang with open sessions and streams", async () => {
    const h = await startDemoMcpServer();
    const a = await connectStreamable(h.url);
    const b = newClient();
    const { SSEClientTransport } = await import("@modelcontextprotocol/sdk/client/sse.js");
    await b.connect(new SSEClientTransport(new URL(h.sseUrl)));
    // A request that is still running while the server closes.
    const running = a
      .callTool({ name: "long_running_analysis", arguments: { steps: 50, step_ms: 1000 } })
      .catch((e) => e);
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await h.close();
    expect(Date.now() - started).toBeLessThan(2500);
    await h.close(); // idempotent
    await expect(fetch(h.url, { method: "POST" })).rejects.toThrow();
    // The SDK client only fails a request whose stream was cut once the client itself closes.
    await a.close();
    await b.close();
    expect(await running).toBeInstanceOf(Error);
  });

  it("close() also ends running 2026-07-28 calls", async () => {
    const h = await startDemoMcpServer();
    const modern = await connectEra("modern", h.url);
    const running = modern.callTool("wait", { ms: 60_000 }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await h.close();
    expect(Date.now() - started).toBeLessThan(2500);
    expect(await running).toBeInstanceOf(Error);
    await modern.close();
  });

  it("supports the IPv6 loopback and refuses OAuth there with a clear error", async () => {
    let h: DemoMcpHandle;
    try {
      h = await startDemoMcpServer({ host: "::1" });
    } catch (error) {
      expect(String(error)).toMatch(/EADDRNOTAVAIL|EAFNOSUPPORT/); // no IPv6 on this machine
      return;
    }
    expect(h.url).toMatch(/^http:\/\/\[::1\]:\d+\/mcp$/);
    const c = await connectStreamable(h.url);
    expect((await c.listTools()).tools.length).toBe(TOOL_NAMES.length);
    await c.close();
    await h.close();
    await expect(startDemoMcpServer({ host: "::1", oauth: true })).rejects.toThrow(
      /OAuth mode cannot use http:\/\/\[::1\]:\d+ as issuer/,
    );
  });

  it("honours host and port options", async () => {
    const probe = await startDemoMcpServer();
    const port = Number(new URL(probe.origin).port);
    await probe.close();
    const h = await startDemoMcpServer({ host: "127.0.0.1", port });
    expect(h.origin).toBe(`http://127.0.0.1:${port}`);
    await expect(startDemoMcpServer({ port })).rejects.toThrow(/EADDRINUSE/);
    await h.close();
  });
});
