import { HealthOutput, OutboxInput, OutboxOutput } from "@mcpdeck/contracts";
import { z } from "zod";
import { AppError } from "../errors.js";
import { publicProcedure } from "../trpc.js";

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
      const health = await ctx.services.health.check();
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
      const outbox = ctx.services.devOutbox;
      if (!outbox) throw new AppError("NOT_FOUND", "Not found.");
      return { messages: outbox.list(input.email?.toLowerCase()) };
    }),
};
