/**
 * What the feature tools of both test peers (legacy era: SDK 1.x, `legacy-features.ts`; modern era:
 * SDK 2.x, `modern-peer.ts`) share, so one test suite runs against either era.
 *
 * Tools (besides echo, add, progress, sleep):
 * - `confirm`: asks for a form (FORM_SCHEMA); answers "accepted {json}", "declined" or "cancelled".
 * - `open_link`: asks the person to open LINK_URL; answers with the action.
 * - `summarize`: asks the client to sample a model; answers "summary: <text>".
 * - `log_steps`: logs "step" at debug, info and warning (logger "steps") and answers "logged".
 * - `stats` / `bad_stats`: declare STATS_SCHEMA as output schema; `bad_stats` breaks it.
 * - `wait_for_cancel`: runs until cancelled (counted in `state.cancelled`) or 10 s pass.
 * - `add_tool`: adds the tool `added_<n>` (the server announces the changed list).
 * - `bump_counter`: increments the `COUNTER_URI` resource (watchers are told).
 * - `long_task` (legacy only): a task that reports `step i/n` statuses.
 * Resources: COUNTER_URI, and the template ITEM_TEMPLATE whose `id` completes from ITEM_IDS.
 * Prompt: `greet_person` whose `name` completes from NAMES.
 */

export const FORM_SCHEMA = {
  type: "object",
  properties: {
    name: { type: "string", title: "Name", minLength: 1 },
    age: { type: "integer", title: "Age", minimum: 0 },
  },
  required: ["name"],
} as const;

export const LINK_URL = "https://auth.example.com/connect?state=abc";
export const COUNTER_URI = "test://counter";
export const ITEM_TEMPLATE = "test://items/{id}";
export const ITEM_IDS = ["alpha", "alpine", "beta"];
export const NAMES = ["Ada", "Alan", "Grace"];

export const STATS_SCHEMA = {
  type: "object",
  properties: { count: { type: "number" }, label: { type: "string" } },
  required: ["count", "label"],
} as const;

export const STATS_ANNOTATIONS = { title: "Statistics", readOnlyHint: true, idempotentHint: true };
export const STATS_ICON = { src: "https://example.com/stats.png", mimeType: "image/png", sizes: ["48x48"] };

/** Log levels in order of severity (the MCP logging levels). */
export const LOG_LEVELS = [
  "debug",
  "info",
  "notice",
  "warning",
  "error",
  "critical",
  "alert",
  "emergency",
] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOGGED_LEVELS: LogLevel[] = ["debug", "info", "warning"];

export function atLeast(level: LogLevel, threshold: LogLevel | undefined): boolean {
  return threshold === undefined || LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(threshold);
}

export function describeForm(action: string, content: unknown): string {
  if (action === "accept") return `accepted ${JSON.stringify(content)}`;
  return action === "decline" ? "declined" : "cancelled";
}

/** What a feature peer remembers (per session for the legacy peer, per peer for the modern one). */
export interface FeatureState {
  counter: number;
  cancelled: number;
  added: number;
  logLevel: LogLevel | undefined;
  subscribed: Set<string>;
}

export function newFeatureState(): FeatureState {
  return { counter: 0, cancelled: 0, added: 0, logLevel: undefined, subscribed: new Set() };
}

export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
