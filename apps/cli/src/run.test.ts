import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type LiveApi, startLiveApi } from "@mcpdeck/sdk/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Home, mcpdeck, signedInWithDemo, startInTerminal, userHome } from "./testing/cli.js";

let api: LiveApi;
let home: Home;
beforeAll(async () => {
  api = await startLiveApi();
  home = userHome();
  const { client } = await signedInWithDemo(api, home, "ci@example.com");
  await client.close();
});
afterAll(() => api.close());

function plan(name: string, nodes: unknown[]): string {
  const file = join(home.cwd, name);
  writeFileSync(file, JSON.stringify({ nodes }, null, 2));
  return file;
}

describe("mcpdeck run", () => {
  it("runs a plan with --yes: progress on stderr, results as JSON, artifacts saved, exit 0", async () => {
    const file = plan("report.json", [
      { id: "signups", tool: "query_signups", arguments: {} },
      { id: "analysis", tool: "long_running_analysis", arguments: { steps: 4, step_ms: 50 } },
      {
        id: "report",
        tool: "build_report",
        depends_on: ["signups"],
        arguments: { title: "CI report", sections: [{ heading: "Signups", data: "{{signups}}" }] },
      },
    ]);
    const { code, stdout, stderr } = await mcpdeck(api, home, [
      "run",
      "demo",
      "--graph",
      file,
      "--yes",
      "--json",
      "--save",
    ]);
    expect(stderr).toContain("Plan for demo (3 steps):");
    expect(stderr).toMatch(/✓ signups succeeded/);
    expect(stderr).toMatch(/▶ analysis \[#+-*\]\s+\d+%/);
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({ ok: true, server: { name: "demo" } });
    expect(result.nodes.map((n: { id: string; status: string }) => [n.id, n.status])).toEqual([
      ["signups", "succeeded"],
      ["analysis", "succeeded"],
      ["report", "succeeded"],
    ]);
    expect(result.nodes[2].result_preview).toContain('Built PDF report "CI report"');
    expect(result.summary).toMatch(/all 3 steps succeeded/);
    const pdf = result.artifacts.find((a: { content_type: string }) => a.content_type === "application/pdf");
    expect(pdf.saved_as).toBe(join(home.cwd, "ci-report.pdf"));
    expect(readFileSync(pdf.saved_as).subarray(0, 5).toString()).toBe("%PDF-");
  });

  it("exits 1 when a step fails, naming the failure", async () => {
    const file = plan("fails.json", [
      { id: "broken", tool: "always_fails", arguments: {} },
      { id: "after", tool: "query_signups", arguments: {}, depends_on: ["broken"] },
    ]);
    const { code, stdout, stderr } = await mcpdeck(api, home, [
      "run",
      "demo",
      "--graph",
      file,
      "--yes",
      "--json",
    ]);
    expect(stderr).toMatch(/✗ broken failed — .+/);
    expect(code).toBe(1);
    const result = JSON.parse(stdout);
    expect(result.ok).toBe(false);
    expect(result.nodes[0]).toMatchObject({ id: "broken", status: "failed", error: expect.any(String) });
    expect(result.nodes[1]).toMatchObject({ id: "after", status: "skipped" });
  });

  it("refuses a plan the server does not accept, and runs nothing unapproved", async () => {
    const invalid = plan("invalid.json", [{ id: "x", tool: "no_such_tool", arguments: {} }]);
    const refused = await mcpdeck(api, home, ["run", "demo", "--graph", invalid, "--yes"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("The plan was not accepted");

    const fine = plan("fine.json", [{ id: "signups", tool: "query_signups", arguments: {} }]);
    const unapproved = await mcpdeck(api, home, ["run", "demo", "--graph", fine]);
    expect(unapproved.code).toBe(1);
    expect(unapproved.stderr).toContain("pass --yes");

    const notJson = join(home.cwd, "broken.json");
    writeFileSync(notJson, "{ nodes: ");
    const usage = await mcpdeck(api, home, ["run", "demo", "--graph", notJson]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("broken.json is not JSON");
  });

  it("at a terminal: asks before running, and asks the plan's input requests at the prompt", async () => {
    const file = plan("ask.json", [
      { id: "analysis", tool: "long_running_analysis", arguments: { steps: 3, step_ms: 50 } },
      { id: "configure", tool: "configure_report", arguments: {}, depends_on: ["analysis"] },
    ]);
    const run = startInTerminal(api, home, ["run", "demo", "--graph", file]);
    let at = await run.waitFor("Run these 2 steps? [y/N] ");
    run.write("y");
    at = await run.waitFor("configure asks: How should the signups report look?", at);
    for (const [field, answer] of [
      ["Report title", "Weekly"],
      ["Sections", "2"],
      ["Include a chart", "n"],
      ["Recipient email", "ops@example.com"],
    ] as const) {
      at = await run.waitFor(field, at);
      run.write(answer);
    }
    expect(await run.exited).toBe(0);
    expect(run.output.slice(at)).toMatch(
      /✓ configure succeeded — The user configured the report "Weekly" for ops@example\.com: sections by_country; without a chart\./,
    );
  });
});
