import { describe, expect, it } from "vitest";
import { storable, storableText } from "./storable.js";

describe("storable text", () => {
  it("replaces NUL and lone surrogate halves, keeping everything else (pairs included)", () => {
    expect(storableText("a\u0000b")).toBe("a\uFFFDb");
    expect(storableText("x\udfffy\ud83d")).toBe("x\uFFFDy\uFFFD");
    expect(storableText("ok 😀 \t\n")).toBe("ok 😀 \t\n");
  });

  it("walks objects and arrays, keys included", () => {
    expect(storable({ "k\u0000": ["v\ud800", 1, null, { n: true }] })).toEqual({
      "k\uFFFD": ["v\uFFFD", 1, null, { n: true }],
    });
  });
});
