/**
 * Deterministic "user signups" dataset.
 *
 * ~2,000 signups spread over the 90 complete days before a reference date (today in UTC by default),
 * generated from a fixed seed so the data is identical for every call made on the same day.
 */
import { addDays, DAY_MS, type DateRange, eachDay, startOfDay, todayUtc, toIsoDate } from "./dates.js";
import { mulberry32, pick, pickWeighted, randomInt } from "./random.js";

export const PLANS = ["free", "pro", "team", "enterprise"] as const;
export type Plan = (typeof PLANS)[number];

export const SOURCES = ["organic", "ads", "referral", "partner"] as const;
export type Source = (typeof SOURCES)[number];

/** ISO 3166-1 alpha-2 codes with their relative signup weight. */
export const COUNTRY_WEIGHTS = [
  ["US", 30],
  ["GB", 10],
  ["DE", 10],
  ["FR", 8],
  ["IN", 12],
  ["BR", 8],
  ["CA", 7],
  ["JP", 5],
  ["AU", 5],
  ["NL", 5],
] as const;
export const COUNTRIES = COUNTRY_WEIGHTS.map(([code]) => code);

export const DATASET_DAYS = 90;
export const DATASET_TARGET_SIZE = 2000;
const DATASET_SEED = 0x5eed_2025;

export interface Signup {
  id: string;
  email: string;
  country: string;
  plan: Plan;
  /** ISO 8601 date-time (UTC). */
  signed_up_at: string;
  source: Source;
}

export interface SignupDataset {
  /** The reference date (`YYYY-MM-DD`); the data covers the DATASET_DAYS days before it. */
  referenceDate: string;
  /** First day covered (inclusive). */
  firstDay: string;
  /** Last day covered (inclusive) — the day before the reference date. */
  lastDay: string;
  /** Sorted by `signed_up_at`, oldest first. */
  signups: Signup[];
}

const PLAN_WEIGHTS: readonly (readonly [Plan, number])[] = [
  ["free", 62],
  ["pro", 24],
  ["team", 10],
  ["enterprise", 4],
];
const FIRST_NAMES = [
  "alex",
  "sam",
  "maria",
  "li",
  "priya",
  "jonas",
  "emma",
  "noah",
  "yuki",
  "lucas",
  "ana",
  "omar",
];
const LAST_NAMES = [
  "smith",
  "garcia",
  "chen",
  "patel",
  "muller",
  "martin",
  "silva",
  "tanaka",
  "brown",
  "kim",
];

/** Day weight: steady growth, quieter weekends, and an ads campaign 10–13 days before the reference date. */
function dayWeight(dayIndex: number, isoDate: string): { weight: number; campaign: boolean } {
  const growth = 1 + (0.8 * dayIndex) / (DATASET_DAYS - 1);
  const weekday = new Date(startOfDay(isoDate)).getUTCDay();
  const weekend = weekday === 0 || weekday === 6 ? 0.65 : 1;
  const daysBeforeEnd = DATASET_DAYS - 1 - dayIndex;
  const campaign = daysBeforeEnd >= 9 && daysBeforeEnd <= 12;
  return { weight: growth * weekend * (campaign ? 1.9 : 1), campaign };
}

/** Splits `total` into integer parts proportional to `weights` (largest remainder method). */
function apportion(total: number, weights: number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (w / sum) * total);
  const counts = exact.map(Math.floor);
  let remaining = total - counts.reduce((a, b) => a + b, 0);
  const byRemainder = exact.map((value, index) => ({ index, rest: value - Math.floor(value) }));
  byRemainder.sort((a, b) => b.rest - a.rest || a.index - b.index);
  for (const { index } of byRemainder) {
    if (remaining <= 0) break;
    counts[index] = (counts[index] ?? 0) + 1;
    remaining--;
  }
  return counts;
}

/** Generates the dataset for a reference date (deterministic). */
export function generateSignups(referenceDate: string): SignupDataset {
  const firstDay = addDays(referenceDate, -DATASET_DAYS);
  const lastDay = addDays(referenceDate, -1);
  const days = eachDay(firstDay, lastDay);
  const rng = mulberry32(DATASET_SEED);
  // Slight day-to-day noise on top of the trend so the chart looks organic.
  const info = days.map((day, i) => {
    const { weight, campaign } = dayWeight(i, day);
    return { day, campaign, weight: weight * (0.85 + 0.3 * rng()) };
  });
  const counts = apportion(
    DATASET_TARGET_SIZE,
    info.map((d) => d.weight),
  );
  const signups: Signup[] = [];
  info.forEach(({ day, campaign }, dayIndex) => {
    const dayStart = startOfDay(day);
    const times: number[] = [];
    for (let k = 0; k < (counts[dayIndex] ?? 0); k++) times.push(dayStart + Math.floor(rng() * DAY_MS));
    times.sort((a, b) => a - b);
    for (const time of times) {
      const n = signups.length + 1;
      const country = pickWeighted(rng, COUNTRY_WEIGHTS);
      const plan = pickWeighted(rng, PLAN_WEIGHTS);
      const source = pickWeighted<Source>(rng, [
        ["organic", 45],
        ["ads", campaign ? 70 : 22],
        ["referral", 20],
        ["partner", plan === "enterprise" || plan === "team" ? 25 : 8],
      ]);
      const first = pick(rng, FIRST_NAMES);
      const last = pick(rng, LAST_NAMES);
      signups.push({
        id: `usr_${String(n).padStart(5, "0")}`,
        email: `${first}.${last}${randomInt(rng, 1, 999)}@example.com`,
        country,
        plan,
        signed_up_at: new Date(time).toISOString(),
        source,
      });
    }
  });
  return { referenceDate, firstDay, lastDay, signups };
}

