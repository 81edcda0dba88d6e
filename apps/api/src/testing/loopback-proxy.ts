import { createServer, type IncomingMessage, request } from "node:http";
import { type AddressInfo, connect, type Socket } from "node:net";
import type { Duplex } from "node:stream";

export interface LoopbackProxy {
  url: string;
  /** The backend each WebSocket upgrade went to, in order. */
  upgrades: { path: string; backend: string }[];
  close(): Promise<void>;
}

/**
 * A small reverse proxy on loopback in front of several API processes, as a load balancer runs one:
 * round-robin, requests and WebSocket upgrades alike, and a backend that refuses the connection (a
 * stopping process has closed its listening socket) is skipped for the next one. Each upgrade gets
 * a connection of its own, so a reconnecting client never rides an old one back to a stopped process.
 */
export async function startLoopbackProxy(backends: string[]): Promise<LoopbackProxy> {
  const targets = backends.map((b) => new URL(b));
  const upgrades: LoopbackProxy["upgrades"] = [];
  const sockets = new Set<Duplex>();
  let next = 0;
  const order = () => {
    const start = next++ % targets.length;
    return targets.map((_, i) => targets[(start + i) % targets.length]!);
  };

  const server = createServer((req, res) => {
    const body: Buffer[] = [];
    req.on("data", (chunk: Buffer) => body.push(chunk));
    req.on("end", () => {
      const attempt = (candidates: URL[]) => {
        const [target, ...rest] = candidates;
        if (!target) {
          res.writeHead(502, { "content-type": "text/plain" }).end("no backend answered");
          return;
        }
        const upstream = request(
          {
            host: target.hostname,
            port: target.port,
            method: req.method,
            path: req.url,
            headers: req.headers,
          },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        upstream.on("error", (error: NodeJS.ErrnoException) => {
          if (error.code === "ECONNREFUSED" && !res.headersSent) attempt(rest);
          else res.destroy();
        });
        upstream.end(Buffer.concat(body));
      };
      attempt(order());
    });
  });

  server.on("upgrade", (req: IncomingMessage, client: Duplex, head: Buffer) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    const attempt = (candidates: URL[]) => {
      const [target, ...rest] = candidates;
      if (!target) {
        client.end("HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\n\r\n");
        return;
      }
      const upstream: Socket = connect({ host: target.hostname, port: Number(target.port) });
      upstream.once("error", (error: NodeJS.ErrnoException) => {
        if (error.code === "ECONNREFUSED") attempt(rest);
        else client.destroy();
      });
      upstream.once("connect", () => {
        upgrades.push({ path: req.url ?? "/", backend: target.origin });
        const lines = [`${req.method} ${req.url} HTTP/1.1`];
        for (let i = 0; i < req.rawHeaders.length; i += 2)
          lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
        upstream.write(`${lines.join("\r\n")}\r\n\r\n`);
        if (head.length > 0) upstream.write(head);
        upstream.pipe(client).pipe(upstream);
        upstream.on("error", () => client.destroy());
        client.on("error", () => upstream.destroy());
        upstream.on("close", () => client.destroy());
        client.on("close", () => upstream.destroy());
      });
    };
    attempt(order());
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    upgrades,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
