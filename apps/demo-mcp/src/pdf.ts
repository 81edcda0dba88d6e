/**
 * Minimal, dependency-free PDF 1.4 writer.
 *
 * Supports: Letter-size pages, the standard Type1 fonts Helvetica / Helvetica-Bold / Courier
 * (WinAnsiEncoding, no embedding needed), word-wrapped text lines, simple filled bars,
 * automatic page breaks, a page footer, an Info dictionary, and a correct xref table.
 */

export type PdfFont = "regular" | "bold" | "mono";

export type PdfBlock =
  /** A paragraph; wrapped to the page width. */
  | { kind: "text"; text: string; font?: PdfFont; size?: number; indent?: number; color?: Rgb }
  /** A horizontal bar with a label and a value, scaled against `max`. */
  | { kind: "bar"; label: string; value: number; max: number }
  /** Vertical whitespace, in points. */
  | { kind: "space"; height: number }
  /** A thin horizontal rule. */
  | { kind: "rule" };

export type Rgb = readonly [number, number, number];

export interface PdfOptions {
  title: string;
  author?: string;
  /** Printed in the footer of every page. */
  footer?: string;
  /** Fixed creation date (tests); defaults to now. */
  creationDate?: Date;
}

const PAGE_WIDTH = 612;
const PAGE_HEIGHT = 792;
const MARGIN = 56;
const CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN;
const FOOTER_Y = 32;

const FONT_RESOURCE: Record<PdfFont, string> = { regular: "F1", bold: "F2", mono: "F3" };
const FONT_BASE: Record<PdfFont, string> = { regular: "Helvetica", bold: "Helvetica-Bold", mono: "Courier" };

/** Helvetica advance widths (1/1000 em) for the printable ASCII range 32..126. */
const HELVETICA_WIDTHS = [
  278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556,
  556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278,
  500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469,
  556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500,
  278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];

/** Approximate rendered width of `text` in points. */
export function textWidth(text: string, font: PdfFont, size: number): number {
  if (font === "mono") return text.length * 0.6 * size;
  let units = 0;
  for (const ch of text) {
    const code = ch.charCodeAt(0);
    units += code >= 32 && code <= 126 ? (HELVETICA_WIDTHS[code - 32] ?? 556) : 556;
  }
  return (units / 1000) * size * (font === "bold" ? 1.06 : 1);
}

/** Maps text to the Latin-1 subset WinAnsiEncoding shares with it; other characters become "?". */
export function toWinAnsi(text: string): string {
  let out = "";
  for (const ch of text.normalize("NFC")) {
    const code = ch.codePointAt(0) ?? 63;
    if (ch === "\t") out += "    ";
    else if (code === 0x2013 || code === 0x2014) out += "-";
    else if (code === 0x2018 || code === 0x2019) out += "'";
    else if (code === 0x201c || code === 0x201d) out += '"';
    else if (code === 0x2026) out += "...";
    else if ((code >= 32 && code <= 126) || (code >= 160 && code <= 255)) out += ch;
    else out += "?";
  }
  return out;
}

/** Escapes a string for a PDF literal string `( ... )`. */
export function escapePdfString(text: string): string {
  return text.replace(/[\\()]/g, (c) => `\\${c}`).replace(/[\r\n]/g, " ");
}

/** Greedy word wrap using font metrics; very long words are hard-split. */
export function wrapText(text: string, font: PdfFont, size: number, maxWidth: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split(/\r?\n/)) {
    const words = paragraph.split(/ +/);
    let line = "";
    for (let word of words) {
      while (textWidth(word, font, size) > maxWidth) {
        let cut = word.length - 1;
        while (cut > 1 && textWidth(word.slice(0, cut), font, size) > maxWidth) cut--;
        if (line) {
          lines.push(line);
          line = "";
        }
        lines.push(word.slice(0, cut));
        word = word.slice(cut);
      }
      const candidate = line ? `${line} ${word}` : word;
      if (textWidth(candidate, font, size) <= maxWidth) line = candidate;
      else {
        lines.push(line);
        line = word;
      }
    }
    lines.push(line);
  }
  return lines;
}

const fmt = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(2));

