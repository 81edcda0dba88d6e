/**
 * When an access token expires, read from its `exp` claim. The client only schedules its refresh by
 * it: the signature is the API's business, and a token it cannot read is treated as expiring now.
 */
export function expiryOf(token: string): number {
  try {
    const payload = token.split(".")[1] ?? "";
    const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    return typeof exp === "number" ? exp * 1000 : 0;
  } catch {
    return 0;
  }
}
