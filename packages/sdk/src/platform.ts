/**
 * What differs between Node and browsers: how a WebSocket is made. Node uses `ws` and sends the
 * access token as a header; a browser's WebSocket cannot send headers, so the token goes in the
 * query (`?token=`, which the session socket accepts for exactly this reason).
 */

/** The part of the WHATWG WebSocket the SDK uses; `ws` and the browser's own both have it. */
export interface SocketLike {
  addEventListener(type: "open", listener: () => void): void;
  addEventListener(type: "message", listener: (event: { data: unknown }) => void): void;
  addEventListener(type: "close", listener: (event: { code: number; reason: string }) => void): void;
  addEventListener(type: "error", listener: (event: unknown) => void): void;
  close(code?: number, reason?: string): void;
}

export interface Platform {
  /** Opens the session socket at `url` signed in with `token`. */
  openSocket(url: string, token: string): SocketLike;
  /** The WebSocket constructor tRPC's `wsLink` uses for subscriptions over `/trpc`. */
  WebSocket: typeof globalThis.WebSocket;
}
