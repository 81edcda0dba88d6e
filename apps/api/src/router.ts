/**
 * `@mcpdeck/api/router`, the client-safe entry: types only, published as emitted declarations
 * (`dist-types/`, built by the `build:types` script). Clients take the router's type from here,
 * never from the server's source, so they read procedures and contracts but not Fastify, drizzle
 * or the MCP SDK, and nothing of the server can end up in their bundle.
 */
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "./root.js";

export type { AppRouter };
/** Inputs of every procedure, e.g. `RouterInputs["servers"]["create"]`. */
export type RouterInputs = inferRouterInputs<AppRouter>;
/** Outputs of every procedure, e.g. `RouterOutputs["servers"]["list"]["servers"][number]`. */
export type RouterOutputs = inferRouterOutputs<AppRouter>;
