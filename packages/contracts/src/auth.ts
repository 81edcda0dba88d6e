import { z } from "zod";
import { Id, singleLine, Timestamp } from "./common.js";

/** Trimmed, then an email address (whose format leaves no room for control characters), stored lower-case. */
export const Email = z
  .string()
  .trim()
  .max(254)
  .pipe(z.email({ message: "Enter a valid email address, like name@example.com" }))
  .transform((e) => e.toLowerCase());

export const USERNAME_PATTERN = /^[a-z0-9_-]{3,32}$/;
/**
 * Usernames are stored lower-case and unique ignoring case, so "Alice" is accepted as "alice" (and is
 * taken when someone already has "alice") rather than refused for its capitals.
 */
export const Username = z
  .string()
  .trim()
  .toLowerCase()
  .regex(USERNAME_PATTERN, "Username must be 3–32 characters of a–z, 0–9, _ or -")
  .describe("3–32 characters of a–z, 0–9, _ or -; capitals are stored lower-case");

export const User = z
  .object({
    id: Id,
    username: z.string(),
    email: z.string(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({ id: "User" });
export type User = z.infer<typeof User>;

export const OtpRequestInput = z.strictObject({ email: Email });
export const OtpRequestOutput = z.object({
  status: z.literal("sent"),
  cooldown_sec: z.number().int(),
});

export const OtpVerifyInput = z.strictObject({
  email: Email,
  code: z.string().regex(/^\d{6}$/, "The code is the 6 digits from the email"),
  device_fingerprint: singleLine().max(256).optional(),
});
export const TokenPair = z.object({ access_token: z.string(), refresh_token: z.string() });
export const OtpVerifyOutput = TokenPair.extend({
  is_new_user: z.boolean(),
  user: User,
});

/**
 * `refresh_token` as the spec has it; (mcpdeck) absent, the API reads the httpOnly refresh cookie that
 * signing in set, so a browser client never holds the token in script.
 */
export const RefreshInput = z.strictObject({ refresh_token: singleLine().min(1).max(4096).optional() });
export const RefreshOutput = TokenPair;
export const LogoutInput = RefreshInput;

export const ProfileUpdateInput = z.strictObject({ username: Username.optional() });
