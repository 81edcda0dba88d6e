import { describe, expect, it } from "vitest";
import { effectiveAnnotations } from "./annotations.js";

describe("effective tool annotations", () => {
  it("apply MCP's defaults when a tool says nothing: a destructive, open-world write", () => {
    expect(effectiveAnnotations(undefined)).toEqual({
      read_only: false,
      destructive: true,
      idempotent: false,
      open_world: true,
    });
  });

  it("never call a read-only tool destructive, whatever its destructive hint says", () => {
    expect(effectiveAnnotations({ readOnlyHint: true, destructiveHint: true })).toMatchObject({
      read_only: true,
      destructive: false,
      idempotent: true,
    });
  });

  it("keep what a writing tool declares", () => {
    expect(
      effectiveAnnotations({
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: true,
        openWorldHint: false,
      }),
    ).toEqual({ read_only: false, destructive: false, idempotent: true, open_world: false });
  });
});
