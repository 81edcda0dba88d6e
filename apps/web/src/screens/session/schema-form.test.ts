import { describe, expect, it } from "vitest";
import { answerOf, fieldIssue, fieldsOf } from "./schema-form.js";

/** A multiple choice as an MCP form request gives it: an array of an enum, with bounds. */
const schema = (required: boolean) => ({
  type: "object",
  properties: {
    channels: {
      type: "array",
      title: "Channels",
      minItems: 2,
      maxItems: 3,
      items: { type: "string", enum: ["email", "sms", "push", "slack"] },
    },
  },
  ...(required ? { required: ["channels"] } : {}),
});

describe("schema-form: multiple choice", () => {
  it("an optional one left empty is fine and left out of the answer; once picked, its bounds hold", () => {
    const [field] = fieldsOf(schema(false));
    expect(field).toMatchObject({ type: "array", required: false, minItems: 2, maxItems: 3 });
    expect(fieldIssue(field!, [])).toBeUndefined();
    expect(answerOf([field!], { channels: [] })).toEqual({});
    expect(fieldIssue(field!, ["email"])).toBe("Pick at least 2.");
    expect(fieldIssue(field!, ["email", "sms", "push", "slack"])).toBe("Pick at most 3.");
    expect(fieldIssue(field!, ["email", "sms"])).toBeUndefined();
    expect(answerOf([field!], { channels: ["email", "sms"] })).toEqual({ channels: ["email", "sms"] });
  });

  it("a required one must be picked", () => {
    const [field] = fieldsOf(schema(true));
    expect(fieldIssue(field!, [])).toBe("Pick at least one.");
    expect(fieldIssue(field!, ["email"])).toBe("Pick at least 2.");
  });
});
