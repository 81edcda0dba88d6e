/**
 * A fake "sample API": deterministic, generated JSON for a few business endpoints.
 * Nothing here touches the network; values are derived from a PRNG seeded by (endpoint, date).
 */
import { DAY_MS, type DateRange, eachDay, toIsoDate } from "./dates.js";
import { hashString, mulberry32 } from "./random.js";

export const SAMPLE_ENDPOINTS = ["marketing_spend", "web_traffic", "revenue"] as const;
export type SampleEndpoint = (typeof SAMPLE_ENDPOINTS)[number];

/** Longest range the fake API will serve, in days. */
export const SAMPLE_API_MAX_DAYS = 366;

export type SampleRow = Record<string, string | number>;

export interface SampleApiResponse {
  [key: string]: unknown;
  endpoint: SampleEndpoint;
  /** The URL this fake response pretends to come from (never requested). */
  request: string;
  start_date: string;
  end_date: string;
  currency?: string;
  description: string;
  rows: SampleRow[];
  totals: Record<string, number>;
}

const round2 = (n: number): number => Math.round(n * 100) / 100;

function weekdayFactor(date: string): number {
  const day = new Date(`${date}T00:00:00Z`).getUTCDay();
  return day === 0 || day === 6 ? 0.7 : 1;
}

function rowFor(endpoint: SampleEndpoint, date: string): SampleRow {
  const rng = mulberry32(hashString(`${endpoint}:${date}`));
  const trend = 1 + ((Date.parse(`${date}T00:00:00Z`) / DAY_MS) % 365) / 900;
  const wk = weekdayFactor(date);
  switch (endpoint) {
    case "marketing_spend": {
      const search_ads = round2((900 + rng() * 500) * trend);
      const social_ads = round2((500 + rng() * 400) * trend);
      const referral_bonus = round2(120 + rng() * 160);
      const partner_fees = round2(200 + rng() * 120);
      return {
        date,
        search_ads,
        social_ads,
        referral_bonus,
        partner_fees,
        total: round2(search_ads + social_ads + referral_bonus + partner_fees),
      };
    }
    case "web_traffic": {
      const sessions = Math.round((5200 + rng() * 2400) * trend * wk);
      const unique_visitors = Math.round(sessions * (0.68 + rng() * 0.1));
      const signup_page_views = Math.round(unique_visitors * (0.05 + rng() * 0.03));
      return {
        date,
        sessions,
        unique_visitors,
        signup_page_views,
        bounce_rate: round2(0.38 + rng() * 0.14),
        avg_session_seconds: Math.round(95 + rng() * 80),
      };
    }
    case "revenue": {
      const new_subscriptions = Math.round((6 + rng() * 8) * trend * wk);
      const new_revenue = round2(new_subscriptions * (35 + rng() * 40));
      const expansion_revenue = round2(40 + rng() * 160);
      const churned_revenue = round2(30 + rng() * 120);
      return {
        date,
        new_subscriptions,
        new_revenue,
        expansion_revenue,
        churned_revenue,
        net_new_revenue: round2(new_revenue + expansion_revenue - churned_revenue),
      };
    }
  }
}

const DESCRIPTIONS: Record<SampleEndpoint, string> = {
  marketing_spend: "Daily marketing spend per channel (USD).",
  web_traffic: "Daily website traffic (sessions, unique visitors, signup page views, bounce rate).",
  revenue: "Daily subscription revenue movements (USD).",
};

/** Builds the fake API response for an endpoint and an (already validated) date range. */
export function fetchSampleData(endpoint: SampleEndpoint, range: DateRange): SampleApiResponse {
  const start_date = toIsoDate(range.startMs);
  const end_date = toIsoDate(range.endMs);
  const rows = eachDay(start_date, end_date).map((date) => rowFor(endpoint, date));
  const totals: Record<string, number> = {};
  for (const row of rows) {
    for (const [key, value] of Object.entries(row)) {
      if (typeof value === "number" && key !== "bounce_rate" && key !== "avg_session_seconds") {
        totals[key] = round2((totals[key] ?? 0) + value);
      }
    }
  }
  if (endpoint === "web_traffic" && rows.length > 0) {
    totals.avg_bounce_rate = round2(rows.reduce((sum, r) => sum + Number(r.bounce_rate), 0) / rows.length);
  }
  const response: SampleApiResponse = {
    endpoint,
    request: `GET https://api.example.com/v1/${endpoint}?start_date=${start_date}&end_date=${end_date}`,
    start_date,
    end_date,
    description: DESCRIPTIONS[endpoint],
    rows,
    totals,
  };
  if (endpoint !== "web_traffic") response.currency = "USD";
  return response;
}
