import { z } from "zod";
import { Timestamp } from "./common.js";

export const HealthOutput = z.object({ status: z.enum(["ok", "degraded"]), ts: Timestamp });
