/**
 * Words as the built-in planner compares them: identifiers split (`query_signups`, `fetchSampleApi`,
 * `get-weather`), lower-cased, stop words dropped, lightly stemmed, and a few synonyms folded onto
 * one word, so "fetch the latest sign-ups" and the tool `get_recent_signups` meet.
 */

const STOP_WORDS = new Set(
  (
    "a an the and or but if then else of for to from in on at by with without into onto over under " +
    "about as is are was were be been being am do does did done have has had having it its it's this " +
    "that these those there here i me my mine we us our you your he she they them their his her what " +
    "which who whom whose when where why how can could would should will shall may might must please " +
    "kindly just also too very really some any all each every both either neither no not nor so than " +
    "such only own same other another more most much many few lot lots let lets want wanted need needs " +
    "like would i'd i'm we'd give tell thing things something stuff up out off via per using use used " +
    "well now today's okay ok hey hi hello thanks thank whatever"
  ).split(/\s+/),
);

/**
 * Words that mean the same to a tool catalogue, folded onto the first of each group. Kept to the
 * vocabulary tools describe themselves with, not to any one server.
 */
const SYNONYM_GROUPS = [
  ["get", "fetch", "retrieve", "load", "pull", "obtain"],
  ["find", "search", "lookup", "look"],
  ["recent", "latest", "newest"],
  ["chart", "plot", "diagram", "visualize", "visualization", "visual", "graph", "histogram"],
  ["analyze", "analysis", "analyse", "analytics"],
  ["summarize", "summary", "summarise", "digest", "recap"],
  ["delete", "remove", "erase", "purge", "wipe", "destroy"],
  ["create", "make", "generate", "produce", "compose", "build", "built", "draft"],
  ["email", "mail", "e-mail"],
  ["issue", "ticket", "bug"],
  ["revenue", "sales", "income", "earnings"],
  ["signup", "registration", "register"],
  ["user", "customer"],
  ["run", "execute", "launch", "trigger"],
  ["update", "modify", "edit", "change"],
  ["audio", "sound", "sonify", "listen"],
  ["pause", "wait", "sleep", "delay"],
];

/** Verbs, by what they do: a request's verb must not contradict what a tool does. */
const VERB_CLASS_WORDS: Record<string, string[]> = {
  read: [
    "get",
    "find",
    "query",
    "list",
    "show",
    "display",
    "read",
    "check",
    "count",
    "see",
    "view",
    "analyze",
    "inspect",
    "examine",
    "review",
    "explore",
    "summarize",
    "compute",
    "calculate",
    "measure",
    "monitor",
    "track",
    "investigate",
    "study",
    "assess",
    "evaluate",
    "compare",
    "filter",
  ],
  create: ["create", "render", "draw", "prepare", "compile", "write", "add", "design"],
  send: ["send", "email", "post", "notify", "message", "share", "publish", "upload", "submit", "forward"],
  delete: ["delete", "clear", "drop", "reset", "cancel", "clean"],
  update: ["update", "rename", "set", "configure", "adjust", "connect", "link", "enable", "disable"],
  run: ["run", "start", "simulate", "pause", "play", "test", "try"],
  export: ["export", "save", "download", "convert", "archive", "backup"],
};

/** Verb classes that may stand for one another (reading a chart is fine; deleting while reading is not). */
const COMPATIBLE: Record<string, string[]> = {
  read: ["read", "run", "create", "export"],
  create: ["create", "read", "export", "run"],
  send: ["send"],
  delete: ["delete"],
  update: ["update", "create"],
  run: ["run", "read", "create"],
  export: ["export", "create"],
};

/** Nouns too vague to make a tool the one a request asks for on their own. */
const GENERIC_WORDS = [
  "data",
  "info",
  "information",
  "result",
  "item",
  "value",
  "number",
  "detail",
  "tool",
  "server",
  "way",
  "time",
  "day",
  "week",
  "month",
  "year",
  "last",
  "first",
  "next",
  "recent",
  "new",
  "default",
  "option",
  "field",
  "output",
  "input",
  "request",
  "response",
];

