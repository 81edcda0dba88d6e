import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getSignupDataset } from "./dataset.js";
import { type DemoMcpHandle, REPORT_CACHE_URI, startDemoMcpServer } from "./index.js";
import { connectEra, ERAS, textOfResult } from "./testing/eraClients.js";
import { decodePng, validatePdf } from "./testing/utils.js";
import { WAV_SAMPLE_RATE } from "./wav.js";

const REFERENCE_DATE = "2025-06-01";

for (const era of ERAS) {
  describe(`resources, prompts and artifacts, ${era} era`, () => {
    let handle: DemoMcpHandle;
    beforeAll(async () => {
      // One server per era: the report cache is shared by all of a server's sessions.
      handle = await startDemoMcpServer({ referenceDate: REFERENCE_DATE });
    });
    afterAll(async () => {
      await handle?.close();
    });

    it("lists the resource templates and completes their arguments from the dataset", async () => {
      const client = await connectEra(era, handle.url);
      const templates = await client.listResourceTemplates();
      expect(templates.map((t) => t.uriTemplate).sort()).toEqual([
        "chart://signups/{days}/{country}/{plan}",
        "report://{file}",
        "signups://country/{country}",
      ]);
      expect(
        await client.complete({ type: "ref/resource", uri: "signups://country/{country}" }, "country", ""),
      ).toEqual(["US", "GB", "DE", "FR", "IN", "BR", "CA", "JP", "AU", "NL"]);
      expect(
        await client.complete({ type: "ref/resource", uri: "signups://country/{country}" }, "country", "b"),
      ).toEqual(["BR"]);
      expect(
        await client.complete({ type: "ref/prompt", name: "analyze_signups" }, "period", "last 3"),
      ).toEqual(["last 30 days"]);
      await client.close();
    });

    it("reads a country's signups through the template", async () => {
      const client = await connectEra(era, handle.url);
      const read = await client.readResource("signups://country/jp");
      const body = JSON.parse(read.contents[0]?.text ?? "{}") as {
        total: number;
        filters: { country: string };
      };
      expect(body.filters.country).toBe("JP");
      expect(body.total).toBe(
        getSignupDataset(REFERENCE_DATE).signups.filter((s) => s.country === "JP").length,
      );
      await expect(client.readResource("signups://country/XX")).rejects.toThrow();
      await client.close();
    });

    it("render_chart links its chart as a resource that resources/read serves", async () => {
      const client = await connectEra(era, handle.url);
      const result = await client.callTool("render_chart", { days: 7, plan: "pro" });
      const image = result.content.find((c) => c.type === "image") as { data: string } | undefined;
      const link = result.content.find((c) => c.type === "resource_link") as
        | { uri: string; mimeType: string }
        | undefined;
      expect(link).toMatchObject({ uri: "chart://signups/7/all/pro", mimeType: "image/png" });
      const read = await client.readResource(link?.uri ?? "");
      expect(read.contents[0]?.mimeType).toBe("image/png");
      expect(read.contents[0]?.blob).toBe(image?.data);
      expect(decodePng(Buffer.from(read.contents[0]?.blob ?? "", "base64")).height).toBe(320);
      await client.close();
    });

    it("sonify_trend returns a WAV chime, one note per day", async () => {
      const client = await connectEra(era, handle.url);
      const result = await client.callTool("sonify_trend", { days: 5 });
      const audio = result.content.find((c) => c.type === "audio") as
        | { data: string; mimeType: string }
        | undefined;
      expect(audio?.mimeType).toBe("audio/wav");
      const wav = Buffer.from(audio?.data ?? "", "base64");
      expect(wav.toString("ascii", 0, 4)).toBe("RIFF");
      expect(wav.toString("ascii", 8, 12)).toBe("WAVE");
      expect(wav.readUInt32LE(24)).toBe(WAV_SAMPLE_RATE);
      expect(wav.readUInt32LE(40)).toBe(5 * Math.round(0.18 * WAV_SAMPLE_RATE) * 2);
      expect(textOfResult(result)).toMatch(/^A 5-note chime for 2025-05-27 to 2025-05-31/);
      await client.close();
    });

    it("keeps built reports as resources, notifies subscribers, and purge_report_cache deletes them", async () => {
      const watcher = await connectEra(era, handle.url);
      const unsubscribe = await watcher.subscribe(REPORT_CACHE_URI);
      const client = await connectEra(era, handle.url);

      const built = await client.callTool("build_report", {
        title: `Cached ${era}`,
        sections: [{ heading: "Summary", body: "A cached report." }],
      });
      const embedded = built.content.find((c) => c.type === "resource") as
        | { resource: { uri: string; blob: string } }
        | undefined;
      const uri = `report://cached-${era}.pdf`;
      expect(embedded?.resource.uri).toBe(uri);
      await expect.poll(() => watcher.updatedResources).toEqual([REPORT_CACHE_URI]);
      await expect.poll(() => watcher.listChanges.count).toBeGreaterThanOrEqual(1);

      expect((await client.listResources()).map((r) => r.uri)).toContain(uri);
      const pdf = await client.readResource(uri);
      expect(pdf.contents[0]?.mimeType).toBe("application/pdf");
      expect(validatePdf(Buffer.from(pdf.contents[0]?.blob ?? "", "base64")).pages).toBeGreaterThanOrEqual(1);
      const index = JSON.parse((await client.readResource(REPORT_CACHE_URI)).contents[0]?.text ?? "{}");
      expect(index).toMatchObject({ count: 1, reports: [{ uri, title: `Cached ${era}` }] });

      const purged = await client.callTool("purge_report_cache");
      expect(purged.structuredContent).toEqual({ deleted: 1, reports: [`cached-${era}.pdf`] });
      expect(textOfResult(purged)).toBe(`Deleted 1 cached report(s): cached-${era}.pdf.`);
      await expect.poll(() => watcher.updatedResources).toEqual([REPORT_CACHE_URI, REPORT_CACHE_URI]);
      expect((await client.listResources()).map((r) => r.uri)).not.toContain(uri);
      await expect(client.readResource(uri)).rejects.toThrow();
      const again = await client.callTool("purge_report_cache");
      expect(textOfResult(again)).toBe("The report cache was already empty; nothing was deleted.");

      await unsubscribe();
      await client.close();
      await watcher.close();
    });
  });
}
