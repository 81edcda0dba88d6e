import { describe, expect, it } from "vitest";
import { parseCommand } from "./commands.js";

describe("slash commands", () => {
  it("leave plain text to the planner", () => {
    expect(parseCommand("analyze the latest user signups")).toBeUndefined();
  });

  it("parse the simple commands, case-insensitively", () => {
    expect(parseCommand("/help")).toEqual({ kind: "help" });
    expect(parseCommand("  /TOOLS ")).toEqual({ kind: "tools" });
    expect(parseCommand("/new")).toEqual({ kind: "new" });
    expect(parseCommand("/cancel")).toEqual({ kind: "cancel" });
    expect(parseCommand("/approve all")).toEqual({ kind: "approve_all" });
    expect(parseCommand("/approve node_1")).toEqual({ kind: "approve", nodeId: "node_1" });
    expect(parseCommand("/reject q")).toEqual({ kind: "reject", nodeId: "q" });
  });

  it("parse /call with JSON arguments, or none", () => {
    expect(parseCommand('/call query_signups {"country": "US", "limit": 5}')).toEqual({
      kind: "call",
      tool: "query_signups",
      arguments: { country: "US", limit: 5 },
    });
    expect(parseCommand("/call render_chart")).toEqual({ kind: "call", tool: "render_chart", arguments: {} });
  });

  it("parse /graph into a graph spec with defaults", () => {
    expect(
      parseCommand(
        '/graph {"nodes": [{"id": "a", "tool": "t"}, {"id": "b", "tool": "u", "depends_on": ["a"]}]}',
      ),
    ).toEqual({
      kind: "graph",
      spec: {
        nodes: [
          { id: "a", tool: "t", arguments: {}, depends_on: [] },
          { id: "b", tool: "u", arguments: {}, depends_on: ["a"] },
        ],
      },
    });
  });

  it("explain what is wrong with a malformed command", () => {
    expect(parseCommand("/call")).toEqual({ kind: "invalid", message: "Usage: /call TOOL {json arguments}" });
    expect(parseCommand("/call t {nope")).toMatchObject({
      kind: "invalid",
      message: expect.stringMatching(/^The arguments must be JSON: .*Usage: \/call/),
    });
    expect(parseCommand("/call t [1]")).toMatchObject({
      message: expect.stringMatching(/must be a JSON object/),
    });
    expect(parseCommand('/graph {"nodes": []}')).toEqual({
      kind: "invalid",
      message: "The graph is not valid — nodes: a graph needs at least one node.",
    });
    expect(parseCommand('/graph {"nodes": [{"id": "a b", "tool": "t"}]}')).toMatchObject({
      message: expect.stringMatching(/nodes\.0\.id: node ids are 1–64 characters/),
    });
    expect(parseCommand("/approve")).toEqual({
      kind: "invalid",
      message: "Usage: /approve NODE or /approve all",
    });
    expect(parseCommand("/frob")).toEqual({
      kind: "invalid",
      message: "Unknown command /frob. Type /help for the list.",
    });
  });
});
