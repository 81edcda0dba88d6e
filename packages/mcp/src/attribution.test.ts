import type http from "node:http";
import { afterAll, describe, expect, it } from "vitest";
import { attributingFetch, CALL_MARK } from "./attribution.js";
import { createSsrfGuard } from "./net/ssrf.js";
import { type Peer, startHttpPeer } from "./testing/peers.js";

const guard = createSsrfGuard({ allowPrivateNetworks: true, allowedHosts: [], resolve: async () => [] });
const fetchVia = attributingFetch(guard.guardedFetch(guard.createDispatcher({ rejectUnauthorized: true })));

const peers: Peer[] = [];
afterAll(async () => {
  await Promise.all(peers.map((p) => p.close()));
});

/** A loopback peer that records request bodies and answers with `answer`. */
async function peerAnswering(contentType: string, answer: string) {
  const bodies: string[] = [];
  const peer = await startHttpPeer((req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.removeAllListeners("data");
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      bodies.push(Buffer.concat(chunks).toString("utf8"));
      // Split the answer across writes, to cut events and lines in the middle.
      res.writeHead(200, { "content-type": contentType });
      const third = Math.ceil(answer.length / 3);
      res.write(answer.slice(0, third));
      res.write(answer.slice(third, 2 * third));
      res.end(answer.slice(2 * third));
    });
  });
  peers.push(peer);
  return { peer, bodies };
}

const post = (url: string, message: unknown) =>
  fetchVia(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(message),
  });

const request = (call?: number) => ({
  jsonrpc: "2.0",
  id: 7,
  method: "tools/call",
  params: { name: "x", arguments: {}, _meta: { progressToken: 7, ...(call ? { [CALL_MARK]: call } : {}) } },
});

const log = (meta?: Record<string, unknown>) => ({
  jsonrpc: "2.0",
  method: "notifications/message",
  params: { level: "info", data: "hi", ...(meta ? { _meta: meta } : {}) },
});

const events = (...messages: unknown[]) =>
  `${messages.map((m, i) => `id: ${i}\r\ndata: ${JSON.stringify(m)}\r\n\r\n`).join("")}: keep-alive\n\n`;

function dataOf(stream: string): unknown[] {
  return stream
    .split("\n\n")
    .flatMap((event) => event.split("\n").filter((l) => l.startsWith("data: ")))
    .map((line) => JSON.parse(line.slice(6)));
}

describe("call marks across the wire", () => {
  it("never leave mcpdeck, and come back on every message of the call's answer", async () => {
    const result = { jsonrpc: "2.0", id: 7, result: { content: [] } };
    const { peer, bodies } = await peerAnswering(
      "text/event-stream",
      events(log(), log({ [CALL_MARK]: 99 }), result),
    );
    const res = await post(peer.url, request(42));
    expect(bodies[0]).not.toContain(CALL_MARK);
    expect(JSON.parse(bodies[0]!).params._meta).toEqual({ progressToken: 7 });
    const text = await res.text();
    expect(dataOf(text)).toEqual([log({ [CALL_MARK]: 42 }), log({ [CALL_MARK]: 42 }), result]);
    expect(text).toContain("id: 1\n");
    expect(text).toContain(": keep-alive");
  });

  it("a server cannot mark a message as some call's on an unmarked answer", async () => {
    const { peer } = await peerAnswering("text/event-stream", events(log({ [CALL_MARK]: 1, other: true })));
    const text = await (await post(peer.url, request())).text();
    expect(dataOf(text)).toEqual([log({ other: true })]);
  });

  it("marks the input requests of a modern-era input_required answer", async () => {
    const answer = {
      jsonrpc: "2.0",
      id: 7,
      result: {
        resultType: "input_required",
        inputRequests: { form: { method: "elicitation/create", params: { message: "?" } } },
        requestState: "s",
      },
    };
    const { peer } = await peerAnswering("application/json", JSON.stringify(answer));
    const res = await post(peer.url, request(5));
    expect(res.headers.get("content-length")).toBeNull();
    expect(await res.json()).toEqual({
      ...answer,
      result: {
        ...answer.result,
        inputRequests: {
          form: { method: "elicitation/create", params: { message: "?", _meta: { [CALL_MARK]: 5 } } },
        },
      },
    });
  });
});
