import { type AnyTRPCRouter, callTRPCProcedure, getTRPCErrorFromUnknown, TRPCError } from "@trpc/server";
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from "fastify";
import {
  forEachOpenApiProcedure,
  getInputOutputParsers,
  instanceofZodTypeLikeVoid,
  instanceofZodTypeObject,
  instanceofZodTypeOptional,
  unwrapZodType,
} from "trpc-to-openapi";
import { ZodArray, type ZodObject, type ZodType } from "zod";

export interface RestFacadeOptions<Ctx> {
  router: AnyTRPCRouter;
  /** Mount point, e.g. `/api/v1`. */
  basePath: string;
  createContext(req: FastifyRequest): Ctx;
  /** Status and headers of an answer (as tRPC's `responseMeta`). */
  responseMeta(opts: { ctx?: Ctx; errors: readonly unknown[] }): {
    status?: number;
    headers?: Record<string, string>;
  };
  /** The JSON body of an error answer. */
  errorBody(error: TRPCError): unknown;
  onError?(opts: { error: TRPCError; path: string }): void;
}

/**
 * The REST facade: one Fastify route per procedure that has OpenAPI metadata (the same metadata
 * trpc-to-openapi documents), calling the procedure with the same middlewares and validation as the
 * tRPC endpoint. Inputs are read as trpc-to-openapi reads them: the JSON body for POST/PUT/PATCH,
 * the query string for GET/DELETE (scalars converted, repeated keys as arrays), plus path parameters.
 *
 * Why not trpc-to-openapi's runtime handler: it resolves each request by trying every path pattern
 * in turn (case-insensitively, so `/AUTH/…` reached sign-in endpoints past the rate-limit bucket),
 * and builds a Fetch `Request` with an `AbortController` per request only to abort it when the
 * response closes — most of the facade's cost on the hot path. Here Fastify's router matches the
 * route and the procedure is called directly.
 */
export function registerRestFacade<Ctx>(app: FastifyInstance, opts: RestFacadeOptions<Ctx>) {
  forEachOpenApiProcedure(opts.router._def.procedures, ({ path, type, procedure, meta: { openapi } }) => {
    if (type === "subscription") return;
    const method = openapi.method as HTTPMethods;
    const usesBody = method !== "GET" && method !== "DELETE";
    const { inputParser } = getInputOutputParsers(procedure);
    const inputSchema = unwrapZodType(inputParser, true);
    const takesInput = !instanceofZodTypeLikeVoid(inputSchema);
    const arrayKeys = new Set<string>();
    let scalars = new Map<string, (text: string) => unknown>();
    if (instanceofZodTypeObject(inputSchema) && !usesBody) {
      // Query strings carry only text: their numbers, booleans and dates are converted here, in the
      // facade. The schemas are the contracts' own, shared with tRPC, so they are never altered
      // (coercing them would also coerce JSON bodies, reading `"ssl_verify": "false"` as true).
      scalars = queryScalars(inputSchema);
      for (const [key, shape] of Object.entries(inputSchema.shape)) {
        if (
          shape instanceof ZodArray ||
          (instanceofZodTypeOptional(shape) && shape.unwrap() instanceof ZodArray)
        )
          arrayKeys.add(key);
      }
    }
    const url = `${opts.basePath}${openapi.path.replace(/\/$/, "").replace(/\{([^}]+)\}/g, ":$1")}`;

    const handler = async (req: FastifyRequest, reply: FastifyReply) => {
      let ctx: Ctx | undefined;
      try {
        ctx = opts.createContext(req);
        const data = await callTRPCProcedure({
          router: opts.router,
          path,
          // Read by the procedure's input step, after its policies (rate limit) have counted the call.
          getRawInput: async () => {
            if (!takesInput) return undefined;
            if (usesBody && !req.headers["content-type"]?.startsWith("application/json")) {
              throw new TRPCError({
                code: "UNSUPPORTED_MEDIA_TYPE",
                message: "Send the request body as application/json.",
              });
            }
            const source = usesBody
              ? req.body
              : queryInput(req.query as Record<string, string | string[] | undefined>, arrayKeys, scalars);
            return { ...(source as object), ...(req.params as object) };
          },
          ctx,
          type,
          signal: undefined,
          batchIndex: 0,
        });
        const meta = opts.responseMeta({ ctx, errors: [] });
        return send(reply, meta.status ?? 200, meta.headers, data);
      } catch (cause) {
        const error = getTRPCErrorFromUnknown(cause);
        opts.onError?.({ error, path });
        const meta = opts.responseMeta({ ctx, errors: [error] });
        return send(reply, meta.status ?? 500, meta.headers, opts.errorBody(error));
      }
    };
    app.route({ method, url, handler });
    // Like the facade before it, answer the path with a trailing slash too.
    app.route({ method, url: `${url}/`, handler });
  });
}

function send(
  reply: FastifyReply,
  status: number,
  headers: Record<string, string> | undefined,
  body: unknown,
) {
  reply.code(status);
  if (headers) reply.headers(headers);
  return reply.type("application/json; charset=utf-8").send(JSON.stringify(body));
}

/**
 * A query string as procedure input: one value per key, except where the schema wants an array;
 * text converted where the schema wants a number, boolean, bigint or date.
 */
function queryInput(
  query: Record<string, string | string[] | undefined>,
  arrayKeys: ReadonlySet<string>,
  scalars: ReadonlyMap<string, (text: string) => unknown>,
) {
  const input: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(query)) {
    if (!value) continue;
    const single = Array.isArray(value) && value.length === 1 ? value[0]! : value;
    const values = arrayKeys.has(key) && !Array.isArray(single) ? [single] : single;
    const convert = scalars.get(key);
    input[key] = !convert ? values : Array.isArray(values) ? values.map(convert) : convert(values);
  }
  return input;
}

/**
 * How to read each non-text query parameter. Text that does not read as the wanted type is passed
 * on unchanged, so validation names the field and what it expected.
 */
const fromText: Record<string, (text: string) => unknown> = {
  number: (text) => (text.trim() !== "" && Number.isFinite(Number(text)) ? Number(text) : text),
  boolean: (text) => (text === "true" ? true : text === "false" ? false : text),
  bigint: (text) => {
    try {
      return BigInt(text);
    } catch {
      return text;
    }
  },
  date: (text) => (Number.isNaN(Date.parse(text)) ? text : new Date(text)),
};

function queryScalars(schema: ZodObject) {
  const scalars = new Map<string, (text: string) => unknown>();
  for (const [key, shape] of Object.entries(schema.shape)) {
    const kind = (unwrapZodType(shape as ZodType, false) as ZodType)._zod.def.type;
    const convert = fromText[kind];
    if (convert) scalars.set(key, convert);
  }
  return scalars;
}
