import { ApiError } from "@mcpdeck/contracts";
import type { AnyTRPCProcedure, AnyTRPCRouter } from "@trpc/server";
import { generateOpenApiDocument, type OpenApiMeta, type OpenApiRouter } from "trpc-to-openapi";
import { type ZodType, z } from "zod";
import { createSchema } from "zod-openapi";
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

type OpenApiDocument = {
  paths?: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema: unknown }> } }>>;
  components?: { schemas?: Record<string, unknown> };
};

/** OpenAPI 3.1 document of the REST surface, generated from the tRPC routers. */
export function buildOpenApiDocument(publicUrl: string) {
  const { router, unionBodies } = withUnionBodiesSetAside(documentedRouter() as unknown as AnyTRPCRouter);
  const doc = generateOpenApiDocument(router as unknown as OpenApiRouter, {
    title: "mcpdeck API",
    version: "1.0.0",
    description: "Multi-user web client for the Model Context Protocol. Every error uses the Error schema.",
    baseUrl: `${publicUrl}/api/v1`,
    securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } },
  }) as unknown as OpenApiDocument;
  doc.components ??= {};
  doc.components.schemas ??= {};
  for (const body of unionBodies) {
    const content = doc.paths?.[body.path]?.[body.method]?.requestBody?.content?.["application/json"];
    if (!content) throw new Error(`No request body to document for ${body.method} ${body.path}.`);
    const { schema, components } = createSchema(body.schema, { io: "input" });
    content.schema = schema;
    for (const [name, component] of Object.entries(components ?? {}))
      doc.components.schemas[name] ??= component;
  }
  doc.components.schemas.Error = z.toJSONSchema(ApiError, { target: "draft-2020-12" });
  return doc;
}

/**
 * trpc-to-openapi documents object inputs only, but some bodies are unions (`credentials` discriminated
 * on `auth_method`). Their procedures are documented with an empty stand-in input, and the request body
 * is then the union itself, rendered as a request (defaults optional).
 */
function withUnionBodiesSetAside(router: AnyTRPCRouter) {
  const unionBodies: { path: string; method: string; schema: ZodType }[] = [];
  const procedures: Record<string, unknown> = {};
  type ProcedureDef = { meta?: { openapi?: { path: string; method: string } }; inputs?: ZodType[] };
  for (const [name, procedure] of Object.entries(
    router._def.procedures as Record<string, { _def: ProcedureDef }>,
  )) {
    const def = procedure._def;
    const openapi = def.meta?.openapi;
    const input = def.inputs?.length === 1 ? def.inputs[0] : undefined;
    if (!openapi || input?._zod.def.type !== "union") {
      procedures[name] = procedure;
      continue;
    }
    unionBodies.push({ path: openapi.path, method: openapi.method.toLowerCase(), schema: input });
    procedures[name] = { _def: { ...def, inputs: [z.object({})] } };
  }
  return { router: { _def: { ...router._def, procedures } } as AnyTRPCRouter, unionBodies };
}
