import { z } from "zod";

export const Timestamp = z.iso.datetime().describe("ISO 8601 timestamp in UTC");
/** An id in an answer. Ids in a request are read with `entityId`. */
export const Id = z.string().min(1).max(64).describe("Opaque identifier (a UUID)");
export const StatusOk = z.object({ status: z.literal("ok") });

// Everything but C0 controls and DEL (MULTI_LINE: but tab, LF and CR too).
// biome-ignore lint/suspicious/noControlCharactersInRegex: naming control characters is the point
const SINGLE_LINE = /^[^\u0000-\u001f\u007f]*$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: naming control characters is the point
const MULTI_LINE = /^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/;

/**
 * A string input that can never hold a control character: names, URLs, keys, tokens, codes, query
 * values. NUL, CR/LF and friends are never valid in them; a NUL would also make PostgreSQL fail (22021)
 * and a CR/LF would split an HTTP header. Every free-text string input of the API is one of these (or
 * `multiLine`); inputs with a stricter pattern (usernames, OTP codes, header names) exclude them anyway.
 */
export const singleLine = () =>
  z
    .string()
    .regex(SINGLE_LINE, "must not contain control characters (NUL, tab, line breaks, …)")
    .regex(WELL_FORMED, WELL_FORMED_MESSAGE);

/** Free text that may span lines (tab, LF and CR allowed), still without NUL or other control characters. */
export const multiLine = () =>
  z
    .string()
    .regex(MULTI_LINE, "must not contain NUL or control characters other than tab and line breaks")
    .regex(WELL_FORMED, WELL_FORMED_MESSAGE);

/**
 * Well-formed UTF-16: no lone surrogate halves. JSON can carry them (`"\udfff"`) but they are not
 * text — PostgreSQL refuses them (22P05), so they are refused here, before anything is stored.
 */
const WELL_FORMED = /^(?:[^\uD800-\uDFFF]|[\uD800-\uDBFF][\uDC00-\uDFFF])*$/;
const WELL_FORMED_MESSAGE = "must be valid Unicode text (it holds a lone surrogate half)";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Zod issue params that mark a malformed id: the API answers it as the resource's 404. */
export interface NotFoundIssueParams {
  notFound: string;
}

/**
 * The id of a resource in a path or input. Our ids are UUIDs (v7); a string that is not one names
 * nothing, so it fails with params `{ notFound: resource }`, which the API answers exactly like a
 * missing resource (404 NOT_FOUND) — it never reaches the database.
 */
export function entityId(resource: string) {
  return z
    .string()
    .refine((value) => UUID.test(value), {
      message: `${resource} not found.`,
      params: { notFound: resource } satisfies NotFoundIssueParams,
    })
    .meta({ format: "uuid", description: `Id of the ${resource} (a UUID)` });
}
