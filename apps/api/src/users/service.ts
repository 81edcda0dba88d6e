import type { User } from "@mcpdeck/contracts";
import { type Database, isUniqueViolation, users } from "@mcpdeck/db";
import { eq } from "drizzle-orm";
import { toUser } from "../auth/service.js";
import type { Clock } from "../clock.js";
import { AppError } from "../errors.js";

export function createUserService({ db, clock }: { db: Database; clock: Clock }) {
  async function updateProfile(user: User, input: { username?: string | undefined }): Promise<User> {
    if (input.username === undefined || input.username === user.username) return user;
    try {
      const [updated] = await db
        .update(users)
        .set({ username: input.username, updatedAt: clock.now() })
        .where(eq(users.id, user.id))
        .returning();
      return toUser(updated!);
    } catch (error) {
      if (isUniqueViolation(error, "users_username_lower_key")) {
        throw new AppError("USERNAME_TAKEN", `The username "${input.username}" is taken. Choose another.`, {
          issues: [{ path: "username", message: "already taken" }],
        });
      }
      throw error;
    }
  }
  return { updateProfile };
}
export type UserService = ReturnType<typeof createUserService>;
