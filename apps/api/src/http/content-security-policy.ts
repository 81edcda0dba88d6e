/**
 * The Content-Security-Policy of the web client's HTML: its own scripts, styles and API only — no
 * inline script, no plugins, no <base> rewriting, never framed. WebSockets to the API's own origin
 * are named too, since older browsers do not count ws:/wss: as 'self'.
 */
export function webContentSecurityPolicy(publicUrl: string): string {
  const origin = new URL(publicUrl);
  const socketOrigin = `${origin.protocol === "https:" ? "wss:" : "ws:"}//${origin.host}`;
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    `connect-src 'self' ${socketOrigin}`,
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
  ].join("; ");
}
