import { describe, expect, it } from "vitest";
import { escapePdfString, type PdfBlock, renderPdf, textWidth, toWinAnsi, wrapText } from "./pdf.js";
import { reportBlocks, slugify } from "./report.js";
import { validatePdf } from "./testing/utils.js";

describe("pdf writer", () => {
  it("writes a valid single-page PDF 1.4 with Helvetica", () => {
    const pdf = renderPdf([{ kind: "text", text: "Hello (world) \\ done" }], {
      title: "Hello",
      creationDate: new Date(0),
    });
    const { pages, text } = validatePdf(pdf);
    expect(pages).toBe(1);
    expect(text).toContain("/BaseFont /Helvetica ");
    expect(text).toContain("(Hello \\(world\\) \\\\ done) Tj");
    expect(text).toContain("/Title (Hello)");
    expect(text).toContain("/CreationDate (D:19700101000000Z)");
  });

  it("breaks long content onto multiple pages with correct offsets", () => {
    const blocks: PdfBlock[] = [];
    for (let i = 0; i < 200; i++)
      blocks.push({ kind: "text", text: `Line ${i}: ${"lorem ipsum ".repeat(4)}` });
    blocks.push(
      { kind: "bar", label: "US", value: 10, max: 20 },
      { kind: "rule" },
      { kind: "space", height: 900 },
    );
    blocks.push({ kind: "text", text: "after the big gap", font: "mono" });
    const { pages, text } = validatePdf(renderPdf(blocks, { title: "Long", footer: "Long report" }));
    expect(pages).toBeGreaterThanOrEqual(4);
    expect(text).toContain(`(Long report  -  Page ${pages} of ${pages}) Tj`);
    expect((text.match(/\/Type \/Page /g) ?? []).length).toBe(pages);
  });

  it("escapes and transliterates text", () => {
    expect(escapePdfString("a(b)c\\d")).toBe("a\\(b\\)c\\\\d");
    expect(toWinAnsi("“smart” – quotes… ✓ é")).toBe('"smart" - quotes... ? é');
  });

  it("wraps text by Helvetica metrics", () => {
    expect(textWidth("iiii", "regular", 10)).toBeLessThan(textWidth("MMMM", "regular", 10));
    const lines = wrapText("word ".repeat(100).trim(), "regular", 11, 200);
    expect(lines.length).toBeGreaterThan(5);
    for (const line of lines) expect(textWidth(line, "regular", 11)).toBeLessThanOrEqual(200);
    const hard = wrapText("x".repeat(300), "mono", 10, 100);
    expect(hard.every((l) => textWidth(l, "mono", 10) <= 100)).toBe(true);
    expect(hard.join("")).toBe("x".repeat(300));
  });
});

describe("report blocks", () => {
  it("summarises signup results, sample API results and generic data", () => {
    const signups = {
      total: 3,
      returned: 1,
      start: "2025-01-01T00:00:00.000Z",
      end: "2025-01-02T23:59:59.999Z",
      by_country: { US: 2, DE: 1 },
      by_plan: { free: 3 },
      by_day: [
        { date: "2025-01-01", count: 1 },
        { date: "2025-01-02", count: 2 },
      ],
      rows: [
        { id: "usr_1", signed_up_at: "2025-01-02T10:00:00Z", country: "US", plan: "free", source: "ads" },
      ],
    };
    const blocks = reportBlocks(
      "R",
      [
        { heading: "Signups", data: { content: [], structuredContent: signups } },
        {
          heading: "Spend",
          data: JSON.stringify({ endpoint: "revenue", rows: [{ date: "d", x: 1 }], totals: { x: 1 } }),
        },
        {
          heading: "Other",
          body: "prose",
          data: { a: [1, 2, 3], b: { c: "d" }, list: [{ k: 1 }, { k: 2 }] },
        },
      ],
      new Date(0),
    );
    const all = blocks
      .map((b) => (b.kind === "text" ? b.text : b.kind === "bar" ? `BAR ${b.label}=${b.value}` : ""))
      .join("\n");
    expect(all).toContain("Total signups between 2025-01-01 and 2025-01-02: 3");
    expect(all).toContain("BAR US (66.7%)=2");
    expect(all).toContain("BAR 2025-01-02=2");
    expect(all).toContain("usr_1");
    expect(all).toContain("Source: revenue");
    expect(all).toContain("3 numbers: min 1, max 3, sum 6, mean 2");
    expect(all).toContain("c: d");
    validatePdf(renderPdf(blocks, { title: "R" }));
  });

  it("slugifies titles", () => {
    expect(slugify("Signups — Q3 Review (Draft)")).toBe("signups-q3-review-draft");
    expect(slugify("???")).toBe("report");
  });
});
