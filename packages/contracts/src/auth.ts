import { z } from "zod";
import { Id, Timestamp } from "./common.js";

export const Email = z
  .string()
  .trim()
  .max(254)
  .pipe(z.email({ message: "Enter a valid email address, like name@example.com" }))
  .transform((e) => e.toLowerCase());

export const USERNAME_PATTERN = /^[a-z0-9_-]{3,32}$/;
export const Username = z
  .string()
  .regex(USERNAME_PATTERN, "Username must be 3–32 characters of a–z, 0–9, _ or -");

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
  device_fingerprint: z.string().max(256).optional(),
});
export const TokenPair = z.object({ access_token: z.string(), refresh_token: z.string() });
export const OtpVerifyOutput = TokenPair.extend({
  is_new_user: z.boolean(),
  user: User,
});

export const RefreshInput = z.strictObject({ refresh_token: z.string().min(1).max(4096) });
export const RefreshOutput = TokenPair;
export const LogoutInput = RefreshInput;

export const ProfileUpdateInput = z.strictObject({ username: Username.optional() });

export const HealthOutput = z.object({ status: z.enum(["ok", "degraded"]), ts: Timestamp });

/** A development-outbox message (only exists outside production). */
export const OutboxMessage = z.object({
  id: z.string(),
  to: z.string(),
  subject: z.string(),
  text: z.string(),
  code: z.string().optional(),
  created_at: Timestamp,
});
export const OutboxOutput = z.object({ messages: z.array(OutboxMessage) });
