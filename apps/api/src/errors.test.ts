import { TRPCError } from "@trpc/server";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { AppError, shapeError } from "./errors.js";

describe("shapeError, the one error shaper", () => {
  it("keeps an AppError's code, message and details, with Retry-After when it says when to retry", () => {
    const limited = new AppError("RATE_LIMITED", "Too many requests. Try again in 7 s.", {
      retryAfterSec: 7,
    });
    expect(shapeError(limited)).toEqual({
      status: 429,
      headers: { "retry-after": "7" },
      body: { code: "RATE_LIMITED", message: "Too many requests. Try again in 7 s.", retry_after: 7 },
    });
    // Wrapped the way tRPC wraps what a procedure throws.
    const wrapped = new TRPCError({
      code: "INTERNAL_SERVER_ERROR",
      cause: new AppError("NOT_FOUND", "MCP server not found."),
    });
    expect(shapeError(wrapped)).toEqual({
      status: 404,
      headers: {},
      body: { code: "NOT_FOUND", message: "MCP server not found." },
    });
  });

  it("names the fields of a validation failure", () => {
    const parsed = z.strictObject({ email: z.string() }).safeParse({ email: 1, extra: true });
    const shaped = shapeError(new TRPCError({ code: "BAD_REQUEST", cause: parsed.error }));
    expect(shaped.status).toBe(400);
    expect(shaped.body.code).toBe("VALIDATION_FAILED");
    expect(shaped.body.issues?.map((i) => i.path).sort()).toEqual(["email", "extra"]);
  });

  it("maps Fastify's own request errors", () => {
    const tooLarge = Object.assign(new Error("Request body is too large"), {
      code: "FST_ERR_CTP_BODY_TOO_LARGE",
      statusCode: 413,
    });
    expect(shapeError(tooLarge)).toMatchObject({ status: 413, body: { code: "PAYLOAD_TOO_LARGE" } });
    const badJson = Object.assign(new Error("Unexpected token"), {
      code: "FST_ERR_CTP_INVALID_JSON_BODY",
      statusCode: 400,
    });
    expect(shapeError(badJson).body).toEqual({
      code: "VALIDATION_FAILED",
      message: "The request body is not valid JSON.",
    });
  });

  it("never passes on an unexpected error's text or stack", () => {
    const secret = new Error("password=hunter2 at /srv/app/db.ts:12");
    const shaped = shapeError(new TRPCError({ code: "INTERNAL_SERVER_ERROR", cause: secret }));
    expect(shaped.status).toBe(500);
    expect(shaped.body.code).toBe("INTERNAL");
    expect(JSON.stringify(shaped)).not.toMatch(/hunter2|db\.ts|stack/);
  });
});
