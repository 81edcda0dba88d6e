import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import type { WebSocketServer } from "ws";
import { shapeError } from "../errors.js";

/** Answers an upgrade request with the shaped error, as a plain HTTP response, and closes. */
export function refuseUpgrade(socket: Duplex, error: unknown, headers: Record<string, string> = {}) {
  const shaped = shapeError(error);
  const body = JSON.stringify(shaped.body);
  const lines = [
    `HTTP/1.1 ${shaped.status} ${STATUS_CODES[shaped.status] ?? "Error"}`,
    "Content-Type: application/json; charset=utf-8",
    `Content-Length: ${Buffer.byteLength(body)}`,
    "Connection: close",
    ...Object.entries({ ...headers, ...shaped.headers }).map(([name, value]) => `${name}: ${value}`),
  ];
  socket.end(`${lines.join("\r\n")}\r\n\r\n${body}`);
}

/** How long a client told to go away may take to answer the close before its connection is cut. */
const GOING_AWAY_CUT_MS = 3_000;

/**
 * Stopping: closes every connection of `wss` with 1001 ("going away": reconnect, to another process).
 * A connection whose client does not answer the close is cut after a moment: it cannot hold the stop.
 */
export function closeGoingAway(wss: WebSocketServer) {
  for (const ws of wss.clients) ws.close(1001, "server restarting");
  setTimeout(() => {
    for (const ws of wss.clients) ws.terminate();
  }, GOING_AWAY_CUT_MS).unref();
}
