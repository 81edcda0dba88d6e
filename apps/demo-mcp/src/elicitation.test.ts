import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DemoMcpHandle, startDemoMcpServer } from "./index.js";
import {
  connectEra,
  type ElicitAnswer,
  type ElicitParams,
  ERAS,
  textOfResult,
} from "./testing/eraClients.js";

let handle: DemoMcpHandle;
beforeAll(async () => {
  handle = await startDemoMcpServer({ referenceDate: "2025-06-01" });
});
afterAll(async () => {
  await handle?.close();
});

const CHOICES = {
  title: "Weekly signups",
  sections: ["summary", "by_country"],
  include_chart: true,
  recipient: "ops@example.com",
};

/** Confirms a /connect page like a person pressing its button. */
async function pressConnect(url: string): Promise<void> {
  const page = await fetch(url);
  expect(page.status).toBe(200);
  expect(await page.text()).toMatch(/<button type="submit">Connect<\/button>/);
  const confirmed = await fetch(url, { method: "POST" });
  expect(confirmed.status).toBe(200);
}

for (const era of ERAS) {
  describe(`configure_report (form elicitation), ${era} era`, () => {
    const run = async (answer: ElicitAnswer) => {
      const asked: ElicitParams[] = [];
      const client = await connectEra(era, handle.url, {
        elicit: {
          answer: async (params) => {
            asked.push(params);
            return answer;
          },
        },
      });
      const result = await client.callTool("configure_report", { suggested_title: "Weekly signups" });
      await client.close();
      return { result, asked };
    };

    it("asks with a JSON schema form and returns what the user chose", async () => {
      const { result, asked } = await run({ action: "accept", content: CHOICES });
      expect(asked).toHaveLength(1);
      const form = asked[0];
      expect(form?.message).toBe("How should the signups report look?");
      expect(form?.requestedSchema).toMatchObject({
        type: "object",
        properties: {
          title: { type: "string", default: "Weekly signups" },
          sections: {
            type: "array",
            items: { type: "string", enum: expect.arrayContaining(["summary", "by_country"]) },
          },
          include_chart: { type: "boolean" },
          recipient: { type: "string", format: "email" },
        },
      });
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toEqual({ action: "accept", ...CHOICES });
      expect(textOfResult(result)).toBe(
        'The user configured the report "Weekly signups" for ops@example.com: sections summary, by_country; with a chart.',
      );
    });

    it("says clearly that the user declined", async () => {
      const { result } = await run({ action: "decline" });
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toEqual({ action: "decline" });
      expect(textOfResult(result)).toBe("The user declined to configure the report; nothing was chosen.");
    });

    it("says clearly that the user cancelled", async () => {
      const { result } = await run({ action: "cancel" });
      expect(result.structuredContent).toEqual({ action: "cancel" });
      expect(textOfResult(result)).toBe("The report configuration was cancelled; nothing was chosen.");
    });

    it("rejects an answer that does not fit the form", async () => {
      const { result } = await run({ action: "accept", content: { ...CHOICES, recipient: "not an email" } });
      expect(result.isError).toBe(true);
      expect(textOfResult(result)).toMatch(/did not match the form/);
    });

    it("is a clear tool error when the client cannot elicit", async () => {
      const client = await connectEra(era, handle.url);
      const result = await client.callTool("configure_report");
      expect(result.isError).toBe(true);
      expect(textOfResult(result)).toMatch(
        /^Elicitation is unavailable: the client did not declare form elicitation/,
      );
      await client.close();
    });
  });

  describe(`connect_data_source (URL elicitation), ${era} era`, () => {
    it("sends the user to a page on the demo's origin and completes once it is confirmed", async () => {
      const asked: ElicitParams[] = [];
      const client = await connectEra(era, handle.url, {
        elicit: {
          url: true,
          answer: async (params) => {
            asked.push(params);
            // The person agrees to open the page, and confirms there a moment later.
            setTimeout(() => void pressConnect(params.url ?? ""), 50);
            return { action: "accept" };
          },
        },
      });
      const result = await client.callTool("connect_data_source", { source: "stripe" });
      expect(asked).toHaveLength(1);
      expect(asked[0]?.mode).toBe("url");
      expect(asked[0]?.url).toMatch(new RegExp(`^${handle.origin}/connect/[0-9a-f-]{36}$`));
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toMatchObject({ source: "stripe", status: "connected" });
      expect(textOfResult(result)).toMatch(/^Stripe is connected \(connection [0-9a-f-]{36}\)\.$/);
      if (era === "legacy") {
        // 2025-11-25 announces the end of the out-of-band step; 2026-07-28 removed that notification.
        expect(asked[0]?.elicitationId).toBeTruthy();
        await expect.poll(() => client.completedElicitations).toEqual([asked[0]?.elicitationId]);
      }
      // The page is single-use: after the flow it is gone.
      expect((await fetch(asked[0]?.url ?? "")).status).toBe(404);
      await client.close();
    });

    it("reports a declined connection", async () => {
      const client = await connectEra(era, handle.url, {
        elicit: { url: true, answer: async () => ({ action: "decline" }) },
      });
      const result = await client.callTool("connect_data_source", { source: "hubspot" });
      expect(result.structuredContent).toEqual({ source: "hubspot", status: "declined" });
      expect(textOfResult(result)).toBe("The user declined to connect HubSpot.");
      await client.close();
    });

    it("is a clear tool error when the client has no URL elicitation", async () => {
      const client = await connectEra(era, handle.url, {
        elicit: { answer: async () => ({ action: "accept" }) },
      });
      const result = await client.callTool("connect_data_source", { source: "stripe" });
      expect(result.isError).toBe(true);
      expect(textOfResult(result)).toMatch(
        /^Elicitation is unavailable: the client did not declare URL elicitation/,
      );
      await client.close();
    });
  });
}

describe("connect page", () => {
  it("answers 404 for unknown connection ids", async () => {
    expect((await fetch(`${handle.origin}/connect/nope`)).status).toBe(404);
    expect((await fetch(`${handle.origin}/connect/nope`, { method: "POST" })).status).toBe(404);
  });
});
