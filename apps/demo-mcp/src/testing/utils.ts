/** Shared helpers for the vitest suites (not part of the runtime). */
import { inflateSync } from "node:zlib";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport, type SSEClientTransportOptions } from "@modelcontextprotocol/sdk/client/sse.js";
import {
  StreamableHTTPClientTransport,
  type StreamableHTTPClientTransportOptions,
} from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult, ClientCapabilities } from "@modelcontextprotocol/sdk/types.js";
import { expect } from "vitest";
import { crc32, PNG_SIGNATURE } from "../png.js";

export function newClient(capabilities: ClientCapabilities = {}): Client {
  return new Client({ name: "demo-mcp-tests", version: "0.0.0" }, { capabilities });
}

export async function connectStreamable(
  url: string,
  opts?: StreamableHTTPClientTransportOptions,
): Promise<Client> {
  const client = newClient();
  await client.connect(new StreamableHTTPClientTransport(new URL(url), opts));
  return client;
}

export async function connectSse(url: string, opts?: SSEClientTransportOptions): Promise<Client> {
  const client = newClient();
  await client.connect(new SSEClientTransport(new URL(url), opts));
  return client;
}

/** The documented client pattern: try streamable HTTP first, fall back to legacy SSE when it is rejected. */
export async function connectWithFallback(
  url: string,
): Promise<{ client: Client; transport: "streamable" | "sse" }> {
  try {
    return { client: await connectStreamable(url), transport: "streamable" };
  } catch {
    return { client: await connectSse(url), transport: "sse" };
  }
}

export function textOf(result: CallToolResult): string {
  return result.content
    .filter((c): c is Extract<typeof c, { type: "text" }> => c.type === "text")
    .map((c) => c.text)
    .join("\n");
}

/** Cast helper: `client.callTool` returns a loosely typed union. */
export function asToolResult(result: unknown): CallToolResult {
  return result as CallToolResult;
}

/** Minimal JSON-RPC initialize body for raw fetch tests. */
export const INITIALIZE_BODY = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "0" } },
};

export const MCP_POST_HEADERS = {
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
};

export async function waitFor(predicate: () => boolean, timeoutMs = 3000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Structural validation of a classic (non-stream xref) PDF. */
export function validatePdf(pdf: Buffer): { objects: number; pages: number; text: string } {
  const text = pdf.toString("latin1");
  expect(text.startsWith("%PDF-1.4\n")).toBe(true);
  expect(text.endsWith("%%EOF")).toBe(true);
  const startxref = /startxref\n(\d+)\n%%EOF$/.exec(text);
  expect(startxref).not.toBeNull();
  const xrefOffset = Number(startxref?.[1]);
  expect(text.slice(xrefOffset, xrefOffset + 5)).toBe("xref\n");
  const header = /^xref\n0 (\d+)\n/.exec(text.slice(xrefOffset));
  expect(header).not.toBeNull();
  const size = Number(header?.[1]);
  const entriesStart = xrefOffset + (header?.[0].length ?? 0);
  for (let n = 0; n < size; n++) {
    const entry = text.slice(entriesStart + n * 20, entriesStart + (n + 1) * 20);
    expect(entry).toMatch(/^\d{10} \d{5} [fn] \n$/);
    if (n === 0) {
      expect(entry).toBe("0000000000 65535 f \n");
      continue;
    }
    const offset = Number(entry.slice(0, 10));
    expect(text.slice(offset, offset + `${n} 0 obj`.length)).toBe(`${n} 0 obj`);
  }
  expect(text).toMatch(new RegExp(`trailer\\n<< /Size ${size} /Root 1 0 R`));
  // Every stream's /Length matches the bytes between "stream\n" and "endstream".
  for (const m of text.matchAll(/<< \/Length (\d+) >>\nstream\n/g)) {
    const start = (m.index ?? 0) + m[0].length;
    expect(text.slice(start + Number(m[1]), start + Number(m[1]) + 9)).toBe("endstream");
  }
  const pages = Number(/\/Type \/Pages \/Kids \[[^\]]*\] \/Count (\d+)/.exec(text)?.[1]);
  return { objects: size - 1, pages, text };
}

interface Chunk {
  type: string;
  data: Buffer;
}

/** Parses and validates PNG chunks (lengths + CRCs); returns the decoded IHDR and raw scanlines. */
export function decodePng(png: Buffer): { width: number; height: number; raw: Buffer; chunks: Chunk[] } {
  expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  const chunks: Chunk[] = [];
  let offset = 8;
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString("ascii", offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    const crc = png.readUInt32BE(offset + 8 + length);
    expect(crc).toBe(crc32(png.subarray(offset + 4, offset + 8 + length)));
    chunks.push({ type, data });
    offset += 12 + length;
  }
  expect(offset).toBe(png.length);
  expect(chunks[0]?.type).toBe("IHDR");
  expect(chunks[chunks.length - 1]?.type).toBe("IEND");
  const ihdr = chunks[0]?.data as Buffer;
  const width = ihdr.readUInt32BE(0);
  const height = ihdr.readUInt32BE(4);
  expect([...ihdr.subarray(8)]).toEqual([8, 2, 0, 0, 0]);
  const raw = inflateSync(Buffer.concat(chunks.filter((c) => c.type === "IDAT").map((c) => c.data)));
  expect(raw.length).toBe(height * (width * 3 + 1));
  return { width, height, raw, chunks };
}
