/**
 * Tool icons: tiny SVGs inlined as data: URIs, so a client can show them without fetching anything.
 * Each is a rounded square in the tool family's colour with a one-glyph path on it.
 */
import type { Icon } from "@modelcontextprotocol/server";

const GLYPHS = {
  table: "M6 7h12M6 12h12M6 17h12",
  bars: "M7 18V11M12 18V6M17 18v-9",
  page: "M8 5h6l3 3v11H8zM14 5v3h3",
  clock: "M12 6v6l4 2",
  cross: "M8 8l8 8M16 8l-8 8",
  form: "M6 8h12M6 12h8M6 16h10",
  link: "M10 14l4-4M8 12l-2 2a3 3 0 0 0 4 4l2-2M16 12l2-2a3 3 0 0 0-4-4l-2 2",
  spark: "M12 5l2 5 5 2-5 2-2 5-2-5-5-2 5-2z",
  download: "M12 5v10M8 11l4 4 4-4M6 19h12",
  trash: "M7 8h10M9 8V6h6v2M8 8l1 11h6l1-11",
  wave: "M5 12h2l2-5 3 10 3-8 2 3h2",
  globe: "M12 5a7 7 0 1 0 0 14 7 7 0 0 0 0-14M5 12h14M12 5c3 3 3 11 0 14M12 5c-3 3-3 11 0 14",
} as const;

export type Glyph = keyof typeof GLYPHS;

/** A 24×24 SVG icon as a data: URI. */
export function toolIcon(glyph: Glyph, color: string): Icon {
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24">` +
    `<rect width="24" height="24" rx="5" fill="${color}"/>` +
    `<path d="${GLYPHS[glyph]}" fill="none" stroke="#fff" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round"/>` +
    "</svg>";
  return {
    src: `data:image/svg+xml;base64,${Buffer.from(svg).toString("base64")}`,
    mimeType: "image/svg+xml",
    sizes: ["24x24"],
  };
}

/** Colours by what a tool does: reading data, producing artifacts, asking the person, changing state. */
export const COLORS = {
  read: "#2563eb",
  artifact: "#7c3aed",
  ask: "#d97706",
  change: "#dc2626",
  util: "#475569",
};
