import { splitIdentifier, terms } from "./text.js";

/** A JSON Schema as tools describe their inputs (loosely typed: servers write every dialect). */
export type JsonSchema = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  description?: string;
  title?: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  additionalProperties?: unknown;
};

export type DateRole = "start" | "end" | "single";

/** One argument of a tool, with what the planner can tell about the values it takes. */
export interface Param {
  name: string;
  schema: JsonSchema;
  required: boolean;
  /** The JSON type, `any` when the schema leaves it open. */
  type: "string" | "integer" | "number" | "boolean" | "array" | "object" | "any";
  itemType?: Param["type"];
  enumValues?: string[];
  /** Words of the name (lower case, singular); canonical words of the description. */
  nameWords: string[];
  describedBy: string[];
  description: string;
  dateRole?: DateRole;
  dateTime: boolean;
  isEmail: boolean;
  isUrl: boolean;
  isCountry: boolean;
  isTitle: boolean;
  isFreeText: boolean;
  /** Takes an earlier step's result (open data, or text to work on). */
  isDataSlot: boolean;
}

const unwrap = (schema: JsonSchema): JsonSchema => {
  const variants = schema.anyOf ?? schema.oneOf;
  if (!variants) return schema;
  const concrete = variants.filter((v) => v.type !== "null");
  return concrete.length === 1
    ? { ...concrete[0], description: schema.description ?? concrete[0]!.description }
    : schema;
};

function typeOf(schema: JsonSchema): Param["type"] {
  const t = Array.isArray(schema.type) ? schema.type.filter((x) => x !== "null") : [schema.type];
  if (t.length !== 1 || t[0] === undefined) {
    if (schema.enum?.every((v) => typeof v === "string")) return "string";
    return "any";
  }
  const one = t[0];
  return one === "string" ||
    one === "integer" ||
    one === "number" ||
    one === "boolean" ||
    one === "array" ||
    one === "object"
    ? one
    : "any";
}

const singular = (w: string) =>
  w.length <= 3 || /(ss|us|is)$/.test(w) ? w : w.endsWith("ies") ? `${w.slice(0, -3)}y` : w.replace(/s$/, "");

const has = (list: string[], ...wanted: string[]) => wanted.some((w) => list.includes(w));

/** Describes one property of an object schema. */
export function describeParam(name: string, raw: JsonSchema, required: boolean): Param {
  const schema = unwrap(raw);
  const type = typeOf(schema);
  const items = schema.items ? unwrap(schema.items) : undefined;
  const description = `${schema.title ?? ""} ${schema.description ?? ""}`.trim();
  const nameWords = splitIdentifier(name).map(singular);
  const describedBy = terms(description);
  const text = description.toLowerCase();
  const enumSource = schema.enum ?? items?.enum ?? (schema.const !== undefined ? [schema.const] : undefined);
  const enumValues = enumSource?.every((v) => typeof v === "string") ? (enumSource as string[]) : undefined;
  const format = schema.format ?? items?.format;
  const stringish = type === "string" || (type === "array" && items?.type === "string");

  const looksDate =
    stringish &&
    !enumValues &&
    (format === "date" ||
      format === "date-time" ||
      has(nameWords, "date", "day", "timestamp", "since", "until", "after", "before", "deadline", "due") ||
      (has(nameWords, "start", "end", "from", "to", "time", "at") &&
        /\b(date|iso ?8601|yyyy|timestamp)\b/.test(text)) ||
      /\b(iso ?8601 )?date\b.*\b(yyyy-mm-dd|iso ?8601)\b/.test(text));
  let dateRole: DateRole | undefined;
  if (looksDate) {
    if (has(nameWords, "start", "from", "since", "after", "begin", "min", "earliest", "first"))
      dateRole = "start";
    else if (has(nameWords, "end", "to", "until", "before", "max", "latest", "last")) dateRole = "end";
    else dateRole = "single";
  }
  const isEmail =
    stringish && (format === "email" || has(nameWords, "email", "recipient", "attendee", "cc", "bcc"));
  const isUrl =
    stringish &&
    !enumValues &&
    (format === "uri" ||
      format === "url" ||
      has(nameWords, "url", "uri", "link", "href", "website", "homepage"));
  const isCountry = stringish && has(nameWords, "country", "region", "nation") && !enumValues;
  const isTitle =
    type === "string" &&
    !enumValues &&
    has(nameWords, "title", "subject", "heading", "name", "label", "headline");
  const isFreeText =
    type === "string" &&
    !enumValues &&
    !looksDate &&
    has(
      nameWords,
      "query",
      "q",
      "search",
      "keyword",
      "term",
      "text",
      "topic",
      "prompt",
      "question",
      "message",
      "body",
      "content",
      "note",
      "description",
      "reason",
      "comment",
      "instruction",
    );
  const isDataSlot =
    type === "any" ||
    (type === "object" && !schema.properties) ||
    (!enumValues &&
      !looksDate &&
      (type === "string" || type === "object") &&
      /\b(earlier|previous|prior)\b.*\b(result|output|call|step)|\bstructuredcontent\b|\boutput of\b/.test(
        text,
      )) ||
    (type === "string" &&
      has(nameWords, "text", "content", "input", "data", "document", "markdown", "csv", "json", "body"));

  return {
    name,
    schema,
    required,
    type,
    ...(items ? { itemType: typeOf(items) } : {}),
    ...(enumValues ? { enumValues } : {}),
    nameWords,
    describedBy,
    description,
    ...(dateRole ? { dateRole } : {}),
    dateTime:
      format === "date-time" || (/\bdate-?time\b|\btimestamp\b/.test(text) && !/yyyy-mm-dd/.test(text)),
    isEmail,
    isUrl,
    isCountry,
    isTitle,
    isFreeText,
    isDataSlot,
  };
}

/** The arguments of a tool (top-level properties of its input schema), in the schema's order. */
export function paramsOf(inputSchema: Record<string, unknown>): Param[] {
  const schema = inputSchema as JsonSchema;
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).map(([name, p]) =>
    describeParam(name, p ?? {}, required.has(name)),
  );
}

/** The item fields of an array-of-objects argument (e.g. report sections), when it has any. */
export function itemParamsOf(param: Param): Param[] | undefined {
  const items = param.schema.items ? unwrap(param.schema.items) : undefined;
  if (param.type !== "array" || !items?.properties) return undefined;
  const required = new Set(items.required ?? []);
  return Object.entries(items.properties).map(([name, p]) =>
    describeParam(name, p ?? {}, required.has(name)),
  );
}

/** A tool consumes earlier results when an argument (or a field of its list items) is a data slot. */
export function dataSlotOf(params: Param[]): { param: Param; field?: Param; fields?: Param[] } | undefined {
  for (const param of params) {
    const fields = itemParamsOf(param);
    const field = fields?.find((f) => f.isDataSlot && f.type !== "string");
    if (fields && field) return { param, field, fields };
  }
  const open = params.find((p) => p.isDataSlot && p.type !== "string");
  if (open) return { param: open };
  const text = params.find((p) => p.isDataSlot && p.required);
  return text ? { param: text } : undefined;
}
