/**
 * Result references: a node's arguments may use earlier nodes' results, resolved when it runs.
 *
 *   {{query}}                      the result of node `query`: its structured content when the tool
 *                                  returned some, else its text (parsed as JSON when it is JSON)
 *   {{query.text}}                 its text content, blocks joined by a newline
 *   {{query.structured}}           its structured content (an error when there is none)
 *   {{query.rows[0].email}}        a path into the result, as in `{{query}}`
 *   {{query.structured.rows}}      a path into the structured content
 *
 * A string that is exactly one reference becomes the referenced value (a number stays a number, an
 * object an object). A reference inside a longer string is interpolated as text (objects as JSON).
 * Referencing a node makes it a dependency.
 */

/** The part of a tool result references read. */
export interface ReferencedResult {
  content: ReadonlyArray<{ type: string; text?: string }>;
  structuredContent?: unknown;
}

export interface Reference {
  nodeId: string;
  /** `value` ({{id}} and paths into it), `text` or `structured`. */
  source: "value" | "text" | "structured";
  path: (string | number)[];
  /** The reference as written, for messages. */
  raw: string;
}

export class UnresolvedReferenceError extends Error {
  override name = "UnresolvedReferenceError";
}

const REFERENCE = /\{\{\s*([A-Za-z0-9_-]+)((?:\.[A-Za-z0-9_$-]+|\[\d+\])*)\s*\}\}/g;
const WHOLE = new RegExp(`^${REFERENCE.source}$`);

function parsePath(raw: string): (string | number)[] {
  const path: (string | number)[] = [];
  for (const m of raw.matchAll(/\.([A-Za-z0-9_$-]+)|\[(\d+)\]/g)) {
    path.push(m[1] !== undefined ? m[1] : Number(m[2]));
  }
  return path;
}

function toReference(raw: string, nodeId: string, pathText: string): Reference {
  const path = parsePath(pathText);
  const first = path[0];
  if (first === "text" && path.length === 1) return { nodeId, source: "text", path: [], raw };
  if (first === "structured") return { nodeId, source: "structured", path: path.slice(1), raw };
  return { nodeId, source: "value", path, raw };
}

/** Every reference in a JSON value (strings inside objects and arrays included). */
export function findReferences(value: unknown): Reference[] {
  const found: Reference[] = [];
  const visit = (v: unknown) => {
    if (typeof v === "string") {
      for (const m of v.matchAll(REFERENCE)) found.push(toReference(m[0], m[1]!, m[2] ?? ""));
    } else if (Array.isArray(v)) {
      v.forEach(visit);
    } else if (v !== null && typeof v === "object") {
      Object.values(v).forEach(visit);
    }
  };
  visit(value);
  return found;
}

/** True when the value (or anything inside it) uses a reference. */
export function hasReference(value: unknown): boolean {
  return findReferences(value).length > 0;
}

function textOf(result: ReferencedResult): string {
  return result.content
    .filter((c) => c.type === "text" && typeof c.text === "string")
    .map((c) => c.text)
    .join("\n");
}

function resultValue(result: ReferencedResult): unknown {
  if (result.structuredContent !== undefined) return result.structuredContent;
  const text = textOf(result);
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function walk(value: unknown, ref: Reference): unknown {
  let current = value;
  const seen: string[] = [];
  for (const key of ref.path) {
    const where = seen.length ? `${ref.nodeId}.${seen.join(".")}` : ref.nodeId;
    if (typeof key === "number") {
      if (!Array.isArray(current)) throw new UnresolvedReferenceError(`${ref.raw}: ${where} is not a list.`);
      if (key >= current.length) {
        throw new UnresolvedReferenceError(
          `${ref.raw}: ${where} has ${current.length} item(s), no [${key}].`,
        );
      }
      current = current[key];
      seen.push(`[${key}]`);
    } else {
      if (current === null || typeof current !== "object" || Array.isArray(current)) {
        throw new UnresolvedReferenceError(`${ref.raw}: ${where} is not an object, so it has no "${key}".`);
      }
      if (!(key in current)) {
        const keys = Object.keys(current).slice(0, 12);
        throw new UnresolvedReferenceError(
          `${ref.raw}: ${where} has no "${key}"${keys.length ? ` (it has ${keys.join(", ")})` : ""}.`,
        );
      }
      current = (current as Record<string, unknown>)[key];
      seen.push(key);
    }
  }
  return current;
}

function resolveOne(ref: Reference, results: ReadonlyMap<string, ReferencedResult>): unknown {
  const result = results.get(ref.nodeId);
  if (!result) throw new UnresolvedReferenceError(`${ref.raw}: node "${ref.nodeId}" has no result.`);
  if (ref.source === "text") return textOf(result);
  if (ref.source === "structured") {
    if (result.structuredContent === undefined) {
      throw new UnresolvedReferenceError(`${ref.raw}: node "${ref.nodeId}" returned no structured content.`);
    }
    return walk(result.structuredContent, ref);
  }
  return walk(resultValue(result), ref);
}

const asText = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));

/** Replaces every reference in `value` with what it points to; throws UnresolvedReferenceError when it cannot. */
export function resolveReferences<T>(value: T, results: ReadonlyMap<string, ReferencedResult>): T {
  const resolve = (v: unknown): unknown => {
    if (typeof v === "string") {
      const whole = WHOLE.exec(v);
      if (whole) return resolveOne(toReference(whole[0], whole[1]!, whole[2] ?? ""), results);
      return v.replace(REFERENCE, (raw, id: string, path: string) =>
        asText(resolveOne(toReference(raw, id, path ?? ""), results)),
      );
    }
    if (Array.isArray(v)) return v.map(resolve);
    if (v !== null && typeof v === "object") {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x)]));
    }
    return v;
  };
  return resolve(value) as T;
}
