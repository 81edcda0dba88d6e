import type { DbHandle } from "@mcpdeck/db";
import type { Clock } from "../clock.js";

/** Liveness plus database reachability; shared by `/api/v1/healthz`, tRPC and the root `/healthz`. */
export function createHealthCheck(deps: { dbHandle: Pick<DbHandle, "ping">; clock: Clock }) {
  return {
    async check() {
      const ok = await deps.dbHandle.ping();
      return {
        status: ok ? ("ok" as const) : ("degraded" as const),
        ts: deps.clock.now().toISOString(),
      };
    },
  };
}
export type HealthCheck = ReturnType<typeof createHealthCheck>;
