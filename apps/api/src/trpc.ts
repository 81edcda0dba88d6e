import type { User } from "@mcpdeck/contracts";
import { type AnyTRPCProcedure, initTRPC } from "@trpc/server";
import { ZodError } from "zod";
import type { ProcedureContext } from "./context.js";
import { AppError, resolveAppError, shapeError, toTRPCError } from "./errors.js";
import { enforceRateLimit, rateLimitBucketOf } from "./policy/rate-limit.js";

/**
 * Procedure metadata: the REST route a procedure is published at, read by the facade and the
 * OpenAPI document. It restates the part of trpc-to-openapi's `OpenApiMeta` we use, so that the
 * router's type — which every client reads — does not pull in that package's types (Fastify, ajv,
 * Node); openapi.ts fails to compile if the two drift apart.
 */
export interface ProcedureMeta {
  [key: string]: unknown;
  openapi?: {
    method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
    path: `/${string}`;
    summary?: string;
    description?: string;
    tags?: string[];
    successDescription?: string;
    /** Set by openapi.ts from the procedure's own auth middleware; never by hand. */
    protect?: boolean;
    enabled?: boolean;
  };
}

const t = initTRPC
  .context<ProcedureContext>()
  .meta<ProcedureMeta>()
  .create({
    errorFormatter({ shape, error }) {
      const { body } = shapeError(error);
      // tRPC puts the stack in `data.stack` outside production: never send it.
      const { stack: _stack, ...data } = shape.data;
      return { ...shape, message: body.message, data: { ...data, error: body } };
    },
  });

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Re-throws AppErrors as tRPC errors with the matching code (the formatter keeps our code). */
const appErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && (result.error.cause instanceof AppError || result.error.cause instanceof ZodError)) {
    const wrapped = toTRPCError(resolveAppError(result.error.cause));
    return { ...result, error: wrapped };
  }
  return result;
});

/** Every call of every transport counts here, once, before its input is read. */
const rateLimited = t.middleware(async ({ ctx, path, next }) => {
  const bucket = rateLimitBucketOf(path);
  if (bucket) await enforceRateLimit(ctx, bucket);
  return next();
});

export const publicProcedure = t.procedure.use(appErrors).use(rateLimited);

const requireUser = t.middleware(async ({ ctx, next }) => {
  if (ctx.signedIn) {
    ctx.services.auth.assertUnexpired(ctx.signedIn);
    const { user, sessionId } = ctx.signedIn;
    return next({ ctx: { ...ctx, user, sessionId } as ProcedureContext & { user: User; sessionId: string } });
  }
  const header = ctx.authorization;
  const token = header?.startsWith("Bearer ") ? header.slice(7).trim() : undefined;
  if (!token) {
    throw new AppError(
      "UNAUTHENTICATED",
      "Sign in first: send the access token as `Authorization: Bearer <token>`.",
    );
  }
  const { user, sessionId } = await ctx.services.auth.authenticate(token);
  return next({ ctx: { ...ctx, user, sessionId } as ProcedureContext & { user: User; sessionId: string } });
});

export const protectedProcedure = publicProcedure.use(requireUser);

/** Whether a procedure needs a signed-in user: the OpenAPI document marks exactly these. */
export function requiresUser(procedure: AnyTRPCProcedure): boolean {
  const middlewares = (procedure._def as { middlewares?: unknown[] }).middlewares ?? [];
  return requireUser._middlewares.every((m) => middlewares.includes(m));
}
