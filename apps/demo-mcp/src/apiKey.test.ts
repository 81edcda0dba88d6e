import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DemoMcpHandle, startDemoMcpServer, TOOL_NAMES } from "./index.js";
import { connectEra, MODERN_PROTOCOL_VERSION } from "./testing/eraClients.js";
import { connectSse, connectStreamable, INITIALIZE_BODY, MCP_POST_HEADERS } from "./testing/utils.js";

const KEY = "demo-key-123";
let handle: DemoMcpHandle;

beforeAll(async () => {
  handle = await startDemoMcpServer({ apiKey: KEY });
});
afterAll(async () => {
  await handle?.close();
});

const postInitialize = (headers: Record<string, string> = {}) =>
  fetch(handle.url, {
    method: "POST",
    headers: { ...MCP_POST_HEADERS, ...headers },
    body: JSON.stringify(INITIALIZE_BODY),
  });

describe("API key mode", () => {
  it("rejects requests without a key with a 401 JSON-RPC error", async () => {
    const res = await postInitialize();
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer realm="mcpdeck-demo"/);
    expect(await res.json()).toEqual({
      jsonrpc: "2.0",
      error: {
        code: -32001,
        message: "Unauthorized: API key required (send 'Authorization: Bearer <key>' or 'X-API-Key: <key>')",
      },
      id: null,
    });
  });

  it("rejects a wrong key", async () => {
    const wrongKeys: Record<string, string>[] = [
      { authorization: "Bearer nope" },
      { "x-api-key": "demo-key-12" },
    ];
    for (const headers of wrongKeys) {
      const res = await postInitialize(headers);
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: { message: "Unauthorized: invalid API key" } });
    }
    await expect(
      connectStreamable(handle.url, { requestInit: { headers: { "X-API-Key": "wrong" } } }),
    ).rejects.toThrow();
  });

  it("accepts the key as a Bearer token", async () => {
    const client = await connectStreamable(handle.url, {
      requestInit: { headers: { Authorization: `Bearer ${KEY}` } },
    });
    expect((await client.listTools()).tools.length).toBe(TOOL_NAMES.length);
    await client.close();
  });

  it("accepts the key in X-API-Key", async () => {
    const client = await connectStreamable(handle.url, { requestInit: { headers: { "X-API-Key": KEY } } });
    expect((await client.listTools()).tools.length).toBe(TOOL_NAMES.length);
    await client.close();
  });

  it("protects the 2026-07-28 era the same way", async () => {
    await expect(connectEra("modern", handle.url)).rejects.toThrow();
    await expect(connectEra("modern", handle.url, { headers: { "X-API-Key": "wrong" } })).rejects.toThrow();
    const client = await connectEra("modern", handle.url, { headers: { "X-API-Key": KEY } });
    expect(client.protocolVersion).toBe(MODERN_PROTOCOL_VERSION);
    expect(await client.listTools()).toHaveLength(TOOL_NAMES.length);
    await client.close();
  });

  it("protects the legacy SSE endpoints too", async () => {
    const res = await fetch(handle.sseUrl, { headers: { accept: "text/event-stream" } });
    expect(res.status).toBe(401);
    const messages = await fetch(`${handle.origin}/messages?sessionId=x`, {
      method: "POST",
      headers: MCP_POST_HEADERS,
      body: "{}",
    });
    expect(messages.status).toBe(401);
    const client = await connectSse(handle.sseUrl, { requestInit: { headers: { "X-API-Key": KEY } } });
    expect((await client.listTools()).tools.length).toBe(TOOL_NAMES.length);
    await client.close();
  });

  it("rejects an empty key option", async () => {
    await expect(startDemoMcpServer({ apiKey: " " })).rejects.toThrow(/apiKey/);
  });
});
