/** ANSI styles, only for a terminal that wants them (a TTY, and NO_COLOR unset). */
export function createStyle(enabled: boolean) {
  const wrap = (open: number, close: number) => (text: string) =>
    enabled ? `\x1b[${open}m${text}\x1b[${close}m` : text;
  return {
    enabled,
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    blue: wrap(34, 39),
    cyan: wrap(36, 39),
  };
}

export type Style = ReturnType<typeof createStyle>;

/** What a terminal shows of a string (ANSI styles take no room). */
export function visibleLength(text: string): number {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escapes is the point
  return text.replace(/\x1b\[[0-9;]*m/g, "").length;
}

/** Cuts a line to `width` visible characters, ending in … when cut. */
export function clip(text: string, width: number): string {
  if (visibleLength(text) <= width) return text;
  let out = "";
  let visible = 0;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escapes is the point
  for (const part of text.split(/(\x1b\[[0-9;]*m)/)) {
    if (part.startsWith("\x1b[")) {
      out += part;
      continue;
    }
    for (const ch of part) {
      if (visible >= width - 1) return `${out}…\x1b[0m`;
      out += ch;
      visible++;
    }
  }
  return out;
}
