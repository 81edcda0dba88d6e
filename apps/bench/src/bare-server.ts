/**
 * The baseline: `GET /api/v1/user/profile` as a bare node:http handler doing only what the request
 * cannot do without — verify the access token exactly as mcpdeck does (jose, same key, same pinned
 * options) and load the session+user row with the same query, driver and database.
 */
import type { KeyObject } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { authSessions, type Database, users } from "@mcpdeck/db";
import { and, eq, isNull } from "drizzle-orm";
import { jwtVerify } from "jose";

/** mcpdeck's access-token rules (apps/api/src/auth/tokens.ts). */
const ACCESS = {
  algorithms: ["EdDSA"],
  audience: "mcpdeck:api",
  typ: "at+jwt",
  requiredClaims: ["exp", "iat", "sub", "jti", "sid"],
};

export async function startBareServer(opts: {
  db: Database;
  publicKey: KeyObject;
  issuer: string;
}): Promise<{ url: string; server: Server }> {
  const { db, publicKey, issuer } = opts;
  const server = createServer(async (req, res) => {
    const send = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, {
        "content-type": "application/json; charset=utf-8",
        "content-length": Buffer.byteLength(text),
      });
      res.end(text);
    };
    if (req.method !== "GET" || req.url !== "/api/v1/user/profile")
      return send(404, { code: "NOT_FOUND", message: "Not found." });
    const header = req.headers.authorization;
    const token = header?.startsWith("Bearer ") ? header.slice(7).trim() : undefined;
    if (!token) return send(401, { code: "UNAUTHENTICATED", message: "Sign in first." });
    let sub: string;
    let sid: string;
    try {
      const { payload } = await jwtVerify(token, publicKey, { ...ACCESS, issuer, currentDate: new Date() });
      if (typeof payload.sid !== "string") throw new Error("sid");
      sub = payload.sub!;
      sid = payload.sid;
    } catch {
      return send(401, { code: "TOKEN_INVALID", message: "The access token is not valid." });
    }
    try {
      const [row] = await db
        .select({ user: users })
        .from(authSessions)
        .innerJoin(users, eq(users.id, authSessions.userId))
        .where(and(eq(authSessions.id, sid), eq(authSessions.userId, sub), isNull(authSessions.revokedAt)));
      if (!row) return send(401, { code: "SESSION_REVOKED", message: "This sign-in has ended." });
      const { user } = row;
      return send(200, {
        id: user.id,
        username: user.username,
        email: user.email,
        created_at: user.createdAt.toISOString(),
        updated_at: user.updatedAt.toISOString(),
      });
    } catch {
      return send(500, { code: "INTERNAL", message: "Something went wrong." });
    }
  });
  server.keepAliveTimeout = 72_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}
