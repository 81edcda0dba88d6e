import { type LlmStandIn, startLlmStandIn } from "@mcpdeck/api/testing/llm-standin";
import { type McpdeckClient, SessionView, TERMINAL_STATUSES } from "@mcpdeck/sdk";
import { type LiveApi, startLiveApi } from "@mcpdeck/sdk/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Home,
  type Running,
  signedInWithDemo,
  start,
  startInTerminal,
  userHome,
} from "./testing/cli.js";

/**
 * Input requests other than forms, asked at `mcpdeck chat`'s prompt: a URL for the person to open
 * (the demo's `connect_data_source`, whose page confirms the connection) and a sampling request (the
 * demo's `summarize_signups`), answered by the API's model, an LLM stand-in on loopback.
 */
let api: LiveApi;
let standIn: LlmStandIn;
let home: Home;
let client: McpdeckClient;
let serverId: string;

beforeAll(async () => {
  standIn = await startLlmStandIn("openai-compatible");
  api = await startLiveApi({
    env: {
      LLM_PROVIDER: "openai-compatible",
      LLM_MODEL: "qwen2.5:7b",
      LLM_BASE_URL: standIn.baseUrl,
      LLM_CONTEXT_TOKENS: "16384",
    },
  });
  home = userHome();
  const demo = await signedInWithDemo(api, home, "chat-inputs@example.com");
  client = demo.client;
  serverId = demo.server.id;
});
afterAll(async () => {
  await client?.close();
  await api?.close();
  await standIn?.close();
});

/** Node `nodeId` of the current conversation once it has ended, read from its history through the SDK. */
async function finalNode(nodeId: string) {
  const session = client.session(serverId);
  const view = new SessionView();
  const timer = setTimeout(() => void session.close(), 20_000);
  try {
    for await (const event of session) {
      view.apply(event);
      const node = [...view.graphs.values()].flatMap((g) => g.nodes).find((n) => n.id === nodeId);
      if (node && TERMINAL_STATUSES.has(node.status)) return node;
    }
    return undefined;
  } finally {
    clearTimeout(timer);
    await session.close();
  }
}

/** Starts a chat, calls `tool` and approves it; returns where the output stands once it is asked. */
async function callAndApprove(chat: Running, call: string): Promise<number> {
  let at = await chat.waitFor("demo> ");
  chat.write("/new");
  at = await chat.waitFor("── new conversation", at);
  chat.write(call);
  at = await chat.waitFor("Approve the plan? [y]es, [n]o, step ids, or Enter for later: ", at);
  chat.write("y");
  return at;
}

/** The address the chat printed for the person to open. */
const shownUrl = (output: string, from: number) => {
  const m = /Open this address yourself \(mcpdeck never opens it\): (\S+)/.exec(output.slice(from));
  expect(m, output.slice(from)).not.toBeNull();
  return m![1]!;
};

describe("mcpdeck chat: a URL to open", () => {
  it("shows the whole address to open, and the person's consent lets the server finish", async () => {
    const chat = startInTerminal(api, home, ["chat", "demo"]);
    let at = await callAndApprove(chat, '/call connect_data_source {"source": "google_analytics"}');
    at = await chat.waitFor(
      'call asks: Open this page to connect Google Analytics to the signups analysis, then press "Connect" there.',
      at,
    );
    at = await chat.waitFor("Press Enter once you are done there (or /decline, /dismiss): ", at);
    const url = shownUrl(chat.output, 0);
    // The whole address, on the demo server, with the connection's id: nothing cut or wrapped away.
    expect(url).toMatch(
      new RegExp(`^${api.demoUrl.replace(/\/mcp$/, "").replace(/[.]/g, "\\.")}/connect/[0-9a-f-]{36}$`),
    );

    // The person opens it and confirms there, then comes back and presses Enter.
    const page = await fetch(url);
    expect(await page.text()).toContain("<h1>Connect Google Analytics</h1>");
    expect((await fetch(url, { method: "POST" })).status).toBe(200);
    chat.write("");
    at = await chat.waitFor(
      /✓ call\s+connect_data_source succeeded — Google Analytics is connected \(connection [0-9a-f-]{36}\)\./,
      at,
    );
    const node = await finalNode("call");
    expect(node).toMatchObject({ status: "succeeded", tool: "connect_data_source" });
    expect(node?.result_preview).toBe(`Google Analytics is connected (connection ${url.split("/").at(-1)}).`);
    chat.write("/quit");
    expect(await chat.exited).toBe(0);
  }, 90_000);

  it("sends the person's refusal back: /decline, and the server hears it", async () => {
    const chat = start(api, home, ["chat", "demo"]);
    let at = await callAndApprove(chat, '/call connect_data_source {"source": "stripe"}');
    at = await chat.waitFor("call asks: Open this page to connect Stripe", at);
    at = await chat.waitFor("Press Enter once you are done there (or /decline, /dismiss): ", at);
    const url = shownUrl(chat.output, 0);
    chat.write("/decline");
    at = await chat.waitFor(
      /✓ call\s+connect_data_source succeeded — The user declined to connect Stripe\./,
      at,
    );
    expect(await finalNode("call")).toMatchObject({
      status: "succeeded",
      result_preview: "The user declined to connect Stripe.",
    });
    // The server forgot the declined connection: its page no longer offers it.
    expect((await fetch(url)).status).toBe(404);
    chat.child.stdin.end();
    expect(await chat.exited).toBe(0);
  }, 60_000);
});

