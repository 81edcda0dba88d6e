import { ProfileUpdateInput, User } from "@mcpdeck/contracts";
import { z } from "zod";
import { toUser } from "../auth/service.js";
import { protectedProcedure } from "../trpc.js";

export const userRouter = {
  profile: protectedProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/user/profile",
        tags: ["user"],
        protect: true,
        summary: "The signed-in user",
      },
    })
    .input(z.void())
    .output(User)
    .query(({ ctx }) => toUser(ctx.user)),

  updateProfile: protectedProcedure
    .meta({
      openapi: {
        method: "PUT",
        path: "/user/profile",
        tags: ["user"],
        protect: true,
        summary: "Change the username",
      },
    })
    .input(ProfileUpdateInput)
    .output(User)
    .mutation(({ ctx, input }) => ctx.services.users.updateProfile(ctx.user, input)),
};
