import { HealthOutput, OutboxInput, OutboxOutput } from "@mcpdeck/contracts";
import { z } from "zod";
import { AppError } from "../errors.js";
import type { AppServices } from "../services.js";
import { publicProcedure } from "../trpc.js";

/** Liveness plus database reachability; shared by `/api/v1/healthz`, tRPC and the root `/healthz`. */
export async function checkHealth(services: AppServices) {
  const ok = await services.dbHandle.ping();
  return { status: ok ? ("ok" as const) : ("degraded" as const), ts: services.clock.now().toISOString() };
}

export const healthRouter = {
  healthz: publicProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/healthz",
        tags: ["health"],
        summary: "Liveness and database reachability",
      },
    })
    .input(z.void())
    .output(HealthOutput)
    .query(async ({ ctx }) => {
      const health = await checkHealth(ctx.services);
      if (health.status !== "ok") ctx.response.status = 503;
      return health;
    }),
};

export const devRouter = {
  /** Development outbox: the mail the dev mailer would have sent. Does not exist in production. */
  outbox: publicProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/dev/outbox",
        tags: ["development"],
        summary: "Development mail (not in production)",
      },
    })
    .input(OutboxInput)
    .output(OutboxOutput)
    .query(({ ctx, input }) => {
      const outbox = ctx.services.mailer.outbox;
      if (ctx.services.config.production || !outbox || !ctx.services.config.mail.devOutbox) {
        throw new AppError("NOT_FOUND", "Not found.");
      }
      const messages = outbox.list(input.email?.toLowerCase()).map(({ html: _html, ...m }) => m);
      return { messages };
    }),
};
