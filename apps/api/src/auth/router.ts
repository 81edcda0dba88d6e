import {
  LogoutInput,
  OtpRequestInput,
  OtpRequestOutput,
  OtpVerifyInput,
  OtpVerifyOutput,
  RefreshInput,
  RefreshOutput,
  StatusOk,
} from "@mcpdeck/contracts";
import type { ProcedureContext } from "../context.js";
import { AppError } from "../errors.js";
import { publicProcedure } from "../trpc.js";
import { clearRefreshCookie, refreshTokenOf, setRefreshCookie } from "./refresh-cookie.js";

/** Runs a call on the body's or the cookie's refresh token; a cookie that failed is cleared. */
async function withRefreshToken<T>(
  ctx: ProcedureContext,
  bodyToken: string | undefined,
  call: (token: string) => Promise<T>,
): Promise<T> {
  const { token, fromCookie } = refreshTokenOf(ctx, bodyToken);
  try {
    return await call(token);
  } catch (error) {
    if (fromCookie && error instanceof AppError && error.status === 401) clearRefreshCookie(ctx);
    throw error;
  }
}

export const authRouter = {
  otpRequest: publicProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/auth/otp/request",
        tags: ["auth"],
        summary: "Email a 6-digit sign-in code",
      },
    })
    .input(OtpRequestInput)
    .output(OtpRequestOutput)
    .mutation(({ ctx, input }) => ctx.services.auth.requestOtp(input.email, ctx.clientIp)),

  otpVerify: publicProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/auth/otp/verify",
        tags: ["auth"],
        summary: "Sign in (or sign up) with the code",
      },
    })
    .input(OtpVerifyInput)
    .output(OtpVerifyOutput)
    .mutation(async ({ ctx, input }) => {
      const signedIn = await ctx.services.auth.verifyOtp({
        email: input.email,
        code: input.code,
        clientIp: ctx.clientIp,
        ...(input.device_fingerprint ? { deviceFingerprint: input.device_fingerprint } : {}),
        ...(ctx.userAgent ? { userAgent: ctx.userAgent } : {}),
      });
      setRefreshCookie(ctx, signedIn.refresh_token);
      return signedIn;
    }),

  refresh: publicProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/auth/refresh",
        tags: ["auth"],
        summary: "Rotate the refresh token",
        description:
          "The refresh token from the body, or else from the httpOnly `mcpdeck_refresh` cookie that signing in sets (which the answer rotates too). A token rotated less than 5 s ago answers the same new pair again (two tabs refreshing at once); later, a rotated token ends the whole sign-in.",
      },
    })
    .input(RefreshInput)
    .output(RefreshOutput)
    .mutation(({ ctx, input }) =>
      withRefreshToken(ctx, input.refresh_token, async (token) => {
        const pair = await ctx.services.auth.refresh(token);
        setRefreshCookie(ctx, pair.refresh_token);
        return pair;
      }),
    ),

  logout: publicProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/auth/logout",
        tags: ["auth"],
        summary: "End this sign-in",
        description:
          "The refresh token from the body, or else from the `mcpdeck_refresh` cookie, which the answer clears.",
      },
    })
    .input(LogoutInput)
    .output(StatusOk)
    .mutation(({ ctx, input }) =>
      withRefreshToken(ctx, input.refresh_token, async (token) => {
        const done = await ctx.services.auth.logout(token);
        clearRefreshCookie(ctx);
        return done;
      }),
    ),
};
