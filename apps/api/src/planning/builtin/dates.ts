/**
 * Dates in plain words: ISO dates, "March 3, 2026", "3 March", "in March", "yesterday", "last 7 days",
 * "this month", "since 2026-01-01", "between X and Y". Relative dates count from `today` (UTC), and
 * "the last N days" means the N whole days before today.
 */

import { NUMBER_WORDS } from "./number-words.js";

export type DateUnit = "day" | "week" | "month" | "year";

type DateValue =
  | { kind: "range"; start: string; end: string; amount?: number; unit?: DateUnit }
  | { kind: "start" | "end" | "single"; date: string };

export type DateMention = DateValue & {
  /** Where it was found in the text, so the words are not read again as numbers. */
  span: [number, number];
};

const DAY_MS = 86_400_000;
const MONTHS = [
  "january",
  "february",
  "march",
  "april",
  "may",
  "june",
  "july",
  "august",
  "september",
  "october",
  "november",
  "december",
];
const MONTH = `(?:${MONTHS.map((m) => `${m.slice(0, 3)}${m.length > 3 ? `(?:${m.slice(3)})?` : ""}`).join("|")})\\.?`;
/** "a week", "an hour": the article counts one. */
const AMOUNT_WORDS: Readonly<Record<string, number>> = { a: 1, an: 1, ...NUMBER_WORDS };
const AMOUNT = `(\\d{1,4}|${Object.keys(AMOUNT_WORDS).join("|")})`;

const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const utcDay = (d: Date) => Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
const monthIndex = (name: string) => MONTHS.findIndex((m) => m.startsWith(name.toLowerCase().slice(0, 3)));
const lastDayOfMonth = (year: number, month: number) => iso(Date.UTC(year, month + 1, 0));

/** One absolute or named date, as written; the source of the regular expressions below. */
const DATE = [
  "\\d{4}-\\d{2}-\\d{2}(?:[T ]\\d{2}:\\d{2}(?::\\d{2}(?:\\.\\d+)?)?(?:Z|[+-]\\d{2}:?\\d{2})?)?",
  `${MONTH}\\s+\\d{1,2}(?!\\d)(?:st|nd|rd|th)?(?:,?\\s+\\d{4})?`,
  `\\d{1,2}(?:st|nd|rd|th)?\\s+(?:of\\s+)?${MONTH}(?:,?\\s+\\d{4})?`,
  "today",
  "yesterday",
  "tomorrow",
].join("|");

