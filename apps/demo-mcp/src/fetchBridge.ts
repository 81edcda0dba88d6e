/**
 * Bridges express to the 2.x SDK's web-standard handler (`createMcpHandler().fetch`): a `Request`
 * built from the already-parsed express request, and the `Response` streamed back. The request's
 * signal aborts when the client goes away, which is how a 2026-07-28 client cancels a call.
 */
import type { Request as ExpressRequest, Response as ExpressResponse } from "express";

export function toWebRequest(req: ExpressRequest, origin: string): { request: Request; signal: AbortSignal } {
  const controller = new AbortController();
  req.res?.on("close", () => {
    if (!req.res?.writableFinished) controller.abort();
  });
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    headers.set(name, Array.isArray(value) ? value.join(", ") : value);
  }
  const hasBody = req.method !== "GET" && req.method !== "HEAD" && req.body !== undefined;
  const request = new Request(new URL(req.originalUrl, origin), {
    method: req.method,
    headers,
    ...(hasBody && { body: JSON.stringify(req.body) }),
    signal: controller.signal,
  });
  return { request, signal: controller.signal };
}

/** Writes a web `Response` to express, streaming its body (SSE) chunk by chunk. */
export async function sendWebResponse(res: ExpressResponse, response: Response): Promise<void> {
  res.status(response.status);
  response.headers.forEach((value, name) => {
    res.setHeader(name, value);
  });
  if (!response.body) {
    res.end();
    return;
  }
  res.flushHeaders();
  const reader = response.body.getReader();
  const stop = (): void => {
    void reader.cancel().catch(() => {});
  };
  res.on("close", stop);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) await new Promise<void>((resolve) => res.once("drain", resolve));
    }
  } catch {
    // The client went away mid-stream; nothing left to write to.
  } finally {
    res.off("close", stop);
    res.end();
  }
}
