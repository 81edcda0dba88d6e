/** UTC date helpers. Dates are handled as `YYYY-MM-DD` strings or epoch milliseconds. */

export const DAY_MS = 24 * 60 * 60 * 1000;

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** `YYYY-MM-DD` of the given instant, in UTC. */
export function toIsoDate(value: number | Date): string {
  return new Date(value).toISOString().slice(0, 10);
}

/** Today's date in UTC as `YYYY-MM-DD`. */
export function todayUtc(): string {
  return toIsoDate(Date.now());
}

/** Midnight UTC (epoch ms) of a `YYYY-MM-DD` date. Throws on malformed input. */
export function startOfDay(isoDate: string): number {
  const ms = Date.parse(`${isoDate}T00:00:00.000Z`);
  if (!DATE_ONLY.test(isoDate) || Number.isNaN(ms)) throw new Error(`Not a YYYY-MM-DD date: ${isoDate}`);
  return ms;
}

/** Adds `days` (may be negative) to a `YYYY-MM-DD` date. */
export function addDays(isoDate: string, days: number): string {
  return toIsoDate(startOfDay(isoDate) + days * DAY_MS);
}

/** Every `YYYY-MM-DD` from `from` to `to`, both inclusive (empty when from > to). */
export function eachDay(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = startOfDay(from); t <= startOfDay(to); t += DAY_MS) out.push(toIsoDate(t));
  return out;
}

export interface DateRange {
  /** Inclusive lower bound, epoch ms. */
  startMs: number;
  /** Inclusive upper bound, epoch ms. */
  endMs: number;
}

export type DateRangeResult = { ok: true; range: DateRange } | { ok: false; error: string };

/**
 * Parses an optional ISO date/date-time pair. A date-only `end_date` covers the whole day.
 * Missing bounds fall back to the given defaults. Returns a readable error for bad input.
 */
export function parseDateRange(
  startInput: string | undefined,
  endInput: string | undefined,
  defaults: DateRange,
): DateRangeResult {
  const parse = (input: string, name: string, endOfDay: boolean): number | string => {
    const trimmed = input.trim();
    if (DATE_ONLY.test(trimmed)) {
      const ms = Date.parse(`${trimmed}T00:00:00.000Z`);
      if (Number.isNaN(ms) || toIsoDate(ms) !== trimmed) {
        return `${name} "${input}" is not a valid calendar date (expected YYYY-MM-DD)`;
      }
      return endOfDay ? ms + DAY_MS - 1 : ms;
    }
    const ms = /^\d{4}-\d{2}-\d{2}T/.test(trimmed) ? Date.parse(trimmed) : Number.NaN;
    if (Number.isNaN(ms)) {
      return `${name} "${input}" is not a valid ISO 8601 date (expected YYYY-MM-DD or a full ISO date-time)`;
    }
    return ms;
  };
  let startMs = defaults.startMs;
  let endMs = defaults.endMs;
  if (startInput !== undefined) {
    const parsed = parse(startInput, "start_date", false);
    if (typeof parsed === "string") return { ok: false, error: `Invalid date range: ${parsed}.` };
    startMs = parsed;
  }
  if (endInput !== undefined) {
    const parsed = parse(endInput, "end_date", true);
    if (typeof parsed === "string") return { ok: false, error: `Invalid date range: ${parsed}.` };
    endMs = parsed;
  }
  if (startMs > endMs) {
    return {
      ok: false,
      error: `Invalid date range: start_date (${new Date(startMs).toISOString()}) is after end_date (${new Date(endMs).toISOString()}).`,
    };
  }
  return { ok: true, range: { startMs, endMs } };
}
