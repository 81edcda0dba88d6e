import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DemoMcpHandle, startDemoMcpServer } from "./index.js";
import { connectEra, ERAS, type Progress, textOfResult } from "./testing/eraClients.js";
import { waitFor } from "./testing/utils.js";

const lines: string[] = [];
let handle: DemoMcpHandle;
beforeAll(async () => {
  handle = await startDemoMcpServer({ referenceDate: "2025-06-01", log: (line) => lines.push(line) });
});
afterAll(async () => {
  await handle?.close();
});

/** Only the server's own progress (the 2.x client adds its own while it fulfils input rounds). */
const own = (progress: Progress[]) =>
  progress.filter((p) => !p.message?.startsWith("Fulfilling input required"));

for (const era of ERAS) {
  describe(`call lifecycle, ${era} era`, () => {
    it("wait returns after the requested time with structured content", async () => {
      const client = await connectEra(era, handle.url);
      const result = await client.callTool("wait", { ms: 30 });
      expect(result.structuredContent).toMatchObject({ requested_ms: 30, cancelled: false });
      expect((result.structuredContent as { waited_ms: number }).waited_ms).toBeGreaterThanOrEqual(25);
      expect(textOfResult(result)).toBe("Waited 30 ms.");
      await client.close();
    });

    it("wait stops promptly when the call is cancelled", async () => {
      lines.length = 0;
      const client = await connectEra(era, handle.url);
      const controller = new AbortController();
      const pending = client.callTool("wait", { ms: 60_000 }, { signal: controller.signal });
      setTimeout(() => controller.abort("user cancelled"), 100);
      await expect(pending).rejects.toThrow();
      // The server-side wait ends at once, not after 60 s.
      await waitFor(
        () => lines.some((l) => l.startsWith(`wait stopped after cancellation (${era} era`)),
        3000,
        "wait to stop",
      );
      await client.close();
    });

    it("waits run in parallel", async () => {
      const client = await connectEra(era, handle.url);
      const started = Date.now();
      const results = await Promise.all(
        Array.from({ length: 4 }, () => client.callTool("wait", { ms: 400 })),
      );
      // Four 400 ms waits in sequence would take 1.6 s.
      expect(Date.now() - started).toBeLessThan(1200);
      expect(results.every((r) => r.structuredContent?.cancelled === false)).toBe(true);
      await client.close();
    });

    it("long_running_analysis reports progress and logs at the requested level", async () => {
      const client = await connectEra(era, handle.url);
      await client.setLogLevel("debug");
      const progress: Progress[] = [];
      const result = await client.callTool(
        "long_running_analysis",
        { steps: 4, step_ms: 10 },
        { onprogress: (p) => progress.push(p) },
      );
      expect(textOfResult(result)).toMatch(/^Analysis complete: 4 steps/);
      expect(own(progress).map((p) => p.progress)).toEqual([0, 1, 2, 3, 4]);
      expect(own(progress).every((p) => p.total === 4)).toBe(true);
      const mine = client.logs.filter((l) => l.logger === "long_running_analysis");
      expect(mine.filter((l) => l.level === "debug")).toHaveLength(4);
      expect(mine.map((l) => l.data)).toContain("Step 2/4 done: Deduplicating accounts");

      client.logs.length = 0;
      await client.setLogLevel("warning");
      await client.callTool("long_running_analysis", { steps: 2, step_ms: 0 });
      expect(client.logs).toEqual([]);
      await client.close();
    });

    it("long_running_analysis emits many progress events quickly (event-rate benchmarks)", async () => {
      const client = await connectEra(era, handle.url);
      const progress: Progress[] = [];
      await client.callTool(
        "long_running_analysis",
        { steps: 500, step_ms: 0 },
        { onprogress: (p) => progress.push(p) },
      );
      expect(own(progress)).toHaveLength(501);
      expect(own(progress).at(-1)?.progress).toBe(500);
      await client.close();
    });

    it("long_running_analysis stops when cancelled", async () => {
      lines.length = 0;
      const client = await connectEra(era, handle.url);
      const controller = new AbortController();
      const pending = client.callTool(
        "long_running_analysis",
        { steps: 50, step_ms: 100 },
        {
          signal: controller.signal,
          onprogress: (p) => {
            if (p.progress >= 1) controller.abort("user cancelled");
          },
        },
      );
      await expect(pending).rejects.toThrow();
      await waitFor(
        () => lines.some((l) => l.startsWith(`long_running_analysis stopped after cancellation (${era} era`)),
        3000,
        "the analysis to stop",
      );
      await client.close();
    });
  });
}