const cache = new Map<string, SignupDataset>();

/** Returns the (cached) dataset for a reference date; defaults to today in UTC. */
export function getSignupDataset(referenceDate: string = todayUtc()): SignupDataset {
  let dataset = cache.get(referenceDate);
  if (!dataset) {
    dataset = generateSignups(referenceDate);
    if (cache.size >= 4) cache.clear();
    cache.set(referenceDate, dataset);
  }
  return dataset;
}

/** The full time span covered by a dataset. */
export function datasetRange(dataset: SignupDataset): DateRange {
  return { startMs: startOfDay(dataset.firstDay), endMs: startOfDay(dataset.lastDay) + DAY_MS - 1 };
}

export interface SignupQuery {
  range: DateRange;
  country?: string;
  plan?: Plan;
  source?: Source;
  limit: number;
}

export interface SignupQueryResult {
  [key: string]: unknown;
  total: number;
  returned: number;
  start: string;
  end: string;
  filters: { country?: string; plan?: Plan; source?: Source };
  by_country: Record<string, number>;
  by_plan: Record<string, number>;
  by_source: Record<string, number>;
  by_day: { date: string; count: number }[];
  rows: Signup[];
}

/** Filters, aggregates and returns the most recent `limit` matching signups (newest first). */
export function querySignups(dataset: SignupDataset, query: SignupQuery): SignupQueryResult {
  const { range, plan, source } = query;
  const country = query.country?.toUpperCase();
  const matches = dataset.signups.filter((s) => {
    const t = Date.parse(s.signed_up_at);
    return (
      t >= range.startMs &&
      t <= range.endMs &&
      (country === undefined || s.country === country) &&
      (plan === undefined || s.plan === plan) &&
      (source === undefined || s.source === source)
    );
  });
  const by_country: Record<string, number> = {};
  const by_plan: Record<string, number> = {};
  const by_source: Record<string, number> = {};
  const perDay = new Map<string, number>();
  for (const s of matches) {
    by_country[s.country] = (by_country[s.country] ?? 0) + 1;
    by_plan[s.plan] = (by_plan[s.plan] ?? 0) + 1;
    by_source[s.source] = (by_source[s.source] ?? 0) + 1;
    const day = s.signed_up_at.slice(0, 10);
    perDay.set(day, (perDay.get(day) ?? 0) + 1);
  }
  // Every day of the requested range that the dataset covers, zero days included.
  const covered = datasetRange(dataset);
  const from = Math.max(range.startMs, covered.startMs);
  const to = Math.min(range.endMs, covered.endMs);
  const by_day =
    from <= to
      ? eachDay(toIsoDate(from), toIsoDate(to)).map((date) => ({ date, count: perDay.get(date) ?? 0 }))
      : [];
  const rows = query.limit > 0 ? matches.slice(-query.limit).reverse() : [];
  const filters: SignupQueryResult["filters"] = {};
  if (country !== undefined) filters.country = country;
  if (plan !== undefined) filters.plan = plan;
  if (source !== undefined) filters.source = source;
  return {
    total: matches.length,
    returned: rows.length,
    start: new Date(range.startMs).toISOString(),
    end: new Date(range.endMs).toISOString(),
    filters,
    by_country: sortRecord(by_country),
    by_plan: sortRecord(by_plan),
    by_source: sortRecord(by_source),
    by_day,
    rows,
  };
}

/** Signups per day for the last `days` days of the dataset (oldest first). */
export function dailyCounts(
  dataset: SignupDataset,
  days: number,
  filter: { country?: string; plan?: Plan } = {},
): { date: string; count: number }[] {
  const from = addDays(dataset.lastDay, -(days - 1));
  const result = querySignups(dataset, {
    range: { startMs: startOfDay(from), endMs: startOfDay(dataset.lastDay) + DAY_MS - 1 },
    ...filter,
    limit: 0,
  });
  return result.by_day;
}

function sortRecord(record: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}

/** JSON description of the dataset, served as the `dataset://signups/schema` resource. */
export function describeDataset(dataset: SignupDataset): Record<string, unknown> {
  return {
    name: "signups",
    description:
      "Synthetic user signups generated deterministically (seeded PRNG) for the 90 complete days before the reference date (UTC).",
    reference_date: dataset.referenceDate,
    first_day: dataset.firstDay,
    last_day: dataset.lastDay,
    row_count: dataset.signups.length,
    fields: [
      { name: "id", type: "string", description: "Stable signup id, e.g. usr_00042 (ascending with time)." },
      { name: "email", type: "string", description: "Fake email address at example.com." },
      { name: "country", type: "string", description: "ISO 3166-1 alpha-2 country code.", enum: COUNTRIES },
      { name: "plan", type: "string", description: "Plan chosen at signup.", enum: PLANS },
      { name: "signed_up_at", type: "string", format: "date-time", description: "Signup instant (UTC)." },
      { name: "source", type: "string", description: "Acquisition channel.", enum: SOURCES },
    ],
  };
}
