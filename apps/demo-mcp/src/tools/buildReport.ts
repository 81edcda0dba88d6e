import * as z from "zod";
import { COLORS, toolIcon } from "../icons.js";
import { renderPdf } from "../pdf.js";
import { reportBlocks, slugify } from "../report.js";
import { reportUri } from "../reportCache.js";
import { defineTool } from "./types.js";

export const REPORT_MAX_SECTIONS = 50;

export const buildReportTool = defineTool({
  name: "build_report",
  title: "Build a PDF report",
  description:
    "Build a PDF report from earlier results. Each section has a heading, optional prose, and optional data " +
    "(pass an earlier tool's structuredContent, e.g. from query_signups or fetch_sample_api, and it is summarised " +
    "into lines, bar charts and tables). Returns a short summary and the PDF as an embedded resource, and keeps the " +
    "report in the server's report cache (resource report://<file>; purge_report_cache empties it).",
  inputSchema: {
    title: z
      .string()
      .min(1)
      .max(200)
      .describe("Report title, shown on the first page and used for the file name."),
    sections: z
      .array(
        z.object({
          heading: z.string().min(1).max(200).describe("Section heading."),
          body: z
            .string()
            .max(20_000)
            .optional()
            .describe("Free text for the section (your analysis, in prose)."),
          data: z
            .unknown()
            .optional()
            .describe(
              "Structured data to summarise, typically an earlier tool call's structuredContent (JSON).",
            ),
        }),
      )
      .min(1)
      .max(REPORT_MAX_SECTIONS)
      .describe("Ordered report sections."),
    format: z.enum(["pdf"]).optional().describe("Output format. Only 'pdf' is supported (the default)."),
  },
  // It writes the report into the cache (not read-only); a rebuild replaces a report of the same
  // title, nothing is lost (not destructive) and the same input gives the same report (idempotent).
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  icon: toolIcon("page", COLORS.artifact),
  async run({ title, sections }, call, { reports }) {
    const generatedAt = new Date();
    const pdf = renderPdf(reportBlocks(title, sections, generatedAt), {
      title,
      author: "mcpdeck demo MCP server",
      footer: title,
      creationDate: generatedAt,
    });
    const pages = (pdf.toString("latin1").match(/\/Type \/Page\b(?!s)/g) ?? []).length;
    const fileName = `${slugify(title)}.pdf`;
    await call.log("info", `Rendered ${fileName}: ${pages} page(s), ${pdf.length} bytes`);
    reports.put({ fileName, title, pdf, pages, createdAt: generatedAt.toISOString() });
    const withData = sections.filter((s) => s.data !== undefined).length;
    return {
      content: [
        {
          type: "text",
          text:
            `Built PDF report "${title}" (${fileName}): ${sections.length} section(s), ${withData} with data, ` +
            `${pages} page(s), ${pdf.length.toLocaleString("en-US")} bytes.`,
        },
        {
          type: "resource",
          resource: { uri: reportUri(fileName), mimeType: "application/pdf", blob: pdf.toString("base64") },
        },
      ],
    };
  },
});
