import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";

/**
 * JSON Schema validation for what MCP servers describe with JSON Schema: tool inputs and
 * elicitation forms. Lenient about schema keywords it does not know (servers write all dialects),
 * strict about the values.
 */
const ajv = new Ajv({ allErrors: true, strict: false, validateSchema: false });
addFormats.default(ajv);

const compiled = new Map<string, ValidateFunction | Error>();

export interface SchemaIssue {
  /** JSON pointer-ish dotted path of the value, e.g. `sections.0` (empty for the value itself). */
  path: string;
  message: string;
}

function compile(schema: Record<string, unknown>): ValidateFunction | Error {
  const key = JSON.stringify(schema);
  let fn = compiled.get(key);
  if (!fn) {
    try {
      fn = ajv.compile(schema);
    } catch (error) {
      fn = error instanceof Error ? error : new Error(String(error));
    }
    if (compiled.size > 2000) compiled.clear();
    compiled.set(key, fn);
  }
  return fn;
}

function describe(error: ErrorObject): SchemaIssue {
  const path = error.instancePath.split("/").slice(1).join(".");
  if (error.keyword === "required") {
    const missing = (error.params as { missingProperty: string }).missingProperty;
    return { path: path ? `${path}.${missing}` : missing, message: "is required" };
  }
  if (error.keyword === "additionalProperties") {
    const extra = (error.params as { additionalProperty: string }).additionalProperty;
    return { path: path ? `${path}.${extra}` : extra, message: "is not an accepted field" };
  }
  if (error.keyword === "enum") {
    const allowed = (error.params as { allowedValues: unknown[] }).allowedValues;
    return { path, message: `must be one of ${allowed.map((v) => JSON.stringify(v)).join(", ")}` };
  }
  return { path, message: error.message ?? "is not valid" };
}

/** Checks `value` against `schema`; a schema that cannot be compiled accepts nothing, and says why. */
export function validateAgainstSchema(schema: Record<string, unknown>, value: unknown): SchemaIssue[] {
  const fn = compile(schema);
  if (fn instanceof Error) return [{ path: "", message: `the schema itself is invalid: ${fn.message}` }];
  if (fn(value)) return [];
  return (fn.errors ?? []).map(describe);
}
