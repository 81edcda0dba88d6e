import { ApiError } from "@mcpdeck/contracts";
import { generateOpenApiDocument } from "trpc-to-openapi";
import { z } from "zod";
import { appRouter } from "./root.js";

/** OpenAPI 3.1 document of the REST surface, generated from the tRPC routers. */
export function buildOpenApiDocument(publicUrl: string) {
  const doc = generateOpenApiDocument(appRouter, {
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
