import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type LiveApi, startLiveApi } from "@mcpdeck/sdk/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Home, signedInWithDemo, start, startInTerminal, userHome } from "./testing/cli.js";

let api: LiveApi;
let home: Home;
beforeAll(async () => {
  api = await startLiveApi();
  home = userHome();
  const { client } = await signedInWithDemo(api, home, "chat@example.com");
  await client.close();
});
afterAll(() => api.close());

const graph = (nodes: unknown[]) => `/graph ${JSON.stringify({ nodes })}`;

describe("mcpdeck chat", () => {
  it("at a terminal: approvals and a form asked at the prompt, the graph as a live tree, artifacts saved", async () => {
    const chat = startInTerminal(api, home, ["chat", "demo"]);
    let at = await chat.waitFor("demo> ");

    // A form input request, asked field by field, each answer checked.
    chat.write("/call configure_report {}");
    at = await chat.waitFor("Approve the plan? [y]es, [n]o, step ids, or Enter for later: ", at);
    chat.write("y");
    at = await chat.waitFor("call asks: How should the signups report look?", at);
    at = await chat.waitFor(/Report title \(optional\)|Report title \[Latest signups\]: /, at);
    chat.write("");
    at = await chat.waitFor(/Sections \(1\) summary 2\) by_country.*\[summary, daily_trend\]: /, at);
    chat.write("summary, weather");
    at = await chat.waitFor(
      '✗ Sections must be among summary, by_country, by_plan, by_source, daily_trend, marketing_spend (not "weather").',
      at,
    );
    chat.write("1, 3");
    at = await chat.waitFor(/Include a chart \(y\/n\) \[y\]: /, at);
    chat.write("n");
    at = await chat.waitFor("Recipient email (email): ", at);
    chat.write("the cfo");
    at = await chat.waitFor("✗ Recipient email must be an email address, like name@example.com.", at);
    chat.write("cfo@example.com");
    at = await chat.waitFor(
      /✓ call\s+configure_report succeeded — The user configured the report "Latest signups" for cfo@example\.com: sections summary, by_plan; without a chart\./,
      at,
    );

    // A two-step graph with progress: the tree, its bars, the artifact, saved on request.
    chat.write(
      graph([
        { id: "analysis", tool: "long_running_analysis", arguments: { steps: 6, step_ms: 150 } },
        {
          id: "report",
          tool: "build_report",
          depends_on: ["analysis"],
          arguments: { title: "Chat report", sections: [{ heading: "Analysis", data: "{{analysis}}" }] },
        },
      ]),
    );
    at = await chat.waitFor(/├─ ○ analysis|└─ ○ analysis/, at);
    await chat.waitFor(/└─ ○ report\s+build_report\s+pending/, at);
    at = await chat.waitFor("Approve the plan?", at);
    chat.write("y");
    await chat.waitFor(/▶ analysis\s+long_running_analysis running \[#*-*\]\s+\d+%/, at);
    at = await chat.waitFor(
      /artifact 1: chat-report\.pdf \(application\/pdf, [\d.]+ KB\) — \/save 1 to download/,
      at,
    );
    at = await chat.waitFor(/✓ report\s+build_report\s+succeeded/, at);
    at = await chat.waitFor("demo> ", at);
    chat.write("/save 1");
    at = await chat.waitFor(/saved .*chat-report\.pdf/, at);
    expect(readFileSync(join(home.cwd, "chat-report.pdf")).subarray(0, 5).toString()).toBe("%PDF-");

    // The server's own commands work as typed.
    chat.write("/tools");
    at = await chat.waitFor("query_signups", at);
    chat.write("/quit");
    expect(await chat.exited).toBe(0);
  }, 90_000);

  it("with scripted input: the history first, commands, /new, and a destructive step asked about on its own", async () => {
    const chat = start(api, home, ["chat", "demo"]);
    // The conversation so far (the first test's) is shown first.
    let at = await chat.waitFor("> /call configure_report {}");
    at = await chat.waitFor("demo> ", at);
    chat.write("/new");
    at = await chat.waitFor("── new conversation", at);
    chat.write(graph([{ id: "purge", tool: "purge_report_cache", arguments: {} }]));
    at = await chat.waitFor(
      "Step purge runs purge_report_cache, which may change or delete data. Approve it?",
      at,
    );
    chat.write("n");
    at = await chat.waitFor(/⊘ purge rejected/, at);
    chat.write("/sessions");
    at = await chat.waitFor(/\* \S.* [\w-]+ · /, at);
    chat.write("/approve nothing-here");
    at = await chat.waitFor(
      /error: There is no node "nothing-here" in this conversation\. \(NOT_FOUND\)/,
      at,
    );
    chat.child.stdin.end();
    expect(await chat.exited).toBe(0);
  }, 60_000);
});
