import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DemoMcpHandle, startDemoMcpServer } from "./index.js";
import { connectEra, ERAS, type SamplingParams, textOfResult } from "./testing/eraClients.js";

let handle: DemoMcpHandle;
beforeAll(async () => {
  handle = await startDemoMcpServer({ referenceDate: "2025-06-01" });
});
afterAll(async () => {
  await handle?.close();
});

for (const era of ERAS) {
  describe(`summarize_signups (sampling), ${era} era`, () => {
    it("asks the client's model and returns its summary", async () => {
      const asked: SamplingParams[] = [];
      const client = await connectEra(era, handle.url, {
        sample: async (params) => {
          asked.push(params);
          return {
            model: "stub-model-1",
            role: "assistant",
            content: { type: "text", text: "Signups grew 12%." },
          };
        },
      });
      const result = await client.callTool("summarize_signups", { days: 7, max_tokens: 120 });
      expect(asked).toHaveLength(1);
      expect(asked[0]?.maxTokens).toBe(120);
      expect(asked[0]?.systemPrompt).toMatch(/product analyst/);
      const prompt = JSON.stringify(asked[0]?.messages);
      expect(prompt).toMatch(/last 7 days \(2025-05-25 to 2025-05-31\)/);
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toMatchObject({
        summary: "Signups grew 12%.",
        model: "stub-model-1",
        days: 7,
      });
      expect(textOfResult(result)).toMatch(
        /^Summary of \d+ signups over 7 days \(by stub-model-1\): Signups grew 12%\.$/,
      );
      await client.close();
    });

    it("is a clear tool error when the client offers no sampling", async () => {
      const client = await connectEra(era, handle.url);
      const result = await client.callTool("summarize_signups");
      expect(result.isError).toBe(true);
      expect(textOfResult(result)).toBe(
        "Sampling is unavailable: the client does not offer sampling, so summarize_signups cannot ask the client's model.",
      );
      await client.close();
    });
  });
}

describe("summarize_signups when the client refuses (legacy era: a server-to-client request that fails)", () => {
  it("is a clear tool error saying sampling is unavailable", async () => {
    const client = await connectEra("legacy", handle.url, {
      sample: async () => {
        throw new Error("The user rejected the sampling request");
      },
    });
    const result = await client.callTool("summarize_signups");
    expect(result.isError).toBe(true);
    expect(textOfResult(result)).toMatch(
      /^Sampling is unavailable: the client refused the request \(.*The user rejected the sampling request\)/,
    );
    await client.close();
  });
});
