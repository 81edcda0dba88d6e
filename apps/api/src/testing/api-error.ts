import { ApiError } from "@mcpdeck/contracts";
import { expect } from "vitest";
import { z } from "zod";
import type { TestResponse } from "./harness.js";

/** The error shape exactly: nothing beyond code, message, issues, reason, retry_after. */
const StrictApiError = z.strictObject(ApiError.shape);

/** Keys of every object anywhere inside `value`. */
function allKeys(value: unknown, into = new Set<string>()): Set<string> {
  if (value && typeof value === "object") {
    for (const [key, inner] of Object.entries(value)) {
      into.add(key);
      allKeys(inner, into);
    }
  }
  return into;
}

/**
 * Asserts a REST error response: the status, the stable code, the one JSON shape, and no stack
 * trace or source location anywhere in it. Returns the body for further assertions.
 */
export function expectApiError(
  res: TestResponse,
  status: number,
  code: string,
): z.infer<typeof StrictApiError> {
  expect(res.status, `body: ${JSON.stringify(res.body)}`).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  const body = StrictApiError.parse(res.body);
  expect(body.code).toBe(code);
  expect(body.message.length).toBeGreaterThan(0);
  expect(allKeys(res.body).has("stack")).toBe(false);
  expect(JSON.stringify(res.body)).not.toMatch(/\.(ts|js|mjs):\d+|node_modules|\bat [\w.<>]+ \(/);
  return body;
}
