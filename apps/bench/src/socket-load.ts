/**
 * Idle session sockets, held by a child process of the sessions bench so the API's memory is
 * measured without the clients in it. Driven over IPC:
 *   { type: "open", urls }     → opens one socket per URL, answers { type: "opened", count }
 *   { type: "expect", marker } → answers { type: "delivered", latenciesMs } once every socket got
 *                                the chat message whose text starts with `marker` (its text ends
 *                                with the wall time it was written, in ms)
 */
import WebSocket from "ws";

const sockets: WebSocket[] = [];
let waiting: { marker: string; latencies: number[]; seen: Set<WebSocket> } | undefined;

function onMessage(ws: WebSocket, data: WebSocket.RawData) {
  if (!waiting) return;
  const message = JSON.parse(String(data)) as { type: string; payload: { text?: string } };
  const text = message.payload.text;
  if (message.type !== "chat_message" || !text?.startsWith(waiting.marker) || waiting.seen.has(ws)) return;
  waiting.seen.add(ws);
  waiting.latencies.push(Date.now() - Number(text.slice(text.lastIndexOf(" ") + 1)));
  if (waiting.seen.size === sockets.length) {
    process.send?.({ type: "delivered", latenciesMs: waiting.latencies });
    waiting = undefined;
  }
}

async function open(urls: string[]) {
  // A few at a time: a thousand handshakes at once would measure the accept queue, not idling.
  for (let i = 0; i < urls.length; i += 50) {
    await Promise.all(
      urls.slice(i, i + 50).map(
        (url) =>
          new Promise<void>((resolve, reject) => {
            const ws = new WebSocket(url);
            ws.on("message", (data) => onMessage(ws, data));
            ws.once("open", () => {
              sockets.push(ws);
              resolve();
            });
            ws.once("error", reject);
          }),
      ),
    );
  }
  process.send?.({ type: "opened", count: sockets.length });
}

process.on("message", (message: { type: string; urls?: string[]; marker?: string }) => {
  if (message.type === "open")
    void open(message.urls ?? []).catch((e) => process.send?.({ type: "error", message: String(e) }));
  if (message.type === "expect") waiting = { marker: message.marker!, latencies: [], seen: new Set() };
});
process.on("disconnect", () => process.exit(0));
process.send?.({ type: "ready" });
