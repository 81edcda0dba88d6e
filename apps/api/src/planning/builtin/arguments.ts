import type { DateMention, DateUnit } from "./dates.js";
import type { Param } from "./schema.js";
import { canonical, isStopWord, terms } from "./text.js";
import type { Extracted, NumberMention } from "./values.js";

/** What filling a tool's arguments from one step of a request came to. */
export interface Filled {
  args: Record<string, unknown>;
  /** Required arguments the request does not give (and the schema has no default for). */
  missing: Param[];
  /** A single-valued choice the request names several values of: one node per value. */
  fanOut?: { param: string; values: string[] };
}

const LIMIT_WORDS = new Set([
  "top",
  "first",
  "limit",
  "max",
  "maximum",
  "latest",
  "newest",
  "recent",
  "last",
]);
const LIMIT_PARAMS = ["limit", "max", "top", "count", "size", "n", "number", "page_size", "per_page", "rows"];
/** Words in a yes/no argument's name that say nothing about what it switches ("includeArchived"). */
const SWITCH_FILLER = new Set(["is", "should", "include", "enable", "allow", "use", "with", "has", "show"]);
const NEGATIONS = new Set(["no", "not", "without", "don't", "dont", "exclude", "excluding", "skip", "never"]);
const UNIT_DAYS: Record<DateUnit, number> = { day: 1, week: 7, month: 30, year: 365 };
/** Words after which the rest of a phrase names a subject ("about login failures"). */
const SUBJECT_CUES =
  /\b(?:about|regarding|concerning|mentioning|matching|containing|on the topic of|for the topic)\s+(.+)$/i;
const NAMING_CUES = /\b(?:titled|entitled|called|named|with (?:the )?(?:title|subject|name))\s+(.+)$/i;
const PHRASE_STOP =
  /\s+(?:from|since|until|between|during|in the (?:last|past)|for the (?:last|past)|to\s+\S+@|and|then|with|by|limit|top|first|as|using|into|created|updated|modified|due|assigned|labell?ed|tagged|sorted|ordered)\b.*$/i;

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const capitalise = (s: string) => (/^https?:/.test(s) ? s : s.charAt(0).toUpperCase() + s.slice(1));

/** "login failures, please" → "login failures": a phrase cut at the next clause-ish word. */
function phrase(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const cut = text
    .split(/[,;]|\s{2,}/)[0]!
    .replace(PHRASE_STOP, "")
    .replace(/[.!?]+$/, "")
    .replace(/^(?:the|a|an|some|our|my)\s+/i, "")
    .trim();
  return cut && cut.length <= 200 ? cut : undefined;
}

/** Positions of an enum value in the text ("marketing_spend" is found as "marketing spend" too). */
function findValue(text: string, value: string): number {
  const spaced = value.replace(/[_-]+/g, " ").trim();
  for (const form of new Set([value, spaced, `${spaced}s`])) {
    const m = new RegExp(`(?<![\\w-])${escapeRegExp(form)}(?![\\w-])`, "i").exec(text);
    if (m) return m.index;
  }
  return -1;
}

/** The words a numeric argument is counted in: its name and the nouns of its description. */
function unitWords(param: Param): Set<string> {
  const out = new Set<string>(param.nameWords.map(canonical));
  const m = /\b(?:number of|how many|count of|maximum number of|max(?:imum)? of)\s+([a-z]+)/i.exec(
    param.description,
  );
  if (m) out.add(canonical(m[1]!));
  if (param.nameWords.includes("ms") || /\bmillisecond/i.test(param.description))
    out.add("ms").add("millisecond");
  if (param.nameWords.some((w) => ["second", "sec", "seconds"].includes(w)))
    out.add("s").add("second").add("sec");
  if (param.nameWords.some((w) => ["minute", "min"].includes(w))) out.add("minut").add("m");
  return out;
}

function fitsNumber(param: Param, value: number): boolean {
  return param.type !== "integer" || Number.isInteger(value);
}

/** Which date to use for an argument, given its role and the dates the request names. */
function dateFor(param: Param, dates: DateMention[], hasStart: boolean, hasEnd: boolean): string | undefined {
  const pick = (role: "start" | "end") => {
    for (const d of dates) {
      if (d.kind === "range") return role === "start" ? d.start : d.end;
      if (d.kind === role) return d.date;
      if (d.kind === "single") return d.date;
    }
    return undefined;
  };
  if (param.dateRole === "start") {
    const d = dates.find((x) => x.kind !== "end");
    return d ? pick("start") : undefined;
  }
  if (param.dateRole === "end") {
    const d = dates.find((x) => x.kind !== "start");
    return d ? pick("end") : undefined;
  }
  // A lone date argument (a due date, a day): the single date named, or the end of a range when
  // the tool has no start to put its beginning in.
  const single = dates.find((d) => d.kind === "single" || d.kind === "end" || d.kind === "start");
  if (single && single.kind !== "range") return single.date;
  const range = dates.find((d) => d.kind === "range");
  if (range?.kind === "range") return hasStart && !hasEnd ? range.end : range.start;
  return undefined;
}

