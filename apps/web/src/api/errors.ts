import type { ApiError } from "@mcpdeck/contracts";
import { TRPCClientError } from "@trpc/client";

export type { ApiError };

/**
 * The API's one error shape from anything a call threw: tRPC errors carry it in `data.error`, REST
 * answers are it. Anything else (the network) becomes a message a person can act on.
 */
export function apiErrorOf(error: unknown): ApiError {
  if (error instanceof TRPCClientError) {
    const shaped = (error.data as { error?: ApiError } | undefined)?.error;
    if (shaped?.code) return shaped;
    return { code: "INTERNAL", message: "Could not reach mcpdeck. Check the connection and try again." };
  }
  if (error && typeof error === "object" && "code" in error && "message" in error) {
    return error as ApiError;
  }
  return { code: "INTERNAL", message: error instanceof Error ? error.message : String(error) };
}

/** HTTP status of a failed tRPC call, when the server answered. */
export function httpStatusOf(error: unknown): number | undefined {
  if (error instanceof TRPCClientError)
    return (error.data as { httpStatus?: number } | undefined)?.httpStatus;
  return undefined;
}
