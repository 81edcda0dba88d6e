import { describe, expect, it } from "vitest";
import { layoutGraph, NODE_HEIGHT, NODE_WIDTH } from "./layout.js";

const overlaps = (a: { x: number; y: number }, b: { x: number; y: number }) =>
  a.x < b.x + NODE_WIDTH && b.x < a.x + NODE_WIDTH && a.y < b.y + NODE_HEIGHT && b.y < a.y + NODE_HEIGHT;

describe("graph layout", () => {
  it("flows dependencies left to right", () => {
    const p = layoutGraph([
      { id: "query", depends_on: [] },
      { id: "fetch", depends_on: [] },
      { id: "report", depends_on: ["query", "fetch"] },
      { id: "mail", depends_on: ["report"] },
    ]);
    expect(p.get("report")!.x).toBeGreaterThan(p.get("query")!.x);
    expect(p.get("report")!.x).toBeGreaterThan(p.get("fetch")!.x);
    expect(p.get("mail")!.x).toBeGreaterThan(p.get("report")!.x);
    expect(p.get("query")!.x).toBe(p.get("fetch")!.x);
  });

  it("never overlaps two nodes, even in a wide graph", () => {
    const nodes = Array.from({ length: 30 }, (_, i) => ({
      id: `n${i}`,
      depends_on: i < 10 ? [] : [`n${i % 10}`, `n${(i + 3) % 10}`],
    }));
    const p = layoutGraph(nodes);
    const all = [...p.values()];
    for (let i = 0; i < all.length; i++)
      for (let j = i + 1; j < all.length; j++) expect(overlaps(all[i]!, all[j]!)).toBe(false);
    expect(Math.min(...all.map((q) => q.x))).toBe(0);
    expect(Math.min(...all.map((q) => q.y))).toBe(0);
  });
});
