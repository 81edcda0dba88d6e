/**
 * The part of JSON Schema an MCP form request may use (elicitation: a flat object of string, number,
 * integer and boolean fields, single choices and multiple choices), turned into fields and checked as
 * the person types.
 */
export interface FieldSpec {
  name: string;
  label: string;
  description?: string;
  type: "string" | "number" | "integer" | "boolean" | "array";
  required: boolean;
  /** The options of a single choice (a string) or a multiple choice (an array). */
  enumValues?: string[];
  enumLabels?: string[];
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  default?: unknown;
}

export type FieldValue = string | boolean | string[];
type Json = Record<string, unknown>;

const num = (value: unknown) => (typeof value === "number" ? value : undefined);

/** The options of a choice: `enum` (+ legacy `enumNames`), or `oneOf` / `anyOf` of `{ const, title }`. */
function choicesOf(schema: Json): { values?: string[]; labels?: string[] } {
  if (Array.isArray(schema.enum)) {
    const values = (schema.enum as unknown[]).map(String);
    const labels = Array.isArray(schema.enumNames) ? (schema.enumNames as unknown[]).map(String) : undefined;
    return { values, ...(labels ? { labels } : {}) };
  }
  const list = (
    Array.isArray(schema.oneOf) ? schema.oneOf : Array.isArray(schema.anyOf) ? schema.anyOf : []
  ) as Json[];
  const options = list.filter((o) => typeof o.const === "string");
  if (options.length === 0) return {};
  return {
    values: options.map((o) => String(o.const)),
    labels: options.map((o) => String(o.title ?? o.const)),
  };
}

export function fieldsOf(schema: Json | undefined): FieldSpec[] {
  const properties = (schema?.properties ?? {}) as Record<string, Json>;
  const required = new Set(Array.isArray(schema?.required) ? (schema.required as string[]) : []);
  return Object.entries(properties).map(([name, p]) => {
    const type = (
      ["number", "integer", "boolean", "array"].includes(String(p.type)) ? p.type : "string"
    ) as FieldSpec["type"];
    const choices = choicesOf(type === "array" ? ((p.items ?? {}) as Json) : p);
    const spec: FieldSpec = {
      name,
      label: typeof p.title === "string" ? p.title : name,
      type,
      required: required.has(name),
    };
    if (typeof p.description === "string") spec.description = p.description;
    if (choices.values) spec.enumValues = choices.values;
    if (choices.labels) spec.enumLabels = choices.labels;
    if (typeof p.format === "string") spec.format = p.format;
    for (const key of ["minLength", "maxLength", "minimum", "maximum", "minItems", "maxItems"] as const) {
      const value = num(p[key]);
      if (value !== undefined) spec[key] = value;
    }
    if (p.default !== undefined) spec.default = p.default;
    return spec;
  });
}

/** What is wrong with a field's value (as typed), or undefined. */
export function fieldIssue(field: FieldSpec, raw: FieldValue | undefined): string | undefined {
  if (field.type === "boolean") return undefined;
  if (field.type === "array") {
    const picked = Array.isArray(raw) ? raw : [];
    // Like an empty optional text field: nothing picked is left out of the answer, so nothing to check.
    if (picked.length === 0) return field.required ? "Pick at least one." : undefined;
    if (field.minItems !== undefined && picked.length < field.minItems)
      return `Pick at least ${field.minItems}.`;
    if (field.maxItems !== undefined && picked.length > field.maxItems)
      return `Pick at most ${field.maxItems}.`;
    return undefined;
  }
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
export function answerOf(fields: FieldSpec[], values: Record<string, FieldValue>): Record<string, unknown> {
  const answer: Record<string, unknown> = {};
  for (const field of fields) {
    const raw = values[field.name];
    if (field.type === "boolean") {
      answer[field.name] = raw === true;
      continue;
    }
    if (field.type === "array") {
      const picked = Array.isArray(raw) ? raw : [];
      if (picked.length > 0 || field.required) answer[field.name] = picked;
      continue;
    }
    const text = typeof raw === "string" ? raw.trim() : "";
    if (text === "") continue;
    answer[field.name] = field.type === "number" || field.type === "integer" ? Number(text) : text;
  }
  return answer;
}

export function initialValues(fields: FieldSpec[]): Record<string, FieldValue> {
  const values: Record<string, FieldValue> = {};
  for (const f of fields) {
    if (f.type === "array") values[f.name] = Array.isArray(f.default) ? f.default.map(String) : [];
    else if (f.type === "boolean") values[f.name] = f.default === true;
    else values[f.name] = f.default === undefined ? "" : String(f.default);
  }
  return values;
}
