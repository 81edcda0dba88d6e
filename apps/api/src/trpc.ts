import { initTRPC } from "@trpc/server";
import type { OpenApiMeta } from "trpc-to-openapi";
import { ZodError } from "zod";
import type { UserRow } from "./auth/service.js";
import { AppError, resolveAppError, toApiError, toTRPCError } from "./errors.js";
import type { AppServices } from "./services.js";

/** Per-request context: the shared services plus what the transport tells about the caller. */
export interface Context {
  services: AppServices;
  clientIp: string;
  userAgent?: string;
  authorization?: string;
  /** Procedures may set the HTTP status (e.g. 201) and headers of their REST/tRPC response. */
  response: { status?: number; headers: Record<string, string> };
}

const t = initTRPC
  .context<Context>()
  .meta<OpenApiMeta>()
  .create({
    errorFormatter({ shape, error }) {
      const appError = resolveAppError(error);
      return {
        ...shape,
        message: appError.message,
        data: { ...shape.data, stack: undefined, error: toApiError(appError) },
      };
    },
  });

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/**
 * Re-throws AppErrors — and input validation failures, which may be a 404 (a malformed id) — as tRPC
 * errors with the matching code (the formatter keeps our code).
 */
const appErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && (result.error.cause instanceof AppError || result.error.cause instanceof ZodError)) {
    const wrapped = toTRPCError(resolveAppError(result.error.cause));
    return { ...result, error: wrapped };
  }
  return result;
});

export const publicProcedure = t.procedure.use(appErrors);

export const protectedProcedure = publicProcedure.use(async ({ ctx, next }) => {
  const header = ctx.authorization;
  const token = header?.startsWith("Bearer ") ? header.slice(7).trim() : undefined;
  if (!token) {
    throw new AppError(
      "UNAUTHENTICATED",
      "Sign in first: send the access token as `Authorization: Bearer <token>`.",
    );
  }
  const { user, sessionId } = await ctx.services.auth.authenticate(token);
  return next({ ctx: { ...ctx, user, sessionId } as Context & { user: UserRow; sessionId: string } });
});
