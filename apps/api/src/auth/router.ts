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
import { publicProcedure } from "../trpc.js";

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
    .mutation(({ ctx, input }) =>
      ctx.services.auth.verifyOtp({
        email: input.email,
        code: input.code,
        clientIp: ctx.clientIp,
        ...(input.device_fingerprint ? { deviceFingerprint: input.device_fingerprint } : {}),
        ...(ctx.userAgent ? { userAgent: ctx.userAgent } : {}),
      }),
    ),

  refresh: publicProcedure
    .meta({
      openapi: { method: "POST", path: "/auth/refresh", tags: ["auth"], summary: "Rotate the refresh token" },
    })
    .input(RefreshInput)
    .output(RefreshOutput)
    .mutation(({ ctx, input }) => ctx.services.auth.refresh(input.refresh_token)),

  logout: publicProcedure
    .meta({ openapi: { method: "POST", path: "/auth/logout", tags: ["auth"], summary: "End this sign-in" } })
    .input(LogoutInput)
    .output(StatusOk)
    .mutation(({ ctx, input }) => ctx.services.auth.logout(input.refresh_token)),
};
