import { extractDates } from "./dates.js";

/** One step of a request, and how it joins the steps before it. */
export interface Step {
  text: string;
  /**
   * `then`: runs after the steps before it ("X, then Y"); `feeds`: works on their results ("X and
   * use it for Y"); `and`: alongside them ("X and Y").
   */
  link: "first" | "and" | "then" | "feeds";
  /** Split off at a bare "and"/comma that was not followed by a verb: only a step if it names a tool of its own. */
  soft: boolean;
  /** Mentions an earlier result ("it", "them", "the results"). */
  refersBack: boolean;
  /** The words that joined it to the step before (to put a soft step back as it was written). */
  joiner: string;
}

const QUOTED =
  /"[^"]*"|“[^”]*”|'[^']*'(?![a-z])|‘[^’]*’|`[^`]*`|\bhttps?:\/\/[^\s"'<>`]+[^\s"'<>`.,;:!?)\]]|[\w.%+-]+@[\w.-]+\.[A-Za-z]{2,}/g;
const FILLER = /^(?:(?:and|also|please|then|next|finally|afterwards|after that|now)\b[\s,]*)+/i;
const REFERS_BACK =
  /\b(?:it|them|that|those|these|this|the (?:results?|output|data|rows|numbers|findings|report|response))\b/i;

/** Connectors, strongest first; `then` and `feeds` always split, `and` only before a verb (see `soft`). */
const CONNECTORS: { pattern: RegExp; link: Step["link"] }[] = [
  {
    pattern:
      /,?\s+and\s+(?:then\s+)?(?:use|feed|pass|put|send|give|hand)\s+(?:it|them|that|those|this|these|the\s+(?:results?|output|data|rows))\s+(?:to|for|in|into|as|through|when)\s+(?:you\s+)?/gi,
    link: "feeds",
  },
  {
    pattern:
      /,?\s+and\s+(?:then\s+)?(?:turn|make|convert|put)\s+(?:it|them|that|those|the\s+(?:results?|output|data))\s+into\s+/gi,
    link: "feeds",
  },
  {
    pattern:
      /\s*,?\s+(?:and\s+)?(?:then|after\s+that|afterwards|next|finally|followed\s+by|once\s+(?:that(?:'s| is)|it(?:'s| is))\s+done)\s*,?\s+/gi,
    link: "then",
  },
  {
    pattern:
      /(?<!\d)\s*,\s*(?:and\s+(?:also\s+)?)?(?!\d)|\s+and\s+(?:also\s+)?|\s+as\s+well\s+as\s+|\s+plus\s+/gi,
    link: "and",
  },
];

/**
 * Splits a request into steps: at sentence ends and "then" (in order), at "and use it for" (one step
 * works on another's results), and at "and"/commas followed by a verb (side by side). Quoted text,
 * addresses and date ranges ("between May 1 and May 9") are never split.
 */
export function splitRequest(request: string, isAction: (word: string) => boolean, now: Date): Step[] {
  const kept: string[] = [];
  const protect = (text: string, start: number, end: number) => {
    kept.push(text.slice(start, end));
    const token = `⟦${kept.length - 1}⟧`;
    return text.slice(0, start) + token + text.slice(end);
  };
  let text = request.trim();
  for (const m of [...text.matchAll(QUOTED)].reverse()) text = protect(text, m.index, m.index + m[0].length);
  for (const d of extractDates(text, now).reverse()) text = protect(text, d.span[0], d.span[1]);
  const restore = (s: string) => s.replace(/⟦(\d+)⟧/g, (_, i: string) => kept[Number(i)]!);

  const steps: Step[] = [];
  const sentences = text.split(/(?<=[.!?])\s+(?=[A-Za-z])|\s*;\s*|\n+/).filter((s) => s.trim());
  for (const [index, sentence] of sentences.entries()) {
    const startsLater = /^(?:then|next|after that|afterwards|finally)\b/i.test(sentence.trim());
    const parts = splitSentence(sentence, isAction);
    parts.forEach((part, i) => {
      const first = index === 0 && i === 0;
      const clean = restore(
        part.text
          .replace(FILLER, "")
          .replace(/[.!?]+$/, "")
          .trim(),
      );
      if (!clean) return;
      steps.push({
        text: clean,
        link: first ? "first" : i === 0 ? (startsLater ? "then" : "and") : part.link,
        soft: !first && i > 0 && part.soft,
        refersBack: !first && (part.link === "feeds" || REFERS_BACK.test(part.text)),
        joiner: i === 0 ? " " : restore(part.joiner),
      });
    });
  }
  return steps;
}

function splitSentence(sentence: string, isAction: (word: string) => boolean) {
  const cuts: { at: number; end: number; link: Step["link"]; joiner: string }[] = [];
  const overlaps = (a: number, b: number) => cuts.some((c) => a < c.end && b > c.at);
  for (const { pattern, link } of CONNECTORS) {
    for (const m of sentence.matchAll(pattern)) {
      if (m.index === 0 || overlaps(m.index, m.index + m[0].length)) continue;
      cuts.push({ at: m.index, end: m.index + m[0].length, link, joiner: m[0] });
    }
  }
  cuts.sort((a, b) => a.at - b.at);
  const parts: { text: string; link: Step["link"]; soft: boolean; joiner: string }[] = [];
  let from = 0;
  let link: Step["link"] = "first";
  let joiner = "";
  for (const cut of cuts) {
    parts.push({ text: sentence.slice(from, cut.at), link, soft: false, joiner });
    from = cut.end;
    link = cut.link;
    joiner = cut.joiner;
  }
  parts.push({ text: sentence.slice(from), link, soft: false, joiner });
  for (const part of parts) {
    if (part.link !== "and") continue;
    const firstWord = part.text.replace(FILLER, "").trim().split(/\s+/)[0] ?? "";
    part.soft = !isAction(firstWord);
  }
  return parts;
}
