import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { ResponseMessage } from "@modelcontextprotocol/sdk/shared/responseMessage.js";
import {
  CallToolResultSchema,
  type CallToolResult as LegacyCallToolResult,
} from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getSignupDataset } from "./dataset.js";
import { type DemoMcpHandle, startDemoMcpServer } from "./index.js";
import { connectEra, type Progress, type ToolResult, textOfResult } from "./testing/eraClients.js";
import { connectStreamable, waitFor } from "./testing/utils.js";

const REFERENCE_DATE = "2025-06-01";
const deCount = getSignupDataset(REFERENCE_DATE).signups.filter((s) => s.country === "DE").length;
const lines: string[] = [];
let handle: DemoMcpHandle;
beforeAll(async () => {
  handle = await startDemoMcpServer({ referenceDate: REFERENCE_DATE, log: (line) => lines.push(line) });
});
afterAll(async () => {
  await handle?.close();
});

function expectCsv(result: ToolResult | LegacyCallToolResult, rows: number): void {
  const resource = result.content.find((c) => c.type === "resource") as
    | { resource: { uri: string; mimeType: string; text: string } }
    | undefined;
  expect(resource?.resource.mimeType).toBe("text/csv");
  expect(resource?.resource.uri).toMatch(
    /^export:\/\/signups\/signups-2025-03-03-to-2025-05-31-country-de\.csv$/,
  );
  const csvLines = resource?.resource.text.trimEnd().split("\r\n") ?? [];
  expect(csvLines[0]).toBe("id,email,country,plan,signed_up_at,source");
  expect(csvLines).toHaveLength(rows + 1);
  expect(csvLines.slice(1).every((l) => l.split(",")[2] === "DE")).toBe(true);
}

describe("export_signups as a 2025-11-25 task (legacy era)", () => {
  let client: Client;
  beforeAll(async () => {
    client = await connectStreamable(handle.url);
  });
  afterAll(async () => {
    await client?.close();
  });

  it("creates a task, reports its status, and delivers the CSV as the task's result", async () => {
    const messages: ResponseMessage<LegacyCallToolResult>[] = [];
    const stream = client.experimental.tasks.callToolStream(
      { name: "export_signups", arguments: { country: "de", chunk_ms: 150 } },
      CallToolResultSchema,
      { task: { ttl: 60_000 } },
    );
    for await (const message of stream) messages.push(message);
    const created = messages.find((m) => m.type === "taskCreated");
    expect(created?.type === "taskCreated" && created.task.status).toBe("working");
    expect(created?.type === "taskCreated" && created.task.pollInterval).toBe(200);
    const last = messages[messages.length - 1];
    if (last?.type !== "result") throw new Error(`no result: ${JSON.stringify(messages)}`);
    expect(textOfResult(last.result as ToolResult)).toMatch(new RegExp(`^Exported ${deCount} signups`));
    expectCsv(last.result, deCount);

    const taskId = created?.type === "taskCreated" ? created.task.taskId : "";
    const task = await client.experimental.tasks.getTask(taskId);
    expect(task.status).toBe("completed");
    expect(task.statusMessage).toBe(`Exported ${deCount}/${deCount} rows`);
    const { tasks } = await client.experimental.tasks.listTasks();
    expect(tasks.map((t) => t.taskId)).toContain(taskId);
  });

  it("stops the work when the task is cancelled", async () => {
    lines.length = 0;
    const stream = client.experimental.tasks.callToolStream(
      { name: "export_signups", arguments: { chunk_ms: 2000 } },
      CallToolResultSchema,
      { task: { ttl: 60_000 } },
    );
    const first = await stream.next();
    if (first.value?.type !== "taskCreated") throw new Error("expected the task first");
    const { taskId } = first.value.task;
    const cancelled = await client.experimental.tasks.cancelTask(taskId);
    expect(cancelled.status).toBe("cancelled");
    await stream.return(undefined);
    await waitFor(
      () => lines.some((l) => l.startsWith("export_signups stopped after cancellation (legacy era")),
      3000,
      "the export to stop",
    );
    expect((await client.experimental.tasks.getTask(taskId)).status).toBe("cancelled");
  });

  it("also runs without task augmentation (the server waits for its own task)", async () => {
    const result = (await client.callTool({
      name: "export_signups",
      arguments: { country: "DE", chunk_ms: 10 },
    })) as LegacyCallToolResult;
    expect(result.isError).toBeFalsy();
    expectCsv(result, deCount);
  });
});

describe("export_signups in the 2026-07-28 era (no tasks in the 2.x SDK: a call with progress)", () => {
  it("reports progress per chunk and returns the CSV", async () => {
    const client = await connectEra("modern", handle.url);
    const progress: Progress[] = [];
    const result = await client.callTool(
      "export_signups",
      { country: "DE", chunk_ms: 20 },
      { onprogress: (p) => progress.push(p) },
    );
    expect(progress.map((p) => p.progress)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(progress[5]?.message).toBe(`Exported ${deCount}/${deCount} rows`);
    expectCsv(result, deCount);
    await client.close();
  });

  it("stops when the call is cancelled", async () => {
    lines.length = 0;
    const client = await connectEra("modern", handle.url);
    const controller = new AbortController();
    const pending = client.callTool(
      "export_signups",
      { chunk_ms: 2000 },
      {
        signal: controller.signal,
        onprogress: () => controller.abort("user cancelled"),
      },
    );
    await expect(pending).rejects.toThrow();
    await waitFor(
      () => lines.some((l) => l.startsWith("export_signups stopped after cancellation (modern era")),
      3000,
      "the export to stop",
    );
    await client.close();
  });
});
