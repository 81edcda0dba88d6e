import { describe, expect, it } from "vitest";
import {
  COUNTRIES,
  DATASET_DAYS,
  DATASET_TARGET_SIZE,
  dailyCounts,
  datasetRange,
  generateSignups,
  getSignupDataset,
  PLANS,
  querySignups,
} from "./dataset.js";
import { parseDateRange, startOfDay } from "./dates.js";
import { fetchSampleData } from "./sampleApi.js";

const REF = "2025-06-01";

describe("signups dataset", () => {
  it("is deterministic and covers the 90 days before the reference date", () => {
    const a = generateSignups(REF);
    const b = generateSignups(REF);
    expect(a).toEqual(b);
    expect(a.signups).toHaveLength(DATASET_TARGET_SIZE);
    expect(a.firstDay).toBe("2025-03-03");
    expect(a.lastDay).toBe("2025-05-31");
    const first = a.signups[0];
    const last = a.signups[a.signups.length - 1];
    expect(first?.signed_up_at.slice(0, 10)).toBe(a.firstDay);
    expect(last?.signed_up_at.slice(0, 10)).toBe(a.lastDay);
    expect(new Set(a.signups.map((s) => s.id)).size).toBe(DATASET_TARGET_SIZE);
    for (const s of a.signups) {
      expect(COUNTRIES).toContain(s.country);
      expect(PLANS).toContain(s.plan);
      expect(s.email).toMatch(/^[a-z]+\.[a-z]+\d+@example\.com$/);
    }
    expect(getSignupDataset(REF)).toBe(getSignupDataset(REF));
  });

  it("aggregates consistently", () => {
    const ds = getSignupDataset(REF);
    const all = querySignups(ds, { range: datasetRange(ds), limit: 10 });
    expect(all.total).toBe(DATASET_TARGET_SIZE);
    expect(all.by_day).toHaveLength(DATASET_DAYS);
    const sum = (r: Record<string, number>): number => Object.values(r).reduce((a, b) => a + b, 0);
    expect(sum(all.by_country)).toBe(all.total);
    expect(sum(all.by_plan)).toBe(all.total);
    expect(all.by_day.reduce((a, d) => a + d.count, 0)).toBe(all.total);
    // Rows are newest first.
    expect((all.rows[0]?.signed_up_at ?? "") > (all.rows[1]?.signed_up_at ?? "")).toBe(true);

    const us = querySignups(ds, { range: datasetRange(ds), country: "us", limit: 5 });
    expect(us.total).toBe(all.by_country.US);
    expect(Object.keys(us.by_country)).toEqual(["US"]);
    const proUs = querySignups(ds, { range: datasetRange(ds), country: "US", plan: "pro", limit: 500 });
    expect(proUs.total).toBe(us.by_plan.pro);
    expect(proUs.rows.every((r) => r.country === "US" && r.plan === "pro")).toBe(true);

    const daily = dailyCounts(ds, 14);
    expect(daily).toHaveLength(14);
    expect(daily[13]?.date).toBe(ds.lastDay);
    expect(daily).toEqual(all.by_day.slice(-14));
  });

  it("parses date ranges", () => {
    const defaults = { startMs: 0, endMs: 1000 };
    expect(parseDateRange(undefined, undefined, defaults)).toEqual({ ok: true, range: defaults });
    const r = parseDateRange("2025-01-01", "2025-01-01", defaults);
    expect(r).toEqual({
      ok: true,
      range: { startMs: startOfDay("2025-01-01"), endMs: startOfDay("2025-01-02") - 1 },
    });
    expect(parseDateRange("2025-01-01T12:00:00Z", undefined, { startMs: 0, endMs: Date.now() }).ok).toBe(
      true,
    );
    const bad = parseDateRange("2025-02-30", undefined, defaults);
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error).toMatch(/start_date "2025-02-30" is not a valid calendar date/);
    const reversed = parseDateRange("2025-02-02", "2025-02-01", defaults);
    expect(!reversed.ok && reversed.error).toMatch(/start_date .* is after end_date/);
    expect(parseDateRange("yesterday", undefined, defaults).ok).toBe(false);
  });
});

describe("sample API", () => {
  it("generates stable rows per day with totals", () => {
    const range = { startMs: startOfDay("2025-05-01"), endMs: startOfDay("2025-05-07") };
    const a = fetchSampleData("marketing_spend", range);
    expect(a.rows).toHaveLength(7);
    expect(a).toEqual(fetchSampleData("marketing_spend", range));
    expect(a.currency).toBe("USD");
    const total = a.rows.reduce((s, r) => s + Number(r.total), 0);
    expect(a.totals.total).toBeCloseTo(total, 1);
    // A sub-range returns the same values for the same days.
    const b = fetchSampleData("marketing_spend", {
      startMs: startOfDay("2025-05-03"),
      endMs: startOfDay("2025-05-03"),
    });
    expect(b.rows[0]).toEqual(a.rows[2]);
    const traffic = fetchSampleData("web_traffic", range);
    expect(traffic.currency).toBeUndefined();
    expect(traffic.totals.avg_bounce_rate).toBeGreaterThan(0.3);
  });
});
