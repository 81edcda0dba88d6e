import { type DateMention, extractDates } from "./dates.js";
import { NUMBER_WORDS } from "./number-words.js";

/** A number in the request, with the words around it (they say what it counts: "10 rows", "top 5"). */
export interface NumberMention {
  value: number;
  before: string[];
  after: string[];
}

/** Everything the built-in planner can read out of one step of a request. */
export interface Extracted {
  quotes: { value: string; before: string[] }[];
  emails: string[];
  urls: string[];
  dates: DateMention[];
  numbers: NumberMention[];
  /** ISO 3166-1 alpha-2 codes of the countries named, in order. */
  countries: string[];
  /** The text with quotes, addresses and dates blanked out: what is left to match words against. */
  rest: string;
}

const QUOTE = /"([^"]+)"|“([^”]+)”|'([^']+)'(?![a-z])|‘([^’]+)’|`([^`]+)`/g;
const URL_PATTERN = /\bhttps?:\/\/[^\s"'<>`]+[^\s"'<>`.,;:!?)\]]/gi;
const EMAIL = /\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b/g;
const NUMBER = /(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(k|ms|s|m|h|d|%)?(?![\w])/gi;

/** Uppercase two-letter words that are far more often English than a country. */
const NOT_COUNTRY_CODES = new Set([
  "IT",
  "IN",
  "NO",
  "BY",
  "TO",
  "AS",
  "AT",
  "BE",
  "DO",
  "GO",
  "IS",
  "ME",
  "MY",
  "OR",
  "SO",
  "UP",
  "AM",
  "AN",
  "HI",
  "OK",
  "ID",
  "PM",
]);
const COUNTRY_ALIASES: Record<string, string> = {
  usa: "US",
  "u.s.": "US",
  "u.s.a.": "US",
  america: "US",
  "united states of america": "US",
  uk: "GB",
  "u.k.": "GB",
  britain: "GB",
  "great britain": "GB",
  england: "GB",
  holland: "NL",
  "south korea": "KR",
  korea: "KR",
  russia: "RU",
};

/** Codes ICU still names that are withdrawn, reserved or not countries (DD "Germany", FX "France", EU). */
const NOT_COUNTRIES = new Set([
  "AN",
  "BU",
  "CS",
  "DD",
  "EU",
  "EZ",
  "FX",
  "NT",
  "QO",
  "SU",
  "TP",
  "UN",
  "XA",
  "XB",
  "YD",
  "YU",
  "ZR",
  "ZZ",
]);

let countryNames: [string, string][] | undefined;
/** Every region name Node's ICU knows (English), longest first, mapped to its code. */
function countries(): [string, string][] {
  if (!countryNames) {
    const names = new Intl.DisplayNames(["en"], { type: "region" });
    const map = new Map<string, string>(Object.entries(COUNTRY_ALIASES));
    for (let a = 65; a <= 90; a++) {
      for (let b = 65; b <= 90; b++) {
        const code = String.fromCharCode(a, b);
        if (NOT_COUNTRIES.has(code)) continue;
        let name: string | undefined;
        try {
          name = names.of(code);
        } catch {
          name = undefined;
        }
        if (name && name !== code && !/unknown/i.test(name) && !map.has(name.toLowerCase()))
          map.set(name.toLowerCase(), code);
      }
    }
    countryNames = [...map].sort((x, y) => y[0].length - x[0].length);
  }
  return countryNames;
}
export const isCountryCode = (code: string) => countries().some(([, c]) => c === code.toUpperCase());

const blank = (text: string, start: number, end: number) =>
  text.slice(0, start) + " ".repeat(end - start) + text.slice(end);

const wordsOf = (text: string) =>
  text
    .toLowerCase()
    .split(/[^a-z0-9_-]+/)
    .filter(Boolean);

/** Reads quotes, addresses, dates, numbers and countries out of a step of a request. */
export function extractValues(text: string, now: Date): Extracted {
  let rest = text;
  const quotes: Extracted["quotes"] = [];
  for (const m of text.matchAll(QUOTE)) {
    const value = (m[1] ?? m[2] ?? m[3] ?? m[4] ?? m[5] ?? "").trim();
    if (!value) continue;
    quotes.push({ value, before: wordsOf(text.slice(0, m.index)).slice(-3) });
    rest = blank(rest, m.index, m.index + m[0].length);
  }
  const urls: string[] = [];
  for (const m of rest.matchAll(URL_PATTERN)) {
    urls.push(m[0]);
    rest = blank(rest, m.index, m.index + m[0].length);
  }
  const emails: string[] = [];
  for (const m of rest.matchAll(EMAIL)) {
    emails.push(m[0]);
    rest = blank(rest, m.index, m.index + m[0].length);
  }
  const dates = extractDates(rest, now);
  for (const d of dates) {
    // A relative range keeps its number readable for tools that count days instead of taking dates.
    rest = blank(rest, d.span[0], d.span[1]);
  }

  const numbers: NumberMention[] = [];
  const numberPattern = new RegExp(`${NUMBER.source}|\\b(${Object.keys(NUMBER_WORDS).join("|")})\\b`, "gi");
  for (const m of rest.matchAll(numberPattern)) {
    const value = m[4]
      ? NUMBER_WORDS[m[4].toLowerCase()]!
      : Number(`${m[1]!.replace(/,/g, "")}${m[2] ?? ""}`) * (m[3]?.toLowerCase() === "k" ? 1000 : 1);
    const suffix = m[3] && m[3].toLowerCase() !== "k" ? [m[3].toLowerCase()] : [];
    numbers.push({
      value,
      before: wordsOf(rest.slice(0, m.index)).slice(-2),
      after: [...suffix, ...wordsOf(rest.slice(m.index + m[0].length)).slice(0, 2)],
    });
  }

  const found: { code: string; at: number }[] = [];
  let scan = ` ${rest.toLowerCase()} `;
  for (const [name, code] of countries()) {
    const pattern = new RegExp(`(?<=[^a-z])${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?=[^a-z])`, "g");
    for (const m of scan.matchAll(pattern)) {
      found.push({ code, at: m.index });
      scan = blank(scan, m.index, m.index + m[0].length);
    }
  }
  for (const m of rest.matchAll(/\b[A-Z]{2}\b/g)) {
    if (!NOT_COUNTRY_CODES.has(m[0]) && isCountryCode(m[0])) found.push({ code: m[0], at: m.index + 1 });
  }
  const codes = [...new Set(found.sort((a, b) => a.at - b.at).map((f) => f.code))];

  return { quotes, emails, urls, dates, numbers, countries: codes, rest };
}
