import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
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
