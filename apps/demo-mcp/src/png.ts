/**
 * Tiny raster canvas + PNG encoder (8-bit RGB, no interlace) built on node:zlib.
 * Includes a 3x5 pixel font for digits and a few symbols so charts can carry labels.
 */
import { deflateSync } from "node:zlib";

export type Color = readonly [number, number, number];

export class RgbCanvas {
  readonly pixels: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Color = [255, 255, 255],
  ) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
      throw new Error(`Invalid canvas size ${width}x${height}`);
    }
    this.pixels = new Uint8Array(width * height * 3);
    this.fillRect(0, 0, width, height, background);
  }

  setPixel(x: number, y: number, [r, g, b]: Color): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = (y * this.width + x) * 3;
    this.pixels[i] = r;
    this.pixels[i + 1] = g;
    this.pixels[i + 2] = b;
  }

  /** Fills the rectangle [x, x+w) x [y, y+h), clipped to the canvas. */
  fillRect(x: number, y: number, w: number, h: number, color: Color): void {
    const x0 = Math.max(0, Math.round(x));
    const y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.width, Math.round(x + w));
    const y1 = Math.min(this.height, Math.round(y + h));
    for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) this.setPixel(xx, yy, color);
  }

  /** Draws text with the built-in 3x5 font; unsupported characters are skipped. Returns the width drawn. */
  drawText(text: string, x: number, y: number, color: Color, scale = 2): number {
    let cursor = x;
    for (const ch of text) {
      const glyph = GLYPHS[ch];
      if (glyph) {
        glyph.forEach((row, gy) => {
          for (let gx = 0; gx < 3; gx++) {
            if (row & (0b100 >> gx)) this.fillRect(cursor + gx * scale, y + gy * scale, scale, scale, color);
          }
        });
      }
      cursor += 4 * scale;
    }
    return cursor - x - scale;
  }

  /** Width in pixels that drawText would use. */
  static textWidth(text: string, scale = 2): number {
    return text.length === 0 ? 0 : text.length * 4 * scale - scale;
  }
}

/** 3x5 glyphs, one number per row, bit 2 = leftmost pixel. */
const GLYPHS: Record<string, readonly number[]> = {
  "0": [0b111, 0b101, 0b101, 0b101, 0b111],
  "1": [0b010, 0b110, 0b010, 0b010, 0b111],
  "2": [0b111, 0b001, 0b111, 0b100, 0b111],
  "3": [0b111, 0b001, 0b111, 0b001, 0b111],
  "4": [0b101, 0b101, 0b111, 0b001, 0b001],
  "5": [0b111, 0b100, 0b111, 0b001, 0b111],
  "6": [0b111, 0b100, 0b111, 0b101, 0b111],
  "7": [0b111, 0b001, 0b010, 0b010, 0b010],
  "8": [0b111, 0b101, 0b111, 0b101, 0b111],
  "9": [0b111, 0b101, 0b111, 0b001, 0b111],
  "-": [0b000, 0b000, 0b111, 0b000, 0b000],
  "/": [0b001, 0b001, 0b010, 0b100, 0b100],
  ".": [0b000, 0b000, 0b000, 0b000, 0b010],
  " ": [0, 0, 0, 0, 0],
};

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (ISO-HDLC), as used by PNG chunks. */
export function crc32(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = (CRC_TABLE[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typeAndData = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData));
  return Buffer.concat([length, typeAndData, crc]);
}

/** Encodes the canvas as a PNG (color type 2, bit depth 8, filter 0 on every scanline). */
export function encodePng(canvas: RgbCanvas): Buffer {
  const { width, height, pixels } = canvas;
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // color type: truecolor RGB
  ihdr[10] = 0; // compression: deflate
  ihdr[11] = 0; // filter method 0
  ihdr[12] = 0; // no interlace
  const stride = width * 3;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0; // filter type None
    raw.set(pixels.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }
  return Buffer.concat([
    PNG_SIGNATURE,
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw, { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

export interface BarChartOptions {
  width?: number;
  height?: number;
  /** One label per bar, drawn under it (digits, "-", "/", "." only). */
  labels?: string[];
}

/** Renders a bar chart with axes, grid lines and value labels. */
export function renderBarChart(values: number[], options: BarChartOptions = {}): RgbCanvas {
  const width = options.width ?? 640;
  const height = options.height ?? 320;
  const canvas = new RgbCanvas(width, height, [255, 255, 255]);
  const left = 48;
  const right = 16;
  const top = 28;
  const bottom = 36;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const max = Math.max(1, ...values);
  const niceMax = niceCeiling(max);
  const axis: Color = [90, 90, 90];
  const grid: Color = [228, 231, 236];
  for (let i = 0; i <= 4; i++) {
    const y = top + plotH - Math.round((plotH * i) / 4);
    canvas.fillRect(left, y, plotW, 1, grid);
    const label = String(Math.round((niceMax * i) / 4));
    canvas.drawText(label, left - 6 - RgbCanvas.textWidth(label), y - 5, axis);
  }
  canvas.fillRect(left, top, 1, plotH + 1, axis);
  canvas.fillRect(left, top + plotH, plotW, 1, axis);
  const slot = values.length > 0 ? plotW / values.length : plotW;
  const barW = Math.max(1, Math.floor(slot * 0.7));
  // Show every n-th label so neighbouring labels keep at least 8px between them.
  const widest = Math.max(0, ...(options.labels ?? []).map((l) => RgbCanvas.textWidth(l)));
  const labelEvery = Math.max(1, Math.ceil((widest + 8) / slot));
  values.forEach((value, i) => {
    const h = Math.round((value / niceMax) * plotH);
    const x = Math.round(left + i * slot + (slot - barW) / 2);
    canvas.fillRect(x, top + plotH - h, barW, h, [59, 120, 217]);
    canvas.fillRect(x, top + plotH - h, barW, Math.min(2, h), [33, 84, 170]);
    const text = String(value);
    const tw = RgbCanvas.textWidth(text);
    if (tw <= slot) canvas.drawText(text, x + (barW - tw) / 2, top + plotH - h - 14, [40, 40, 40]);
    const label = options.labels?.[i];
    if (label && (values.length - 1 - i) % labelEvery === 0) {
      const lw = RgbCanvas.textWidth(label);
      canvas.drawText(label, Math.max(0, Math.min(width - lw, x + (barW - lw) / 2)), top + plotH + 8, axis);
    }
  });
  return canvas;
}

function niceCeiling(value: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * magnitude >= value) return step * magnitude;
  }
  return 10 * magnitude;
}