describe("mcpdeck chat: a sampling request", () => {
  it("shows what the model would be asked, and an approval has the model answer the server", async () => {
    standIn.requests.length = 0;
    standIn.script(
      { text: "Signups held steady over the week, led by the US on the free plan." },
      { text: "The server's model wrote the summary." },
    );
    const chat = start(api, home, ["chat", "demo"]);
    let at = await callAndApprove(chat, '/call summarize_signups {"days": 7, "max_tokens": 120}');
    const asked = await chat.waitFor(
      "call asks: The server asks the model to continue this conversation.",
      at,
    );
    at = await chat.waitFor("Let the model answer this? [y]es, [n]o: ", asked);
    // Everything the model would be given, before the question: instructions, messages, length.
    const shown = chat.output.slice(asked, at);
    expect(shown).toContain(
      "\n  system: You are a concise product analyst. Answer in at most three sentences.\n",
    );
    expect(shown).toMatch(
      /\n {2}user: Summarise these user signups for the last 7 days \(\d{4}-\d\d-\d\d to /,
    );
    expect(shown).toMatch(/\nBy country: \{"US":\d+,.*\}\nBy plan: \{.*\}\nBy source: \{.*\}\n/);
    expect(shown).toContain("(an answer of at most 120 tokens)");
    // Nothing reaches the model before the person says yes.
    expect(standIn.requests).toHaveLength(0);
    chat.write("y");
    at = await chat.waitFor(
      /✓ call\s+summarize_signups succeeded — Summary of \d+ signups over 7 days \(by qwen2\.5:7b\): Signups held steady over the week, led by the US on the free plan\./,
      at,
    );
    const sampled = JSON.stringify(standIn.requests[0]!.body);
    expect(sampled).toContain("Summarise these user signups for the last 7 days");
    expect(sampled).toContain("You are a concise product analyst.");
    expect(standIn.requests[0]!.body.max_tokens).toBe(120);
    expect(await finalNode("call")).toMatchObject({ status: "succeeded" });
    chat.child.stdin.end();
    expect(await chat.exited).toBe(0);
  }, 60_000);

  it("a refusal never reaches the model, and the server is told", async () => {
    standIn.requests.length = 0;
    const chat = start(api, home, ["chat", "demo"]);
    let at = await callAndApprove(chat, '/call summarize_signups {"days": 3}');
    at = await chat.waitFor("Let the model answer this? [y]es, [n]o: ", at);
    chat.write("n");
    at = await chat.waitFor(
      /✗ call\s+summarize_signups failed — .*The user rejected the sampling request/,
      at,
    );
    const node = await finalNode("call");
    expect(node?.status).toBe("failed");
    expect(node?.error).toMatch(/The user rejected the sampling request/);
    // Not the sampling request, nor anything else about it: the model heard nothing.
    expect(
      standIn.requests.filter((r) => JSON.stringify(r.body).includes("Summarise these user signups")),
    ).toEqual([]);
    chat.child.stdin.end();
    expect(await chat.exited).toBe(0);
  }, 60_000);
});
