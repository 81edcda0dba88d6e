import { GraphSpec } from "@mcpdeck/contracts";
import { describe, expect, it } from "vitest";
import { type CatalogTool, checkGraph } from "./graph.js";

const tools: CatalogTool[] = [
  {
    name: "query_signups",
    title: "Query signups",
    description: "Query the signups table. Filters by date.",
    inputSchema: {
      type: "object",
      properties: { country: { type: "string" }, limit: { type: "integer", minimum: 1, maximum: 100 } },
      additionalProperties: false,
    },
    annotations: { readOnlyHint: true },
  },
  {
    name: "build_report",
    inputSchema: {
      type: "object",
      properties: { title: { type: "string", minLength: 1 }, data: {} },
      required: ["title"],
    },
    annotations: { readOnlyHint: false, destructiveHint: false },
  },
  { name: "purge", inputSchema: { type: "object" } },
];

const spec = (nodes: unknown[]) => GraphSpec.parse({ nodes });

describe("checking a proposed graph", () => {
  it("accepts a valid graph: laid out, pending, titled, annotated, with reference dependencies added", () => {
    const check = checkGraph(
      spec([
        { id: "q", tool: "query_signups", arguments: { country: "US", limit: 5 } },
        { id: "r", tool: "build_report", arguments: { title: "Signups: {{q.total}}", data: "{{q.rows}}" } },
      ]),
      tools,
    );
    expect(check.ok).toBe(true);
    if (!check.ok) return;
    const [q, r] = check.nodes;
    expect(q).toMatchObject({
      id: "q",
      title: "Query signups",
      content: "Query the signups table.",
      status: "pending",
      annotations: { read_only: true, destructive: false },
    });
    expect(q!.depends_on).toBeUndefined();
    expect(r).toMatchObject({
      title: "build_report",
      depends_on: ["q"],
      annotations: { destructive: false },
    });
    expect(r!.position.x).toBeGreaterThan(q!.position.x);
    expect(checkGraph(spec([{ id: "p", tool: "purge" }]), tools)).toMatchObject({
      ok: true,
      nodes: [{ annotations: { read_only: false, destructive: true } }],
    });
  });

  it("refuses duplicate ids, dangling and self dependencies, and references to unknown nodes", () => {
    const check = checkGraph(
      spec([
        { id: "a", tool: "purge" },
        { id: "a", tool: "purge" },
        { id: "b", tool: "purge", depends_on: ["ghost", "b"] },
        { id: "c", tool: "build_report", arguments: { title: "{{nobody.text}}" } },
      ]),
      tools,
    );
    expect(check).toEqual({
      ok: false,
      problems: [
        'Node ids must be unique: "a" is used more than once.',
        'Node "b" depends on "ghost", which is not in the graph.',
        'Node "b" depends on itself.',
        'Node "c" references {{nobody.text}}, but there is no node "nobody".',
      ],
    });
  });

  it("names the cycle in the order work would flow", () => {
    const check = checkGraph(
      spec([
        { id: "a", tool: "purge", depends_on: ["c"] },
        { id: "b", tool: "purge", depends_on: ["a"] },
        { id: "c", tool: "purge", depends_on: ["b"] },
        { id: "d", tool: "purge" },
      ]),
      tools,
    );
    expect(check.ok).toBe(false);
    if (check.ok) return;
    expect(check.problems).toHaveLength(1);
    expect(check.problems[0]).toMatch(
      /^The graph has a cycle: (a → b → c → a|b → c → a → b|c → a → b → c)\.$/,
    );
  });

  it("refuses unknown tools, naming what the server offers", () => {
    expect(checkGraph(spec([{ id: "x", tool: "frobnicate" }]), tools)).toEqual({
      ok: false,
      problems: [
        'Node "x" uses tool "frobnicate", which this server does not offer (it offers: query_signups, build_report, purge).',
      ],
    });
  });

  it("checks arguments against the tool's input schema, leaving referenced values for run time", () => {
    const check = checkGraph(
      spec([
        { id: "q", tool: "query_signups", arguments: { limit: 1000, colour: "red" } },
        { id: "r", tool: "build_report", arguments: {} },
        { id: "s", tool: "query_signups", arguments: { limit: "{{q.total}}" } },
      ]),
      tools,
    );
    expect(check).toEqual({
      ok: false,
      problems: [
        'Node "q" (query_signups): arguments.colour is not an accepted field.',
        'Node "q" (query_signups): arguments.limit must be <= 100.',
        'Node "r" (build_report): arguments.title is required.',
      ],
    });
  });
});
