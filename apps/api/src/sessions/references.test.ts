import { describe, expect, it } from "vitest";
import {
  findReferences,
  type ReferencedResult,
  resolveReferences,
  UnresolvedReferenceError,
} from "./references.js";

const results = new Map<string, ReferencedResult>([
  [
    "query",
    {
      content: [{ type: "text", text: "3 signups" }],
      structuredContent: { total: 3, rows: [{ email: "a@example.com", country: "US" }] },
    },
  ],
  ["fetch", { content: [{ type: "text", text: '{"users": [1, 2]}' }] }],
  [
    "note",
    { content: [{ type: "text", text: "line one" }, { type: "image" }, { type: "text", text: "two" }] },
  ],
]);

describe("result references", () => {
  it("are found anywhere in the arguments, with their node and path", () => {
    const refs = findReferences({ a: "{{query.rows[0].email}}", b: ["x {{ fetch.text }} y"], c: 3 });
    expect(refs.map((r) => [r.nodeId, r.source, r.path])).toEqual([
      ["query", "value", ["rows", 0, "email"]],
      ["fetch", "text", []],
    ]);
  });

  it("resolve a whole-string reference to the value itself, keeping its type", () => {
    expect(resolveReferences({ n: "{{query.total}}", data: "{{query}}" }, results)).toEqual({
      n: 3,
      data: { total: 3, rows: [{ email: "a@example.com", country: "US" }] },
    });
  });

  it("read text results as JSON when they are JSON, and `.text` as the joined text", () => {
    expect(resolveReferences({ users: "{{fetch.users}}", raw: "{{note.text}}" }, results)).toEqual({
      users: [1, 2],
      raw: "line one\ntwo",
    });
  });

  it("interpolate references inside longer strings, objects as JSON", () => {
    expect(resolveReferences("Total {{query.total}} from {{query.structured.rows[0]}}", results)).toBe(
      'Total 3 from {"email":"a@example.com","country":"US"}',
    );
  });

  it("explain what is missing when a path does not exist", () => {
    expect(() => resolveReferences("{{query.rows[4]}}", results)).toThrow(
      new UnresolvedReferenceError("{{query.rows[4]}}: query.rows has 1 item(s), no [4]."),
    );
    expect(() => resolveReferences("{{query.nope}}", results)).toThrow(
      /has no "nope" \(it has total, rows\)/,
    );
    expect(() => resolveReferences("{{fetch.structured}}", results)).toThrow(
      /returned no structured content/,
    );
    expect(() => resolveReferences("{{ghost}}", results)).toThrow(/node "ghost" has no result/);
  });

  it("leave text without references alone", () => {
    expect(resolveReferences({ s: "plain {braces} and {{ not a ref }}", n: null }, results)).toEqual({
      s: "plain {braces} and {{ not a ref }}",
      n: null,
    });
  });
});
