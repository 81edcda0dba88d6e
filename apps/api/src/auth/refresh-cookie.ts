import type { ProcedureContext } from "../context.js";
import { AppError } from "../errors.js";
import { REFRESH_TTL_SEC } from "./token-lifetimes.js";

/**
 * The refresh token as an httpOnly cookie, beside the spec's JSON bodies: the web client keeps its
 * access token in memory only, and after a reload signs back in with this cookie, which its scripts
 * can never read. `SameSite=Strict` keeps other sites' forms and scripts from sending it, and its
 * path is the sign-in routes only, so no other request carries it.
 */
export const REFRESH_COOKIE = "mcpdeck_refresh";
export const REFRESH_COOKIE_PATH = "/api/v1/auth";

type CookieContext = Pick<ProcedureContext, "cookies" | "secureCookies" | "response">;

function cookieHeader(ctx: CookieContext, value: string, maxAgeSec: number): string {
  return [
    `${REFRESH_COOKIE}=${value}`,
    `Path=${REFRESH_COOKIE_PATH}`,
    `Max-Age=${maxAgeSec}`,
    "HttpOnly",
    "SameSite=Strict",
    ...(ctx.secureCookies ? ["Secure"] : []),
  ].join("; ");
}

/** Sets the cookie to a freshly issued refresh token (its lifetime is the token's). */
export function setRefreshCookie(ctx: CookieContext, refreshToken: string) {
  ctx.response.headers["set-cookie"] = cookieHeader(ctx, refreshToken, REFRESH_TTL_SEC);
}

/** Tells the browser to forget the cookie (signed out, or it holds a token that no longer works). */
export function clearRefreshCookie(ctx: CookieContext) {
  ctx.response.headers["set-cookie"] = cookieHeader(ctx, "", 0);
}

/**
 * The refresh token of a call: the body's (the spec's way) or else the cookie's. `fromCookie` says
 * which, so a failure clears the cookie only when the cookie was the one that failed.
 */
export function refreshTokenOf(
  ctx: CookieContext,
  bodyToken: string | undefined,
): { token: string; fromCookie: boolean } {
  if (bodyToken) return { token: bodyToken, fromCookie: false };
  const cookie = ctx.cookies[REFRESH_COOKIE];
  if (cookie) return { token: cookie, fromCookie: true };
  throw new AppError("VALIDATION_FAILED", "Send the refresh token, or sign in again.", {
    issues: [
      {
        path: "refresh_token",
        message: `required: in the body, or as the ${REFRESH_COOKIE} cookie that signing in sets`,
      },
    ],
  });
}
