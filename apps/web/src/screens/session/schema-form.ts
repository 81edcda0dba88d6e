/**
 * The part of JSON Schema an MCP form request may use (elicitation: a flat object of string, number,
 * integer, boolean and enum fields), turned into fields and checked as the person types.
 */
export interface FieldSpec {
  name: string;
  label: string;
  description?: string;
  type: "string" | "number" | "integer" | "boolean";
  required: boolean;
  enumValues?: string[];
  enumLabels?: string[];
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  default?: unknown;
}

type Json = Record<string, unknown>;

export function fieldsOf(schema: Json | undefined): FieldSpec[] {
  const properties = (schema?.properties ?? {}) as Record<string, Json>;
  const required = new Set(Array.isArray(schema?.required) ? (schema.required as string[]) : []);
  return Object.entries(properties).map(([name, p]) => {
    const options = Array.isArray(p.oneOf)
      ? (p.oneOf as Json[]).filter((o) => typeof o.const === "string")
      : undefined;
    const enumValues = Array.isArray(p.enum)
      ? (p.enum as unknown[]).map(String)
      : options?.map((o) => String(o.const));
    const enumLabels = Array.isArray(p.enumNames)
      ? (p.enumNames as unknown[]).map(String)
      : options?.map((o) => String(o.title ?? o.const));
    const type = (
      ["number", "integer", "boolean"].includes(String(p.type)) ? p.type : "string"
    ) as FieldSpec["type"];
    return {
      name,
      label: typeof p.title === "string" ? p.title : name,
      ...(typeof p.description === "string" ? { description: p.description } : {}),
      type,
      required: required.has(name),
      ...(enumValues ? { enumValues } : {}),
      ...(enumLabels ? { enumLabels } : {}),
      ...(typeof p.format === "string" ? { format: p.format } : {}),
      ...(typeof p.minLength === "number" ? { minLength: p.minLength } : {}),
      ...(typeof p.maxLength === "number" ? { maxLength: p.maxLength } : {}),
      ...(typeof p.minimum === "number" ? { minimum: p.minimum } : {}),
      ...(typeof p.maximum === "number" ? { maximum: p.maximum } : {}),
      ...(p.default !== undefined ? { default: p.default } : {}),
    };
  });
}

/** What is wrong with a field's value (as typed), or undefined. */
export function fieldIssue(field: FieldSpec, raw: string | boolean | undefined): string | undefined {
  if (field.type === "boolean") return undefined;
  const text = typeof raw === "string" ? raw.trim() : "";
  if (text === "") return field.required ? "Required." : undefined;
  if (field.type === "number" || field.type === "integer") {
    const n = Number(text);
    if (!Number.isFinite(n)) return "Enter a number.";
    if (field.type === "integer" && !Number.isInteger(n)) return "Enter a whole number.";
    if (field.minimum !== undefined && n < field.minimum) return `At least ${field.minimum}.`;
    if (field.maximum !== undefined && n > field.maximum) return `At most ${field.maximum}.`;
    return undefined;
  }
  if (field.enumValues && !field.enumValues.includes(text)) return "Pick one of the options.";
  if (field.minLength !== undefined && text.length < field.minLength)
    return `At least ${field.minLength} characters.`;
  if (field.maxLength !== undefined && text.length > field.maxLength)
    return `At most ${field.maxLength} characters.`;
  if (field.format === "email" && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(text)) return "Enter an email address.";
  if (field.format === "uri") {
    try {
      new URL(text);
    } catch {
      return "Enter a full URL, like https://example.com.";
    }
  }
  if (field.format === "date" && !/^\d{4}-\d{2}-\d{2}$/.test(text)) return "Enter a date as YYYY-MM-DD.";
  return undefined;
}

/** The answer to send: typed values converted to their schema types; empty optional fields left out. */
export function answerOf(
  fields: FieldSpec[],
  values: Record<string, string | boolean>,
): Record<string, unknown> {
  const answer: Record<string, unknown> = {};
  for (const field of fields) {
    const raw = values[field.name];
    if (field.type === "boolean") {
      answer[field.name] = raw === true;
      continue;
    }
    const text = typeof raw === "string" ? raw.trim() : "";
    if (text === "") continue;
    answer[field.name] = field.type === "number" || field.type === "integer" ? Number(text) : text;
  }
  return answer;
}

export function initialValues(fields: FieldSpec[]): Record<string, string | boolean> {
  const values: Record<string, string | boolean> = {};
  for (const f of fields) {
    if (f.type === "boolean") values[f.name] = f.default === true;
    else values[f.name] = f.default === undefined ? "" : String(f.default);
  }
  return values;
}
