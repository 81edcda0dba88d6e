/**
 * Form input requests (MCP elicitation) asked field by field at the prompt: the request's JSON schema
 * is a flat object of strings (enums, formats, lengths, patterns), numbers, booleans and multi-select
 * arrays; each answer is checked against its field before the next is asked.
 */
type Schema = Record<string, unknown>;

export interface Field {
  name: string;
  schema: Schema;
  required: boolean;
}

export type Parsed = { ok: true; value?: unknown } | { ok: false; message: string };

export function fieldsOf(schema: Schema | undefined): Field[] {
  const properties = (schema?.properties ?? {}) as Record<string, Schema>;
  const required = new Set((schema?.required ?? []) as string[]);
  return Object.entries(properties).map(([name, field]) => ({
    name,
    schema: field,
    required: required.has(name),
  }));
}

/** The choices of an enum field: values and what to show for each. */
function choices(schema: Schema): { value: string; label: string }[] | undefined {
  if (Array.isArray(schema.enum)) {
    const names = Array.isArray(schema.enumNames) ? (schema.enumNames as string[]) : [];
    return (schema.enum as unknown[]).map((v, i) => ({ value: String(v), label: names[i] ?? String(v) }));
  }
  const options = (schema.oneOf ?? schema.anyOf) as Schema[] | undefined;
  if (Array.isArray(options) && options.every((o) => "const" in o)) {
    return options.map((o) => ({ value: String(o.const), label: String(o.title ?? o.const) }));
  }
  return undefined;
}

const itemsOf = (schema: Schema) => (schema.items ?? {}) as Schema;

function show(value: unknown): string {
  if (Array.isArray(value)) return value.join(", ");
  if (typeof value === "boolean") return value ? "y" : "n";
  return String(value);
}

/** The prompt for a field: its title, what it takes, its default. */
export function fieldPrompt(field: Field): string {
  const { schema } = field;
  const title = String(schema.title ?? field.name);
  const hints: string[] = [];
  const list = schema.type === "array" ? choices(itemsOf(schema)) : choices(schema);
  if (list) {
    hints.push(list.map((c, i) => `${i + 1}) ${c.label}`).join(" "));
    if (schema.type === "array") hints.push("several: comma-separated");
  } else if (schema.type === "boolean") hints.push("y/n");
  else if (schema.type === "integer" || schema.type === "number") {
    const range = [schema.minimum, schema.maximum].map((v) => (v === undefined ? "" : String(v)));
    hints.push(schema.type === "integer" ? "a whole number" : "a number");
    if (range[0] || range[1]) hints.push(`${range[0] || "…"} to ${range[1] || "…"}`);
  } else if (typeof schema.format === "string") hints.push(schema.format);
  if (!field.required) hints.push("optional");
  const fallback = schema.default !== undefined ? ` [${show(schema.default)}]` : "";
  return `  ${title}${hints.length ? ` (${hints.join("; ")})` : ""}${fallback}: `;
}

function pick(list: { value: string; label: string }[], raw: string): string | undefined {
  const n = Number(raw);
  if (Number.isInteger(n) && n >= 1 && n <= list.length) return list[n - 1]!.value;
  const lower = raw.toLowerCase();
  return list.find((c) => c.value.toLowerCase() === lower || c.label.toLowerCase() === lower)?.value;
}

function checkString(schema: Schema, value: string): string | undefined {
  if (typeof schema.minLength === "number" && value.length < schema.minLength)
    return `at least ${schema.minLength} characters`;
  if (typeof schema.maxLength === "number" && value.length > schema.maxLength)
    return `at most ${schema.maxLength} characters`;
  switch (schema.format) {
    case "email":
      if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) return "an email address, like name@example.com";
      break;
    case "uri":
      if (!URL.canParse(value)) return "a URL, like https://example.com";
      break;
    case "date":
      if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(value))) return "a date, YYYY-MM-DD";
      break;
    case "date-time":
      if (Number.isNaN(Date.parse(value))) return "a date and time, like 2026-01-31T09:00:00Z";
      break;
  }
  if (typeof schema.pattern === "string") {
    try {
      if (!new RegExp(schema.pattern, "u").test(value)) return `text matching ${schema.pattern}`;
    } catch {}
  }
  return undefined;
}

/** Reads one answer for a field: its value, or why it does not fit. */
export function parseField(field: Field, input: string): Parsed {
  const { schema } = field;
  const raw = input.trim();
  if (raw === "") {
    if (schema.default !== undefined) return { ok: true, value: schema.default };
    return field.required ? { ok: false, message: "an answer is required" } : { ok: true };
  }
  const fail = (message: string): Parsed => ({ ok: false, message: `must be ${message}` });
  switch (schema.type) {
    case "boolean":
      if (/^(y|yes|true|1)$/i.test(raw)) return { ok: true, value: true };
      if (/^(n|no|false|0)$/i.test(raw)) return { ok: true, value: false };
      return fail("y or n");
    case "integer":
    case "number": {
      const n = Number(raw);
      if (!Number.isFinite(n)) return fail("a number");
      if (schema.type === "integer" && !Number.isInteger(n)) return fail("a whole number");
      if (typeof schema.minimum === "number" && n < schema.minimum) return fail(`at least ${schema.minimum}`);
      if (typeof schema.maximum === "number" && n > schema.maximum) return fail(`at most ${schema.maximum}`);
      return { ok: true, value: n };
    }
    case "array": {
      const list = choices(itemsOf(schema));
      const parts = raw
        .split(/[,\s]+/)
        .map((p) => p.trim())
        .filter(Boolean);
      const values: string[] = [];
      for (const part of parts) {
        const value = list ? pick(list, part) : part;
        if (value === undefined) return fail(`among ${list!.map((c) => c.value).join(", ")} (not "${part}")`);
        if (!values.includes(value)) values.push(value);
      }
      if (typeof schema.minItems === "number" && values.length < schema.minItems)
        return fail(`at least ${schema.minItems} choice${schema.minItems === 1 ? "" : "s"}`);
      if (typeof schema.maxItems === "number" && values.length > schema.maxItems)
        return fail(`at most ${schema.maxItems} choices`);
      return { ok: true, value: values };
    }
    default: {
      const list = choices(schema);
      if (list) {
        const value = pick(list, raw);
        return value === undefined
          ? fail(`one of ${list.map((c) => c.value).join(", ")}`)
          : { ok: true, value };
      }
      const problem = checkString(schema, raw);
      return problem ? fail(problem) : { ok: true, value: raw };
    }
  }
}