const asDateTime = (date: string, end: boolean) =>
  date.length > 10 ? date : `${date}T${end ? "23:59:59" : "00:00:00"}Z`;

/**
 * Fills a tool's arguments from one step of a request: enum values named in the text, emails and
 * URLs, dates and relative dates, countries, numbers by the words around them, quoted strings by
 * the word before them, yes/no switches named in the text, subjects after "about", and schema
 * defaults. It never makes up a required value: what it cannot find is reported as missing.
 */
export function fillArguments(
  params: Param[],
  found: Extracted,
  hints: {
    /**
     * What the step's input is about, for a title the request implies (a report on "the latest
     * signups" is titled so). Only for steps that work on earlier results: a title of its own is
     * never made up.
     */
    subject?: string | undefined;
    /** Arguments already decided (results of earlier steps). */
    preset?: Record<string, unknown>;
  } = {},
): Filled {
  const args: Record<string, unknown> = { ...hints.preset };
  let fanOut: Filled["fanOut"];
  const lower = found.rest.toLowerCase();
  const requestTerms = new Set(terms(found.rest));
  const set = (p: Param, value: unknown) => {
    if (args[p.name] === undefined) args[p.name] = value;
  };

  // Arguments choosing from the same values ("from"/"to" currencies) share the mentions: a value
  // right after an argument's name goes to it ("to EUR"), the rest in the order they were written.
  const taken = new Set<number>();
  const mentions = (p: Param) =>
    p
      .enumValues!.map((v) => ({ v, at: findValue(lower, v) }))
      .filter((x) => x.at >= 0 && !taken.has(x.at))
      .sort((a, b) => a.at - b.at);
  const enumParams = params.filter((p) => p.enumValues);
  const shared = (p: Param) =>
    enumParams.some((o) => o !== p && o.enumValues!.join("\u0000") === p.enumValues!.join("\u0000"));
  for (const p of enumParams.filter(shared)) {
    const cued = mentions(p).find((x) => {
      const before = lower.slice(0, x.at).trim().split(/\s+/).at(-1) ?? "";
      return p.nameWords.includes(before) || (before === "into" && p.nameWords.includes("to"));
    });
    if (cued) {
      set(p, cued.v);
      taken.add(cued.at);
    }
  }
  for (const p of enumParams) {
    if (args[p.name] !== undefined) continue;
    const hits = mentions(p);
    const named = hits.map((x) => x.v);
    if (named.length === 0) continue;
    if (shared(p)) {
      set(p, named[0]);
      taken.add(hits[0]!.at);
      continue;
    }
    if (p.type === "array") set(p, named);
    else {
      set(p, named[0]);
      if (named.length > 1 && !fanOut) fanOut = { param: p.name, values: named };
    }
  }

  const emails = [...found.emails];
  for (const p of params.filter((x) => x.isEmail && x.type === "array"))
    if (emails.length) set(p, emails.splice(0));
  for (const p of params.filter((x) => x.isEmail && x.type === "string"))
    if (emails.length) set(p, emails.shift());
  const urls = [...found.urls];
  for (const p of params.filter((x) => x.isUrl && x.type === "array"))
    if (urls.length) set(p, urls.splice(0));
  for (const p of params.filter((x) => x.isUrl && x.type === "string")) if (urls.length) set(p, urls.shift());

  const dateParams = params.filter((p) => p.dateRole && p.type === "string");
  const hasStart = dateParams.some((p) => p.dateRole === "start");
  const hasEnd = dateParams.some((p) => p.dateRole === "end");
  for (const p of dateParams) {
    const date = dateFor(p, found.dates, hasStart, hasEnd);
    if (date) set(p, p.dateTime ? asDateTime(date, p.dateRole === "end") : date.slice(0, 10));
  }

  const countryParams = params.filter((p) => p.isCountry);
  for (const p of countryParams) {
    if (found.countries.length === 0) continue;
    const wantsName = !/alpha-?2|iso|code|^\^\[a-z\]\{2\}\$$/i.test(
      `${p.description} ${p.schema.pattern ?? ""}`,
    );
    const names = new Intl.DisplayNames(["en"], { type: "region" });
    const values = found.countries.map((c) => (wantsName ? (names.of(c) ?? c) : c));
    if (p.type === "array") set(p, values);
    else {
      set(p, values[0]);
      if (values.length > 1 && !fanOut) fanOut = { param: p.name, values };
    }
  }

  const numeric = params.filter((p) => p.type === "integer" || p.type === "number");
  const numbers: (NumberMention | undefined)[] = [...found.numbers];
  const take = (p: Param, i: number) => {
    const n = numbers[i]!;
    if (args[p.name] !== undefined || !fitsNumber(p, n.value)) return false;
    args[p.name] = n.value;
    numbers[i] = undefined;
    return true;
  };
  // A relative range ("the last 14 days") fills a count of days when the tool takes no dates.
  for (const d of found.dates) {
    if (d.kind !== "range" || d.amount === undefined || !d.unit || dateParams.length > 0) continue;
    const p = numeric.find((x) => x.nameWords.some((w) => ["day", "week", "month", "year"].includes(w)));
    if (!p || args[p.name] !== undefined) continue;
    const unit = p.nameWords.find((w) => ["day", "week", "month", "year"].includes(w)) as DateUnit;
    set(p, Math.round((d.amount * UNIT_DAYS[d.unit]) / UNIT_DAYS[unit]));
  }
  // "50 steps", "10 rows", "timeout 30": the words around a number name the argument.
  for (const p of numeric) {
    const units = unitWords(p);
    const i = numbers.findIndex(
      (n) =>
        n !== undefined &&
        (n.after.slice(0, 1).some((w) => units.has(canonical(w)) || units.has(w)) ||
          n.before.slice(-1).some((w) => units.has(canonical(w)))),
    );
    if (i >= 0) take(p, i);
  }
  // "top 10", "the first 5": a count of results.
  for (const p of numeric) {
    if (!LIMIT_PARAMS.some((w) => p.name.toLowerCase() === w || p.nameWords.includes(w))) continue;
    const i = numbers.findIndex((n) => n?.before.some((w) => LIMIT_WORDS.has(w)));
    if (i >= 0) take(p, i);
  }
  // Whatever numbers are left go to required numbers in order, or to the only numeric argument.
  for (const p of numeric.filter((x) => x.required || numeric.length === 1)) {
    const i = numbers.findIndex((n) => n !== undefined);
    if (i >= 0) take(p, i);
  }

  const strings = params.filter(
    (p) => p.type === "string" && !p.enumValues && !p.dateRole && !p.isEmail && !p.isUrl && !p.isCountry,
  );
  for (const q of found.quotes) {
    const cue = q.before.filter((w) => !isStopWord(w)).map(canonical);
    const byName = strings.find(
      (p) =>
        args[p.name] === undefined &&
        p.nameWords.some(
          (w) =>
            cue.includes(canonical(w)) ||
            (p.isTitle && cue.some((c) => ["call", "nam", "titl", "entitl"].includes(c))),
        ),
    );
    const target =
      byName ??
      strings.find((p) => args[p.name] === undefined && p.isTitle) ??
      strings.find((p) => args[p.name] === undefined && p.isFreeText) ??
      strings.find((p) => args[p.name] === undefined && p.required && !p.schema.pattern);
    if (target) args[target.name] = q.value;
  }

  const textWords = lower.split(/[^a-z0-9'-]+/).filter(Boolean);
  for (const p of params.filter((x) => x.type === "boolean")) {
    const key = p.nameWords.filter((w) => !SWITCH_FILLER.has(w)).map(canonical);
    if (key.length === 0 || !key.every((w) => requestTerms.has(w))) continue;
    const at = textWords.findIndex((w) => canonical(w) === key[0]);
    const before = at >= 0 ? textWords.slice(Math.max(0, at - 3), at) : [];
    set(p, !before.some((w) => NEGATIONS.has(w)));
  }

  const named = phrase(NAMING_CUES.exec(found.rest)?.[1]);
  const about = phrase(SUBJECT_CUES.exec(found.rest)?.[1]);
  for (const p of strings) {
    if (args[p.name] !== undefined) continue;
    if (p.isTitle && named) set(p, named);
    else if (p.isTitle && hints.subject && p.required) set(p, capitalise(hints.subject));
    else if (
      p.isFreeText &&
      about &&
      (p.required || /\b(query|search|q|keyword|topic)\b/.test(p.nameWords.join(" ")))
    )
      set(p, about);
    else if (p.isTitle && about && p.required) set(p, capitalise(about));
  }

  for (const p of params) {
    if (args[p.name] !== undefined) continue;
    if (p.schema.default !== undefined) args[p.name] = p.schema.default;
    else if (p.required && p.schema.const !== undefined) args[p.name] = p.schema.const;
    else if (p.required && p.enumValues?.length === 1) args[p.name] = p.enumValues[0];
  }

  const missing = params.filter((p) => p.required && args[p.name] === undefined);
  return { args, missing, ...(fanOut ? { fanOut } : {}) };
}
