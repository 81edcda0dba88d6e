/**
 * The client features of a connection, run against a real server of each protocol era: the modern
 * era (2026-07-28 only, SDK 2.x server) and the legacy era (2025-11-25, SDK 1.x server).
 */
import type { ReadResourceResult } from "@modelcontextprotocol/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectMcp, type McpConnection, type McpEndpointConfig } from "./connection.js";
import { McpConnectionError } from "./errors.js";
import type { InputAnswer, InputRequest, LogMessage, TaskStatusUpdate } from "./hooks.js";
import { createSsrfGuard, type Resolver } from "./net/ssrf.js";
import {
  COUNTER_URI,
  type FeatureState,
  FORM_SCHEMA,
  ITEM_TEMPLATE,
  LINK_URL,
  MODERN_PROTOCOL_VERSION,
  type ModernPeer,
  STATS_ANNOTATIONS,
  STATS_ICON,
  STATS_SCHEMA,
  type StreamablePeer,
  startLegacySsePeer,
  startModernPeer,
  startStreamablePeer,
} from "./testing/index.js";

/** Loopback only; any name lookup is recorded (and fails), so a fetch of a URL would show. */
const lookups: string[] = [];
const recordingDns: Resolver = async (host) => {
  lookups.push(host);
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
};
const guard = createSsrfGuard({ allowPrivateNetworks: true, allowedHosts: [], resolve: recordingDns });

const cfg = (url: string, extra: Partial<McpEndpointConfig> = {}): McpEndpointConfig => ({
  url,
  authMethod: "none",
  timeoutSec: 5,
  sslVerify: true,
  ...extra,
});

const textOf = (result: { content: unknown }) =>
  (result.content as { type: string; text?: string }[]).map((c) => c.text ?? "").join("");

