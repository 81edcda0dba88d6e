import type { CatalogTool } from "../../sessions/graph.js";
import { paramsOf } from "./schema.js";
import { isGeneric, isVerb, terms, verbClass } from "./text.js";

/** How much a word counts by where it appears in a tool: its name says most about what it does. */
const FIELD_WEIGHTS = { name: 3, title: 2, description: 1, params: 1, paramDescriptions: 0.5 } as const;
const K1 = 1.2;
const B = 0.3;
/** Verbs tell less about which tool is meant than the things they act on. */
const VERB_WEIGHT = 0.5;
/**
 * Extra weight for each thing named in the tool's own name or title: BM25 saturates repeated words,
 * but a tool called after what the request names is more likely the one meant than a tool that only
 * mentions it.
 */
const NAMED_BONUS = 0.5;

export interface ToolMatch {
  tool: CatalogTool;
  score: number;
  /** Distinct request words found anywhere in the tool. */
  matched: string[];
  /** Those found in its name or title. */
  named: string[];
}

interface Doc {
  tool: CatalogTool;
  tf: Map<string, number>;
  named: Set<string>;
  length: number;
  /** Verb classes of the words in the tool's name (`delete_file` → delete). */
  verbClasses: Set<string>;
}

/**
 * A BM25 index over a server's tools (names split into words, titles, descriptions, argument names,
 * their descriptions and enum values), weighted by field.
 */
export function createToolIndex(tools: readonly CatalogTool[]) {
  const docs: Doc[] = tools.map((tool) => {
    const tf = new Map<string, number>();
    const add = (words: string[], weight: number) => {
      for (const w of words) tf.set(w, (tf.get(w) ?? 0) + weight);
    };
    const nameTerms = terms(tool.name);
    const titleTerms = terms(tool.title ?? tool.annotations?.title ?? "");
    add(nameTerms, FIELD_WEIGHTS.name);
    add(titleTerms, FIELD_WEIGHTS.title);
    add(terms(tool.description ?? ""), FIELD_WEIGHTS.description);
    for (const p of paramsOf(tool.inputSchema)) {
      add(terms(p.name), FIELD_WEIGHTS.params);
      add(p.describedBy, FIELD_WEIGHTS.paramDescriptions);
      if (p.enumValues)
        add(
          p.enumValues.flatMap((v) => terms(v)),
          FIELD_WEIGHTS.params,
        );
    }
    const length = [...tf.values()].reduce((a, b) => a + b, 0);
    const verbClasses = new Set(nameTerms.flatMap((t) => verbClass(t) ?? []));
    return { tool, tf, named: new Set([...nameTerms, ...titleTerms]), length, verbClasses };
  });
  const avgLength = docs.reduce((a, d) => a + d.length, 0) / Math.max(1, docs.length);
  const df = new Map<string, number>();
  for (const d of docs) for (const t of d.tf.keys()) df.set(t, (df.get(t) ?? 0) + 1);
  const idf = (t: string) => {
    const n = df.get(t) ?? 0;
    return Math.log(1 + (docs.length - n + 0.5) / (n + 0.5));
  };

  return {
    /** Tools that share words with the request, best first (ties keep the server's order). */
    rank(requestTerms: readonly string[]): ToolMatch[] {
      const distinct = [...new Set(requestTerms)];
      const matches: ToolMatch[] = [];
      for (const d of docs) {
        let score = 0;
        const matched: string[] = [];
        for (const t of distinct) {
          const f = d.tf.get(t);
          if (!f) continue;
          matched.push(t);
          const norm = f / (f + K1 * (1 - B + (B * d.length) / avgLength));
          score += idf(t) * norm * (K1 + 1) * (isVerb(t) ? VERB_WEIGHT : 1);
          if (d.named.has(t) && !isVerb(t) && !isGeneric(t)) score += idf(t) * NAMED_BONUS;
        }
        if (matched.length > 0)
          matches.push({ tool: d.tool, score, matched, named: matched.filter((t) => d.named.has(t)) });
      }
      return matches.sort((a, b) => b.score - a.score);
    },
    /** Verb classes in a tool's name. */
    verbClassesOf(tool: CatalogTool): Set<string> {
      return docs.find((d) => d.tool === tool)?.verbClasses ?? new Set();
    },
    /** True when the tool mentions the word anywhere. */
    mentions(tool: CatalogTool, term: string): boolean {
      return docs.find((d) => d.tool === tool)?.tf.has(term) ?? false;
    },
  };
}

export type ToolIndex = ReturnType<typeof createToolIndex>;