/** Reads one date expression (matched by DATE) into YYYY-MM-DD; undefined when it is not a real date. */
function readDate(text: string, today: number): string | undefined {
  const t = text.trim().toLowerCase();
  if (t === "today") return iso(today);
  if (t === "yesterday") return iso(today - DAY_MS);
  if (t === "tomorrow") return iso(today + DAY_MS);
  const isoMatch = /^(\d{4})-(\d{2})-(\d{2})/.exec(t);
  let year: number;
  let month: number;
  let day: number;
  if (isoMatch) {
    year = Number(isoMatch[1]);
    month = Number(isoMatch[2]) - 1;
    day = Number(isoMatch[3]);
  } else {
    const named =
      /^([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?$/.exec(t) ??
      /^(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([a-z]+)\.?(?:,?\s+(\d{4}))?$/.exec(t);
    if (!named) return undefined;
    const [monthName, dayText] = /^\d/.test(named[1]!) ? [named[2]!, named[1]!] : [named[1]!, named[2]!];
    month = monthIndex(monthName);
    day = Number(dayText);
    year = named[3] ? Number(named[3]) : new Date(today).getUTCFullYear();
  }
  const ms = Date.UTC(year, month, day);
  const check = new Date(ms);
  if (month < 0 || check.getUTCMonth() !== month || check.getUTCDate() !== day) return undefined;
  return iso(ms);
}

/** Two dates as a range, whichever was written first (ISO dates sort as text). */
function rangeOf(a: string, b: string): DateValue {
  const [start, end] = [a, b].sort();
  return { kind: "range", start: start!, end: end! };
}

/** Finds every date in `text` (earliest first), given today's date. */
export function extractDates(text: string, now: Date): DateMention[] {
  const today = utcDay(now);
  const found: DateMention[] = [];
  const taken: [number, number][] = [];
  const free = (start: number, end: number) => taken.every(([a, b]) => end <= a || start >= b);
  const scan = (pattern: RegExp, read: (m: RegExpExecArray) => DateValue | undefined) => {
    for (const m of text.matchAll(new RegExp(pattern.source, "gi"))) {
      const start = m.index;
      const end = start + m[0].length;
      if (!free(start, end)) continue;
      const mention = read(m);
      if (!mention) continue;
      taken.push([start, end]);
      found.push({ ...mention, span: [start, end] });
    }
  };
  const D = `(${DATE})`;

  scan(
    new RegExp(`\\b(?:between|from)\\s+${D}\\s+(?:and|to|until|till|through|thru|-|–)\\s+${D}\\b`),
    (m) => {
      const a = readDate(m[1]!, today);
      const b = readDate(m[2]!, today);
      return a && b ? rangeOf(a, b) : undefined;
    },
  );
  scan(new RegExp(`\\b${D}\\s+(?:to|until|till|through|thru|-|–)\\s+${D}\\b`), (m) => {
    const a = readDate(m[1]!, today);
    const b = readDate(m[2]!, today);
    return a && b ? rangeOf(a, b) : undefined;
  });
  scan(
    new RegExp(
      `\\b(?:(?:in|over|during|for|from)\\s+)?(?:the\\s+)?(?:last|past|previous|recent)\\s+${AMOUNT}\\s+(day|week|month|year)s?\\b`,
    ),
    (m) => {
      const amount = AMOUNT_WORDS[m[1]!.toLowerCase()] ?? Number(m[1]);
      const unit = m[2]!.toLowerCase() as DateUnit;
      if (!(amount > 0)) return undefined;
      const end = today - DAY_MS;
      const startDate = new Date(today);
      if (unit === "day") startDate.setTime(today - amount * DAY_MS);
      else if (unit === "week") startDate.setTime(today - amount * 7 * DAY_MS);
      else if (unit === "month") startDate.setUTCMonth(startDate.getUTCMonth() - amount);
      else startDate.setUTCFullYear(startDate.getUTCFullYear() - amount);
      return { kind: "range", start: iso(startDate.getTime()), end: iso(end), amount, unit };
    },
  );
  scan(/\b(?:(?:in|over|during|for)\s+)?(?:the\s+)?past\s+(day|week|month|year)\b/, (m) => {
    const unit = m[1]!.toLowerCase() as DateUnit;
    const days = { day: 1, week: 7, month: 30, year: 365 }[unit];
    return { kind: "range", start: iso(today - days * DAY_MS), end: iso(today - DAY_MS), amount: 1, unit };
  });
  scan(/\b(?:(?:in|during|for|from)\s+)?(this|last|previous)\s+(week|month|year)\b/, (m) => {
    const which = m[1]!.toLowerCase();
    const unit = m[2]!.toLowerCase();
    const d = new Date(today);
    if (unit === "week") {
      const monday = today - ((d.getUTCDay() + 6) % 7) * DAY_MS;
      return which === "this"
        ? { kind: "range", start: iso(monday), end: iso(today) }
        : { kind: "range", start: iso(monday - 7 * DAY_MS), end: iso(monday - DAY_MS) };
    }
    if (unit === "month") {
      const y = d.getUTCFullYear();
      const mo = d.getUTCMonth();
      return which === "this"
        ? { kind: "range", start: iso(Date.UTC(y, mo, 1)), end: iso(today) }
        : { kind: "range", start: iso(Date.UTC(y, mo - 1, 1)), end: lastDayOfMonth(y, mo - 1) };
    }
    const y = d.getUTCFullYear() - (which === "this" ? 0 : 1);
    return { kind: "range", start: `${y}-01-01`, end: which === "this" ? iso(today) : `${y}-12-31` };
  });
  scan(new RegExp(`\\b(?:since|after|from|starting(?:\\s+on|\\s+from)?)\\s+${D}`), (m) => {
    const date = readDate(m[1]!, today);
    return date ? { kind: "start", date } : undefined;
  });
  scan(new RegExp(`\\b(?:until|till|before|through|up\\s+to|by)\\s+${D}`), (m) => {
    const date = readDate(m[1]!, today);
    return date ? { kind: "end", date } : undefined;
  });
  scan(new RegExp(`(?:\\bon\\s+)?${D}`), (m) => {
    const date = readDate(m[1]!, today);
    return date ? { kind: "single", date } : undefined;
  });
  scan(new RegExp(`\\b(?:in\\s+)?(${MONTH})(?:\\s+(\\d{4}))?\\b(?!\\s+\\d)`), (m) => {
    // "in March", "March 2026": the whole month. Bare "may" is too often the verb.
    const name = m[1]!.toLowerCase();
    if (name.startsWith("may") && !m[2] && !/^in\s/i.test(m[0])) return undefined;
    if (!m[2] && !/^in\s/i.test(m[0]) && name.length < 4) return undefined;
    const month = monthIndex(name);
    const thisYear = new Date(today).getUTCFullYear();
    const year = m[2] ? Number(m[2]) : Date.UTC(thisYear, month, 1) > today ? thisYear - 1 : thisYear;
    return { kind: "range", start: iso(Date.UTC(year, month, 1)), end: lastDayOfMonth(year, month) };
  });
  return found.sort((a, b) => a.span[0] - b.span[0]);
}