/** Lays the blocks out onto pages and returns one content stream per page. */
function layout(blocks: PdfBlock[]): string[] {
  const pages: string[][] = [[]];
  let y = PAGE_HEIGHT - MARGIN;
  const current = (): string[] => pages[pages.length - 1] as string[];
  const ensure = (height: number): void => {
    if (y - height < MARGIN) {
      pages.push([]);
      y = PAGE_HEIGHT - MARGIN;
    }
  };
  for (const block of blocks) {
    switch (block.kind) {
      case "space":
        y -= block.height;
        if (y < MARGIN) ensure(Number.POSITIVE_INFINITY);
        break;
      case "rule":
        ensure(8);
        current().push(
          `0.75 0.75 0.75 RG 0.5 w ${MARGIN} ${fmt(y - 4)} m ${PAGE_WIDTH - MARGIN} ${fmt(y - 4)} l S`,
        );
        y -= 8;
        break;
      case "text": {
        const font = block.font ?? "regular";
        const size = block.size ?? 11;
        const indent = block.indent ?? 0;
        const leading = size * 1.35;
        const [r, g, b] = block.color ?? [0, 0, 0];
        for (const line of wrapText(toWinAnsi(block.text), font, size, CONTENT_WIDTH - indent)) {
          ensure(leading);
          y -= leading;
          current().push(
            `BT ${fmt(r)} ${fmt(g)} ${fmt(b)} rg /${FONT_RESOURCE[font]} ${size} Tf 1 0 0 1 ${MARGIN + indent} ${fmt(y + size * 0.25)} Tm (${escapePdfString(line)}) Tj ET`,
          );
        }
        break;
      }
      case "bar": {
        const height = 14;
        ensure(height + 2);
        y -= height + 2;
        const labelWidth = 120;
        const valueWidth = 60;
        const maxBar = CONTENT_WIDTH - labelWidth - valueWidth;
        const ratio = block.max > 0 ? Math.max(0, Math.min(1, block.value / block.max)) : 0;
        const label = escapePdfString(toWinAnsi(block.label));
        current().push(
          `BT 0 0 0 rg /F1 10 Tf 1 0 0 1 ${MARGIN} ${fmt(y + 3)} Tm (${label}) Tj ET`,
          `0.23 0.47 0.85 rg ${MARGIN + labelWidth} ${fmt(y + 1)} ${fmt(Math.max(ratio * maxBar, 0.5))} ${height - 3} re f`,
          `BT 0.2 0.2 0.2 rg /F1 10 Tf 1 0 0 1 ${fmt(MARGIN + labelWidth + ratio * maxBar + 6)} ${fmt(y + 3)} Tm (${escapePdfString(fmt(block.value))}) Tj ET`,
        );
        break;
      }
    }
  }
  return pages.map((ops) => ops.join("\n"));
}

/** PDF date string, e.g. D:20250101120000Z. */
function pdfDate(date: Date): string {
  return `D:${date
    .toISOString()
    .replace(/[-:T]/g, "")
    .replace(/\.\d{3}Z$/, "")}Z`;
}

/** Renders blocks into a complete PDF 1.4 file. */
export function renderPdf(blocks: PdfBlock[], options: PdfOptions): Buffer {
  const pageStreams = layout(blocks);
  const pageCount = pageStreams.length;
  // Object numbers: 1 catalog, 2 pages, 3-5 fonts, 6 info, then (page, content) pairs.
  const firstPageObj = 7;
  const objects: string[] = [];
  const kids = pageStreams.map((_, i) => `${firstPageObj + 2 * i} 0 R`).join(" ");
  objects[1] = "<< /Type /Catalog /Pages 2 0 R >>";
  objects[2] = `<< /Type /Pages /Kids [${kids}] /Count ${pageCount} >>`;
  (["regular", "bold", "mono"] as const).forEach((font, i) => {
    objects[3 + i] =
      `<< /Type /Font /Subtype /Type1 /Name /${FONT_RESOURCE[font]} /BaseFont /${FONT_BASE[font]} /Encoding /WinAnsiEncoding >>`;
  });
  const info = [
    `/Title (${escapePdfString(toWinAnsi(options.title))})`,
    `/Producer (mcpdeck-demo pdf.ts)`,
    `/CreationDate (${pdfDate(options.creationDate ?? new Date())})`,
  ];
  if (options.author) info.push(`/Author (${escapePdfString(toWinAnsi(options.author))})`);
  objects[6] = `<< ${info.join(" ")} >>`;
  pageStreams.forEach((stream, i) => {
    const pageObj = firstPageObj + 2 * i;
    const footerText = `${options.footer ? `${options.footer}  -  ` : ""}Page ${i + 1} of ${pageCount}`;
    const footer = `BT 0.45 0.45 0.45 rg /F1 8 Tf 1 0 0 1 ${MARGIN} ${FOOTER_Y} Tm (${escapePdfString(toWinAnsi(footerText))}) Tj ET`;
    const content = `${stream}\n${footer}\n`;
    objects[pageObj] =
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${PAGE_WIDTH} ${PAGE_HEIGHT}] ` +
      `/Resources << /Font << /F1 3 0 R /F2 4 0 R /F3 5 0 R >> >> /Contents ${pageObj + 1} 0 R >>`;
    objects[pageObj + 1] =
      `<< /Length ${Buffer.byteLength(content, "latin1")} >>\nstream\n${content}endstream`;
  });

  const chunks: Buffer[] = [];
  let offset = 0;
  const write = (text: string): void => {
    const buf = Buffer.from(text, "latin1");
    chunks.push(buf);
    offset += buf.length;
  };
  // Header; the second line holds high-bit bytes so tools treat the file as binary.
  write("%PDF-1.4\n%\u00e2\u00e3\u00cf\u00d3\n");
  const offsets: number[] = [0];
  for (let n = 1; n < objects.length; n++) {
    offsets[n] = offset;
    write(`${n} 0 obj\n${objects[n]}\nendobj\n`);
  }
  const xrefOffset = offset;
  const size = objects.length;
  let xref = `xref\n0 ${size}\n0000000000 65535 f \n`;
  for (let n = 1; n < size; n++) xref += `${String(offsets[n]).padStart(10, "0")} 00000 n \n`;
  write(xref);
  write(`trailer\n<< /Size ${size} /Root 1 0 R /Info 6 0 R >>\nstartxref\n${xrefOffset}\n%%EOF`);
  return Buffer.concat(chunks);
}
