import type { ServerMessage } from "@mcpdeck/contracts";
import WebSocket from "ws";

export interface SessionClient {
  ws: WebSocket;
  messages: ServerMessage[];
  send(type: string, payload: unknown): void;
  sendRaw(data: string | Buffer): void;
  /** Resolves with the first message (already received or to come) matching `match`. */
  waitFor<T extends ServerMessage["type"]>(
    type: T,
    match?: (m: Extract<ServerMessage, { type: T }>) => boolean,
    timeoutMs?: number,
  ): Promise<Extract<ServerMessage, { type: T }>>;
  /** Messages of one type, in order. */
  of<T extends ServerMessage["type"]>(type: T): Extract<ServerMessage, { type: T }>[];
  /** The statuses a node went through (progress-only updates left out). */
  statuses(nodeId: string): string[];
  lastEventId(): number;
  closed: Promise<{ code: number; reason: string }>;
  close(): Promise<void>;
}

/**
 * A real WebSocket client of the spec's session socket, as tests and benchmarks use it: it keeps
 * every message, and waits for the ones a test expects.
 */
export function openSessionSocket(
  baseUrl: string,
  serverId: string,
  opts: {
    token?: string;
    query?: Record<string, string>;
    headers?: Record<string, string>;
    path?: string;
    /** Answer the server's pings (default true); false plays a client whose connection went dead. */
    autoPong?: boolean;
  } = {},
): Promise<SessionClient> {
  const url = new URL(`${baseUrl.replace(/^http/, "ws")}${opts.path ?? "/api/v1/ws/server"}/${serverId}`);
  for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, v);
  const ws = new WebSocket(url, {
    headers: { ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}), ...opts.headers },
    autoPong: opts.autoPong ?? true,
  });
  const messages: ServerMessage[] = [];
  const waiters = new Set<() => void>();
  ws.on("message", (data) => {
    messages.push(JSON.parse(data.toString()) as ServerMessage);
    for (const w of [...waiters]) w();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  const client: SessionClient = {
    ws,
    messages,
    send: (type, payload) => ws.send(JSON.stringify({ type, payload })),
    sendRaw: (data) => ws.send(data),
    waitFor(type, match = () => true, timeoutMs = 20_000) {
      type M = Extract<ServerMessage, { type: typeof type }>;
      const find = () => messages.find((m): m is M => m.type === type && match(m as M));
      return new Promise((resolve, reject) => {
        const hit = find();
        if (hit) return resolve(hit);
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `no ${type} message in ${timeoutMs} ms; got: ${messages.map((m) => m.type).join(", ")}`,
            ),
          );
        }, timeoutMs);
        const check = () => {
          const m = find();
          if (!m) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(m);
        };
        waiters.add(check);
      });
    },
    of(type) {
      return messages.filter((m) => m.type === type) as never;
    },
    statuses(nodeId) {
      return messages.flatMap((m) =>
        m.type === "task_update" && m.payload.node_id === nodeId && !m.payload.progress
          ? [m.payload.status]
          : [],
      );
    },
    lastEventId() {
      return messages.reduce(
        (max, m) => (m.type === "connection_status" || m.type === "error" ? max : Math.max(max, m.id)),
        0,
      );
    },
    closed,
    async close() {
      if (ws.readyState === ws.CLOSED) return;
      ws.close();
      await closed;
    },
  };
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve(client));
    ws.once("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d));
      res.on("end", () =>
        reject(
          Object.assign(new Error(`upgrade refused: ${res.statusCode}`), {
            status: res.statusCode,
            headers: res.headers,
            body,
          }),
        ),
      );
    });
    ws.once("error", reject);
  });
}

/** Waits until a node's last status is one it cannot leave. */
export async function settled(client: SessionClient, nodeId: string, timeoutMs = 20_000): Promise<string> {
  const update = await client.waitFor(
    "task_update",
    (m) =>
      m.payload.node_id === nodeId &&
      ["succeeded", "failed", "rejected", "skipped", "cancelled"].includes(m.payload.status),
    timeoutMs,
  );
  return update.payload.status;
}
