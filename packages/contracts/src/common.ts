import { z } from "zod";

export const Timestamp = z.iso.datetime().describe("ISO 8601 timestamp in UTC");
export const Id = z.string().min(1).max(64).describe("Opaque identifier");
export const StatusOk = z.object({ status: z.literal("ok") });
