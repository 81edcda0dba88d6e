import { z } from "zod";
import { singleLine, Timestamp } from "./common.js";

/** The development outbox: mail the development mailer would have sent (only exists outside production). */
export const OutboxInput = z.object({ email: singleLine().max(254).optional() });

export const OutboxMessage = z.object({
  id: z.string(),
  to: z.string(),
  subject: z.string(),
  text: z.string(),
  code: z.string().optional(),
  created_at: Timestamp,
});
export const OutboxOutput = z.object({ messages: z.array(OutboxMessage) });
