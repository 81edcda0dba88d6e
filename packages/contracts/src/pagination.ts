import { z } from "zod";

/** Where a page ends in a (created_at, id) ordered list: the last row it holds. */
export interface CursorPosition {
  createdAt: Date;
  id: string;
}

const POSITION =
  /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)\|([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
// Our rows are created after the epoch (UUIDv7 ids); years outside are no position of ours, and some
// (year 0, beyond 294276) are outside PostgreSQL's timestamp range.
const MIN_YEAR = 1970;
const MAX_YEAR = 9999;

/** The opaque `next` of a page: base64url of `<created_at ISO>|<id>`. */
export function encodeCursor(position: CursorPosition): string {
  return btoa(`${position.createdAt.toISOString()}|${position.id}`)
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

/** The position a cursor names, or undefined when it is not one `encodeCursor` could have made. */
export function decodeCursor(cursor: string): CursorPosition | undefined {
  if (cursor.length > 256) return undefined;
  let text: string;
  try {
    text = atob(cursor.replace(/-/g, "+").replace(/_/g, "/"));
  } catch {
    return undefined;
  }
  const match = POSITION.exec(text);
  if (!match) return undefined;
  const createdAt = new Date(match[1]!);
  const year = createdAt.getUTCFullYear();
  if (Number.isNaN(year) || year < MIN_YEAR || year > MAX_YEAR) return undefined;
  // Refuses dates that do not exist (2026-02-30) rather than letting them roll over.
  if (createdAt.toISOString() !== match[1]) return undefined;
  return { createdAt, id: match[2]! };
}

export const CURSOR_MESSAGE = "cursor is not valid: pass the `next` value of the previous page.";

/**
 * A cursor input, read into the position it names. Anything else (bad base64, another shape, a date
 * out of range, control characters) is one 400 naming `cursor`, and never reaches the database.
 */
export const Cursor = z
  .string()
  .transform((value, ctx) => {
    const position = decodeCursor(value);
    if (!position) {
      ctx.issues.push({ code: "custom", message: CURSOR_MESSAGE, input: value });
      return z.NEVER;
    }
    return position;
  })
  .describe("The `next` value of the previous page");
