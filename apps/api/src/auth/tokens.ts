import type { KeyObject } from "node:crypto";
import { errors as joseErrors, jwtVerify, SignJWT } from "jose";
import type { Clock } from "../clock.js";
import { AppError } from "../errors.js";

import { ACCESS_TTL_SEC, REFRESH_TTL_SEC } from "./token-lifetimes.js";

export { ACCESS_TTL_SEC, REFRESH_TTL_SEC };

const ALG = "EdDSA";
const ACCESS_TYP = "at+jwt";
const REFRESH_TYP = "rt+jwt";
const ACCESS_AUDIENCE = "mcpdeck:api";
const REFRESH_AUDIENCE = "mcpdeck:refresh";

export const accessTokenExpired = () =>
  new AppError("TOKEN_EXPIRED", "The access token has expired: refresh it.");

export interface TokenClaims {
  userId: string;
  sessionId: string;
  tokenId: string;
  expiresAt: Date;
}

/** Signs and verifies mcpdeck's EdDSA JWTs; the algorithm, issuer, audience and type are pinned. */
export function createTokenSigner(opts: {
  privateKey: KeyObject;
  publicKey: KeyObject;
  issuer: string;
  clock: Clock;
}) {
  const { privateKey, publicKey, issuer, clock } = opts;

  /**
   * Signs a token issued at `issuedAt` (now by default). EdDSA signatures are deterministic, so the
   * same claims signed again give the same token string.
   */
  async function sign(
    kind: "access" | "refresh",
    userId: string,
    sessionId: string,
    tokenId: string,
    issuedAt: Date = clock.now(),
  ) {
    const iat = Math.floor(issuedAt.getTime() / 1000);
    const exp = iat + (kind === "access" ? ACCESS_TTL_SEC : REFRESH_TTL_SEC);
    const token = await new SignJWT({ sid: sessionId })
      .setProtectedHeader({ alg: ALG, typ: kind === "access" ? ACCESS_TYP : REFRESH_TYP })
      .setIssuer(issuer)
      .setAudience(kind === "access" ? ACCESS_AUDIENCE : REFRESH_AUDIENCE)
      .setSubject(userId)
      .setJti(tokenId)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(privateKey);
    return { token, expiresAt: new Date(exp * 1000) };
  }

  async function verify(kind: "access" | "refresh", token: string): Promise<TokenClaims> {
    try {
      const { payload } = await jwtVerify(token, publicKey, {
        algorithms: [ALG],
        issuer,
        audience: kind === "access" ? ACCESS_AUDIENCE : REFRESH_AUDIENCE,
        typ: kind === "access" ? ACCESS_TYP : REFRESH_TYP,
        requiredClaims: ["exp", "iat", "sub", "jti", "sid"],
        currentDate: clock.now(),
      });
      if (typeof payload.sid !== "string") throw new Error("sid claim must be a string");
      return {
        userId: payload.sub!,
        sessionId: payload.sid,
        tokenId: payload.jti!,
        expiresAt: new Date(payload.exp! * 1000),
      };
    } catch (error) {
      const label = kind === "access" ? "access token" : "refresh token";
      if (error instanceof joseErrors.JWTExpired) {
        if (kind === "access") throw accessTokenExpired();
        throw new AppError("TOKEN_EXPIRED", "The refresh token has expired: sign in again.");
      }
      throw new AppError("TOKEN_INVALID", `The ${label} is not valid. Sign in again.`);
    }
  }

  return { sign, verify };
}

export type TokenSigner = ReturnType<typeof createTokenSigner>;