/** Waits until `check` holds (a coarse bound: the events under test arrive within milliseconds). */
async function eventually(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 250; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function failure(p: Promise<unknown>): Promise<Error> {
  const err = await p.then(
    () => {
      throw new Error("expected a failure");
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  return err as Error;
}

type EraCase = {
  era: "modern" | "legacy";
  protocol: RegExp;
  start(): Promise<{ url: string; close(): Promise<void>; state(): FeatureState }>;
};

const eras: EraCase[] = [
  {
    era: "modern",
    protocol: new RegExp(`^${MODERN_PROTOCOL_VERSION}$`),
    async start() {
      const peer: ModernPeer = await startModernPeer({ features: true });
      return { url: peer.url, close: peer.close, state: () => peer.state };
    },
  },
  {
    era: "legacy",
    protocol: /^2025-\d{2}-\d{2}$/,
    async start() {
      const peer: StreamablePeer = await startStreamablePeer({ features: true });
      return { url: peer.url, close: peer.close, state: () => peer.sessionStates.at(-1)! };
    },
  },
];

describe.each(eras)("$era era", ({ era, protocol, start }) => {
  let peer: Awaited<ReturnType<EraCase["start"]>>;
  let conn: McpConnection;

  beforeAll(async () => {
    peer = await start();
    conn = await connectMcp(cfg(peer.url), { guard });
  });
  afterAll(async () => {
    await conn.close();
    await peer.close();
  });

  it("speaks the era and says so", () => {
    expect(conn.era).toBe(era);
    expect(conn.protocolVersion).toMatch(protocol);
    expect(conn.transport).toBe("streamable_http");
    expect(conn.eraVerdict).toMatchObject({
      era,
      transport: "streamable_http",
      protocol_version: conn.protocolVersion,
    });
    expect(conn.serverInfo.name).toMatch(/peer/);
  });

  it("lists tools with their title, annotations and output schema (and icons, where the server sets them)", async () => {
    const stats = (await conn.listTools()).find((t) => t.name === "stats")!;
    expect(stats.title).toBe("Statistics");
    expect(stats.annotations).toMatchObject(STATS_ANNOTATIONS);
    expect(stats.outputSchema).toMatchObject({ type: "object", required: [...STATS_SCHEMA.required] });
    if (era === "modern") expect(stats.icons).toEqual([STATS_ICON]);
    expect(conn.cachedTools()?.map((t) => t.name)).toContain("bad_stats");
  });

  it("reports progress and resets the timeout on it", async () => {
    const seen: number[] = [];
    const result = await conn.callTool(
      "progress",
      { steps: 4, delayMs: 400 },
      { timeoutSec: 1, onProgress: (p) => seen.push(p.progress) },
    );
    expect(textOf(result)).toBe("done after 4 steps");
    expect(seen).toEqual([1, 2, 3, 4]);
    // The last notification right before the result is not lost either.
    const quick: number[] = [];
    await conn.callTool("progress", { steps: 3, delayMs: 0 }, { onProgress: (p) => quick.push(p.progress) });
    expect(quick).toEqual([1, 2, 3]);
  });

  it("progress resets the timeout only up to the total bound", async () => {
    const seen: number[] = [];
    const t0 = Date.now();
    const err = await failure(
      conn.callTool(
        "progress",
        { steps: 20, delayMs: 250 },
        { timeoutSec: 1, maxTotalTimeoutSec: 1.5, onProgress: (p) => seen.push(p.progress) },
      ),
    );
    expect((err as McpConnectionError).code).toBe("TIMEOUT");
    expect(err.message).toBe("No response within 1 s (timeout)");
    expect(seen.length).toBeGreaterThan(0);
    expect(Date.now() - t0).toBeLessThan(4000);
  });

  it("cancels a call through the abort signal, and the server hears of it", async () => {
    const before = peer.state().cancelled;
    const controller = new AbortController();
    const call = conn.callTool("wait_for_cancel", {}, { signal: controller.signal });
    setTimeout(() => controller.abort(), 200);
    const err = await failure(call);
    expect(err.name).toBe("AbortError");
    await eventually(() => peer.state().cancelled === before + 1, "the server to see the cancellation");
    // The connection is still usable.
    expect(textOf(await conn.callTool("echo", { text: "after" }))).toBe("after");
  });

  describe("form elicitation", () => {
    const answering = (answer: InputAnswer) => {
      const asked: InputRequest[] = [];
      return {
        asked,
        hooks: {
          onInputRequest: async (request: InputRequest) => {
            asked.push(request);
            return answer;
          },
        },
      };
    };

    it("accept sends the answer", async () => {
      const { asked, hooks } = answering({ action: "accept", content: { name: "Ada", age: 36 } });
      const result = await conn.callTool("confirm", {}, hooks);
      expect(textOf(result)).toBe('accepted {"name":"Ada","age":36}');
      expect(asked).toEqual([
        { kind: "form", message: "Who are you?", schema: expect.objectContaining({ required: ["name"] }) },
      ]);
      expect(asked[0]!.kind === "form" && asked[0]!.schema.properties).toMatchObject(FORM_SCHEMA.properties);
    });

    it("decline and cancel are passed on", async () => {
      expect(textOf(await conn.callTool("confirm", {}, answering({ action: "decline" }).hooks))).toBe(
        "declined",
      );
      expect(textOf(await conn.callTool("confirm", {}, answering({ action: "cancel" }).hooks))).toBe(
        "cancelled",
      );
    });

    it("an answer that does not fit the form is not sent: the person is asked again", async () => {
      const asked: InputRequest[] = [];
      const answers: InputAnswer[] = [
        { action: "accept", content: { age: -1 } },
        { action: "accept", content: { name: "Grace" } },
      ];
      const result = await conn.callTool(
        "confirm",
        {},
        {
          onInputRequest: async (request) => {
            asked.push(request);
            return answers.shift()!;
          },
        },
      );
      expect(textOf(result)).toBe('accepted {"name":"Grace"}');
      expect(asked).toHaveLength(2);
      expect(asked[1]).toMatchObject({ kind: "form", invalidAnswer: expect.stringMatching(/name|age/) });
    });

    it("the call's timeout waits while a person answers", async () => {
      const result = await conn.callTool(
        "confirm",
        {},
        {
          timeoutSec: 1,
          onInputRequest: async () => {
            await new Promise((r) => setTimeout(r, 1500));
            return { action: "accept", content: { name: "Slow" } };
          },
        },
      );
      expect(textOf(result)).toBe('accepted {"name":"Slow"}');
    });

    it("concurrent calls each get their own requests", async () => {
      const ask = (name: string) =>
        conn.callTool(
          "confirm",
          {},
          {
            onInputRequest: async () => {
              await new Promise((r) => setTimeout(r, 50));
              return { action: "accept", content: { name } };
            },
          },
        );
      const results = await Promise.all(["One", "Two", "Three"].map(ask));
      expect(results.map(textOf)).toEqual([
        'accepted {"name":"One"}',
        'accepted {"name":"Two"}',
        'accepted {"name":"Three"}',
      ]);
    });
  });

  it("URL elicitation shows the link and never fetches it", async () => {
    lookups.length = 0;
    const asked: InputRequest[] = [];
    const result = await conn.callTool(
      "open_link",
      {},
      {
        onInputRequest: async (request) => {
          asked.push(request);
          return { action: "accept" };
        },
      },
    );
    expect(textOf(result)).toBe("accept");
    expect(asked[0]).toMatchObject({ kind: "url", message: "Connect your account", url: LINK_URL });
    expect(lookups).toEqual([]);
  });

  describe("sampling", () => {
    it("routes the request to the hook and returns the model's answer", async () => {
      const asked: InputRequest[] = [];
      const result = await conn.callTool(
        "summarize",
        { text: "a long story" },
        {
          onInputRequest: async (request) => {
            asked.push(request);
            return {
              action: "accept",
              sampling: { role: "assistant", content: { type: "text", text: "short" }, model: "test-model" },
            };
          },
        },
      );
      expect(textOf(result)).toBe("summary: short");
      expect(asked[0]).toMatchObject({ kind: "sampling", maxTokens: 50, systemPrompt: "Be brief." });
    });

    it("a refusal, or no hook at all, refuses with a clear error", async () => {
      const refused = conn.callTool(
        "summarize",
        { text: "x" },
        { onInputRequest: async () => ({ action: "decline" }) },
      );
      const noHook = conn.callTool("summarize", { text: "x" });
      if (era === "legacy") {
        // The server hears the refusal and answers with a tool error.
        expect(textOf(await refused)).toMatch(/sampling failed: .*rejected the sampling request/);
        expect(textOf(await noHook)).toMatch(/sampling failed: .*Sampling refused.*nobody to ask/);
      } else {
        // Modern era: the refusal happens while fulfilling the call's input_required round.
        expect((await failure(refused)).message).toMatch(/rejected the sampling request/);
        expect((await failure(noHook)).message).toMatch(/Sampling refused.*nobody to ask/);
      }
    });
  });

  it("watches a resource and says when it changed", async () => {
    const updates: string[] = [];
    const off = conn.on("resource_updated", (e) => updates.push(e.uri));
    await conn.subscribeResource(COUNTER_URI);
    await conn.callTool("bump_counter");
    await eventually(() => updates.includes(COUNTER_URI), "resource_updated");
    const read: ReadResourceResult = await conn.readResource(COUNTER_URI);
    expect(read.contents[0]).toMatchObject({ uri: COUNTER_URI, text: String(peer.state().counter) });
    await conn.unsubscribeResource(COUNTER_URI);
    off();
  });

  it("refreshes the cached tool list when the server says it changed", async () => {
    await conn.listTools();
    await conn.watchChanges();
    const changes: string[][] = [];
    const off = conn.on("tools_changed", (tools) => changes.push(tools.map((t) => t.name)));
    const added = textOf(await conn.callTool("add_tool"));
    await eventually(() => changes.some((names) => names.includes(added)), "tools_changed");
    expect(conn.cachedTools()?.map((t) => t.name)).toContain(added);
    expect(textOf(await conn.callTool(added))).toBe(added);
    off();
  });

  it("completes resource template and prompt arguments", async () => {
    const templates = await conn.listResourceTemplates();
    expect(templates.map((t) => t.uriTemplate)).toContain(ITEM_TEMPLATE);
    const ids = await conn.complete({
      ref: { type: "ref/resource", uri: ITEM_TEMPLATE },
      argument: { name: "id", value: "al" },
    });
    expect(ids.values).toEqual(["alpha", "alpine"]);
    const names = await conn.complete({
      ref: { type: "ref/prompt", name: "greet_person" },
      argument: { name: "name", value: "A" },
    });
    expect(names.values).toEqual(["Ada", "Alan"]);
    expect((await conn.readResource("test://items/beta")).contents[0]).toMatchObject({ text: "item beta" });
    const prompt = await conn.getPrompt("greet_person", { name: "Ada" });
    expect(prompt.messages[0]?.content).toEqual({ type: "text", text: "Hello, Ada!" });
  });

  it("sets the log level and attributes log messages to the call that caused them", async () => {
    await conn.setLogLevel("info");
    const attributed: LogMessage[] = [];
    const unattributed: LogMessage[] = [];
    const off = conn.on("log", (m) => unattributed.push(m));
    const result = await conn.callTool("log_steps", {}, { onLog: (m) => attributed.push(m) });
    expect(textOf(result)).toBe("logged");
    expect(attributed).toEqual([
      { level: "info", logger: "steps", data: "step at info" },
      { level: "warning", logger: "steps", data: "step at warning" },
    ]);
    if (era === "legacy") {
      // Sent outside the call (on the session's standalone stream): the connection's event.
      await eventually(() => unattributed.length > 0, "the unrelated log message");
      expect(unattributed).toEqual([{ level: "warning", logger: "server", data: "unrelated" }]);
    }
    off();
  });

  it("validates structured content against the tool's output schema", async () => {
    const ok = await conn.callTool("stats");
    expect(ok.structuredContent).toEqual({ count: 3, label: "three" });
    const err = await failure(conn.callTool("bad_stats"));
    expect(err).toBeInstanceOf(McpConnectionError);
    expect((err as McpConnectionError).code).toBe("PROTOCOL_ERROR");
    expect(err.message).toMatch(
      /^The tool "bad_stats" returned structured content that does not match its output schema: /,
    );
  });
});

describe("legacy era: tools run as tasks", () => {
  let peer: StreamablePeer;
  let conn: McpConnection;
  beforeAll(async () => {
    peer = await startStreamablePeer({ features: true });
    conn = await connectMcp(cfg(peer.url), { guard });
  });
  afterAll(async () => {
    await conn.close();
    await peer.close();
  });

  it("follows a task to its result, reporting its status", async () => {
    const statuses: TaskStatusUpdate[] = [];
    const result = await conn.callTool(
      "long_task",
      { steps: 3, stepMs: 150 },
      { onTaskStatus: (t) => statuses.push(t) },
    );
    expect(textOf(result)).toBe("finished 3 steps");
    expect(statuses[0]).toMatchObject({ status: "working", taskId: expect.any(String) });
    expect(new Set(statuses.map((s) => s.taskId)).size).toBe(1);
  });

  it("cancelling the call cancels the task", async () => {
    const statuses: TaskStatusUpdate[] = [];
    const controller = new AbortController();
    const call = conn.callTool(
      "long_task",
      { steps: 50, stepMs: 100 },
      { signal: controller.signal, onTaskStatus: (t) => statuses.push(t) },
    );
    await eventually(() => statuses.length > 0, "the task to start");
    controller.abort();
    expect((await failure(call)).name).toBe("AbortError");
    expect(statuses.at(-1)).toMatchObject({ status: "cancelled", taskId: statuses[0]!.taskId });
  });
});

describe("legacy HTTP+SSE transport", () => {
  it("routes an input request to the only call that can answer (its messages share one stream)", async () => {
    const peer = await startLegacySsePeer({ features: true });
    const conn = await connectMcp(cfg(peer.url), { guard });
    try {
      expect(conn.transport).toBe("sse");
      expect(conn.eraVerdict).toMatchObject({ era: "legacy", transport: "sse" });
      const result = await conn.callTool(
        "confirm",
        {},
        { onInputRequest: async () => ({ action: "accept", content: { name: "Sse" } }) },
      );
      expect(textOf(result)).toBe('accepted {"name":"Sse"}');
      // The SDK (1.x, and 2.4 still) drops a final progress notification that shares a chunk with
      // the result on this transport (typescript-sdk#2580); the connection keeps it.
      const seen: number[] = [];
      await conn.callTool("progress", { steps: 3, delayMs: 0 }, { onProgress: (p) => seen.push(p.progress) });
      expect(seen).toEqual([1, 2, 3]);
    } finally {
      await conn.close();
      await peer.close();
    }
  });
});
