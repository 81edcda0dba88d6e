import { ProfileUpdateInput, User } from "@mcpdeck/contracts";
import { z } from "zod";
import { protectedProcedure } from "../trpc.js";

export const userRouter = {
  profile: protectedProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/user/profile",
        tags: ["user"],
        summary: "The signed-in user",
      },
    })
    .input(z.void())
    .output(User)
    .query(({ ctx }) => ctx.user),

  updateProfile: protectedProcedure
    .meta({
      openapi: {
        method: "PUT",
        path: "/user/profile",
        tags: ["user"],
        summary: "Change the username",
      },
    })
    .input(ProfileUpdateInput)
    .output(User)
    .mutation(({ ctx, input }) => ctx.services.users.updateProfile(ctx.user, input)),
};
