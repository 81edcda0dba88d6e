/**
 * JSON Schema checks of what crosses the connection: form answers before they are sent to a
 * server, and tools' structured results against their declared `outputSchema`. Uses the SDK's
 * validator (AJV on Node); each schema object is compiled once.
 */
import { fromJsonSchema, type JsonSchemaType } from "@modelcontextprotocol/client";

type Check = (value: unknown) => string | undefined;

const compiled = new WeakMap<object, Check>();

/** What is wrong with `value` under `schema`, or undefined when it conforms. */
export function schemaProblem(schema: object, value: unknown): string | undefined {
  let check = compiled.get(schema);
  if (!check) {
    try {
      const standard = fromJsonSchema(schema as JsonSchemaType)["~standard"];
      check = (v) => {
        const result = standard.validate(v);
        if (result instanceof Promise)
          return "the schema needs asynchronous validation, which is not supported";
        return result.issues ? result.issues.map((issue) => issue.message).join("; ") : undefined;
      };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      check = () => `the schema itself is not valid JSON Schema (${reason.slice(0, 200)})`;
    }
    compiled.set(schema, check);
  }
  return check(value);
}
