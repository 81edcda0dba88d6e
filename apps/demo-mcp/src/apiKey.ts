import { timingSafeEqual } from "node:crypto";
import type { Request } from "express";

/** Extracts a presented API key: "Authorization: Bearer <key>" or "X-API-Key: <key>". */
export function presentedApiKeys(req: Request): string[] {
  const keys: string[] = [];
  const header = req.headers["x-api-key"];
  if (typeof header === "string" && header.trim()) keys.push(header.trim());
  const authorization = req.headers.authorization;
  if (authorization) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match?.[1]) keys.push(match[1]);
  }
  return keys;
}

/** Constant-time comparison of a presented key with the expected one. */
export function apiKeyMatches(presented: string, expected: string): boolean {
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
