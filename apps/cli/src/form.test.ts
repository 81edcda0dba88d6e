import { describe, expect, it } from "vitest";
import { fieldPrompt, fieldsOf, parseField } from "./form.js";

const form = fieldsOf({
  type: "object",
  properties: {
    title: { type: "string", title: "Report title", minLength: 2, maxLength: 10, default: "Weekly" },
    sections: {
      type: "array",
      title: "Sections",
      minItems: 1,
      items: { type: "string", enum: ["summary", "by_country"] },
    },
    chart: { type: "boolean", title: "Chart" },
    copies: { type: "integer", minimum: 1, maximum: 5 },
    tone: {
      type: "string",
      oneOf: [
        { const: "dry", title: "Dry" },
        { const: "warm", title: "Warm" },
      ],
    },
    site: { type: "string", format: "uri" },
    when: { type: "string", format: "date" },
    code: { type: "string", pattern: "^[A-Z]{3}$" },
  },
  required: ["sections", "chart", "copies"],
});
const field = (name: string) => form.find((f) => f.name === name)!;

describe("form fields asked at the prompt", () => {
  it("says what each field takes, its choices and default", () => {
    expect(fieldPrompt(field("title"))).toBe("  Report title (optional) [Weekly]: ");
    expect(fieldPrompt(field("sections"))).toBe(
      "  Sections (1) summary 2) by_country; several: comma-separated): ",
    );
    expect(fieldPrompt(field("chart"))).toBe("  Chart (y/n): ");
    expect(fieldPrompt(field("copies"))).toBe("  copies (a whole number; 1 to 5): ");
    expect(fieldPrompt(field("tone"))).toBe("  tone (1) Dry 2) Warm; optional): ");
  });

  it("takes answers that fit and refuses those that do not, saying why", () => {
    expect(parseField(field("title"), "")).toEqual({ ok: true, value: "Weekly" });
    expect(parseField(field("title"), "x")).toEqual({ ok: false, message: "must be at least 2 characters" });
    expect(parseField(field("title"), "far too long a title")).toMatchObject({ ok: false });
    expect(parseField(field("sections"), "2, summary, 2")).toEqual({
      ok: true,
      value: ["by_country", "summary"],
    });
    expect(parseField(field("sections"), "")).toEqual({ ok: false, message: "an answer is required" });
    expect(parseField(field("sections"), "weather")).toMatchObject({ ok: false });
    expect(parseField(field("chart"), "Yes")).toEqual({ ok: true, value: true });
    expect(parseField(field("chart"), "maybe")).toEqual({ ok: false, message: "must be y or n" });
    expect(parseField(field("copies"), "3")).toEqual({ ok: true, value: 3 });
    expect(parseField(field("copies"), "2.5")).toEqual({ ok: false, message: "must be a whole number" });
    expect(parseField(field("copies"), "9")).toEqual({ ok: false, message: "must be at most 5" });
    expect(parseField(field("tone"), "warm")).toEqual({ ok: true, value: "warm" });
    expect(parseField(field("tone"), "1")).toEqual({ ok: true, value: "dry" });
    expect(parseField(field("tone"), "")).toEqual({ ok: true });
    expect(parseField(field("site"), "not a url")).toMatchObject({ ok: false });
    expect(parseField(field("site"), "https://example.com")).toEqual({
      ok: true,
      value: "https://example.com",
    });
    expect(parseField(field("when"), "2026-13-45")).toMatchObject({ ok: false });
    expect(parseField(field("code"), "abc")).toEqual({
      ok: false,
      message: "must be text matching ^[A-Z]{3}$",
    });
    expect(parseField(field("code"), "ABC")).toEqual({ ok: true, value: "ABC" });
  });
});
