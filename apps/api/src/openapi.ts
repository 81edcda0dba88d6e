import { ApiError } from "@mcpdeck/contracts";
import type { AnyTRPCProcedure } from "@trpc/server";
import { generateOpenApiDocument, type OpenApiMeta, type OpenApiRouter } from "trpc-to-openapi";
import { z } from "zod";
import { appRouter } from "./root.js";
import { type ProcedureMeta, requiresUser } from "./trpc.js";

/**
 * The routers as the document reads them: each documented procedure's bearer requirement
 * (`openapi.protect`) taken from whether it really requires a signed-in user, so public routes
 * (health, sign-in, the OAuth callback, the outbox) never claim one. Copies: the routers are not
 * altered.
 */
function documentedRouter(): OpenApiRouter {
  const procedures = Object.fromEntries(
    Object.entries(appRouter._def.procedures as unknown as Record<string, AnyTRPCProcedure>).map(
      ([path, procedure]) => {
        const def = procedure._def as typeof procedure._def & { meta?: ProcedureMeta };
        // Our metadata type must stay what trpc-to-openapi reads: this fails to compile otherwise.
        const meta: OpenApiMeta | undefined = def.meta;
        if (!meta?.openapi) return [path, procedure];
        const openapi = { ...meta.openapi, protect: requiresUser(procedure) };
        return [path, { _def: { ...def, meta: { ...meta, openapi } } }];
      },
    ),
  );
  return { _def: { ...appRouter._def, procedures } } as unknown as OpenApiRouter;
}

/** OpenAPI 3.1 document of the REST surface, generated from the tRPC routers. */
export function buildOpenApiDocument(publicUrl: string) {
  const doc = generateOpenApiDocument(documentedRouter(), {
    title: "mcpdeck API",
    version: "1.0.0",
    description: "Multi-user web client for the Model Context Protocol. Every error uses the Error schema.",
    baseUrl: `${publicUrl}/api/v1`,
    securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } },
  }) as unknown as { components?: { schemas?: Record<string, unknown> } };
  doc.components ??= {};
  doc.components.schemas ??= {};
  doc.components.schemas.Error = z.toJSONSchema(ApiError, { target: "draft-2020-12" });
  return doc;
}