/** The verb class of a (stemmed, canonical) word, when it is a verb. */
export const verbClass = (term: string): string | undefined => CLASS_OF.get(term);
export const isVerb = (term: string) => CLASS_OF.has(term);
export const isGeneric = (term: string) => GENERIC.has(term);
export const compatibleVerbs = (requested: string, offered: string) =>
  (COMPATIBLE[requested] ?? [requested]).includes(offered);

/** `fetchSampleAPI_v2-beta` → ["fetch", "sample", "api", "v2", "beta"] */
export function splitIdentifier(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
}

/** A light stemmer: plurals, -ing, -ed, -ly, -ise/-ize families; enough to let word forms meet. */
export function stem(word: string): string {
  let w = word.toLowerCase();
  if (w.length <= 3) return w;
  if (/(ysis|yses)$/.test(w)) return `${w.replace(/(ysis|yses)$/, "")}yz`;
  if (w.endsWith("ies") && w.length > 4) w = `${w.slice(0, -3)}y`;
  else if (/(ss|us|is)$/.test(w)) {
    // class, status, analysis: not plurals
  } else if (/(ches|shes|xes|zes|sses)$/.test(w)) w = w.slice(0, -2);
  else if (w.endsWith("s") && w.length > 3) w = w.slice(0, -1);
  if (w.endsWith("ing") && w.length > 5) {
    w = w.slice(0, -3);
    if (/([b-df-hj-np-tv-z])\1$/.test(w) && !/(ll|ss|zz)$/.test(w)) w = w.slice(0, -1);
  } else if (w.endsWith("ed") && w.length > 4) {
    w = w.slice(0, -2);
    if (/([b-df-hj-np-tv-z])\1$/.test(w) && !/(ll|ss|zz)$/.test(w)) w = w.slice(0, -1);
  } else if (w.endsWith("ly") && w.length > 5) w = w.slice(0, -2);
  w = w.replace(/(isation|ization)$/, "iz").replace(/(ise|ize|iz)$/, "iz");
  w = w.replace(/(yse|yze|yz)$/, "yz");
  if (w.endsWith("e") && w.length > 3) w = w.slice(0, -1);
  return w;
}

const SYNONYMS = new Map<string, string>();
for (const [first, ...others] of SYNONYM_GROUPS) for (const w of others) SYNONYMS.set(stem(w), stem(first!));

/** The canonical form of one word. */
export function canonical(word: string): string {
  const s = stem(word);
  return SYNONYMS.get(s) ?? s;
}

const CLASS_OF = new Map<string, string>();
for (const [cls, verbs] of Object.entries(VERB_CLASS_WORDS))
  for (const v of verbs) CLASS_OF.set(canonical(v), cls);
const GENERIC = new Set(GENERIC_WORDS.map(canonical));

/** Joins spellings that would otherwise split into two words ("sign up", "e-mail", "set up"). */
function normalisePhrases(text: string): string {
  return text
    .replace(/\bsign[\s-]?ups?\b/gi, "signups")
    .replace(/\be-?mails?\b/gi, "email")
    .replace(/\blook[\s-]?up\b/gi, "lookup")
    .replace(/\bbar charts?\b/gi, "chart")
    .replace(/\bpdfs?\b/gi, "pdf report");
}

/** Canonical words of a text (identifiers inside it split too), stop words dropped. */
export function terms(text: string): string[] {
  const out: string[] = [];
  for (const raw of normalisePhrases(text).split(/[^A-Za-z0-9'_-]+/)) {
    if (!raw) continue;
    for (const word of splitIdentifier(raw.replace(/'s$/, ""))) {
      if (STOP_WORDS.has(word) || /^\d+$/.test(word)) continue;
      out.push(canonical(word));
    }
  }
  return out;
}

/** Plain words of a text, lower-cased, in order (for phrase-level matching). */
export function words(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^a-z0-9@._'-]+/)
    .map((w) => w.replace(/^[._'-]+|[._'-]+$/g, ""))
    .filter(Boolean);
}

export const isStopWord = (word: string) => STOP_WORDS.has(word.toLowerCase());
