/**
 * Text PostgreSQL can store: MCP servers send what they like, and a NUL or a lone UTF-16 surrogate
 * half in a JSON string makes `jsonb` refuse the whole row (22P05). Such characters become U+FFFD,
 * so a tool's odd output is kept — slightly altered — instead of failing the node's bookkeeping.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is the character being replaced
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function storableText(text: string): string {
  return text.replace(UNSTORABLE, "\uFFFD");
}

/** `value` with every string (keys included) made storable; other values are kept as they are. */
export function storable<T>(value: T): T {
  if (typeof value === "string") return storableText(value) as T;
  if (Array.isArray(value)) return value.map(storable) as T;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [storableText(k), storable(v)])) as T;
  }
  return value;
}
