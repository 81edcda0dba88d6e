import { ProfileUpdateInput, USERNAME_PATTERN, User } from "@mcpdeck/contracts";
import { z } from "zod";
import { protectedProcedure } from "../trpc.js";

/**
 * Usernames are stored lower-case and unique ignoring case, so "Alice" is accepted as "alice" (and
 * is taken when someone already has "alice") rather than refused for its capitals.
 */
const ProfileUpdate = ProfileUpdateInput.extend({
  username: z
    .string()
    .trim()
    .toLowerCase()
    .regex(USERNAME_PATTERN, "Username must be 3–32 characters of a–z, 0–9, _ or -")
    .describe("3–32 characters of a–z, 0–9, _ or -; capitals are stored lower-case")
    .optional(),
});

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
    .input(ProfileUpdate)
    .output(User)
    .mutation(({ ctx, input }) => ctx.services.users.updateProfile(ctx.user, input)),
};
