import { describe, expect, it } from "vitest";
import { crc32, encodePng, RgbCanvas, renderBarChart } from "./png.js";
import { decodePng } from "./testing/utils.js";

describe("png encoder", () => {
  it("computes the standard CRC-32", () => {
    expect(crc32(Buffer.from("123456789"))).toBe(0xcbf43926);
    expect(crc32(Buffer.from("IEND"))).toBe(0xae426082);
  });

  it("encodes pixels exactly", () => {
    const canvas = new RgbCanvas(3, 2, [0, 0, 0]);
    canvas.setPixel(0, 0, [255, 0, 0]);
    canvas.setPixel(2, 1, [1, 2, 3]);
    const { width, height, raw } = decodePng(encodePng(canvas));
    expect([width, height]).toEqual([3, 2]);
    // Each scanline: filter byte 0, then 3 RGB pixels.
    expect([...raw]).toEqual([...[0, 255, 0, 0, 0, 0, 0, 0, 0, 0], ...[0, 0, 0, 0, 0, 0, 0, 1, 2, 3]]);
  });

  it("renders a bar chart with taller bars for larger values", () => {
    const canvas = renderBarChart([1, 10], { width: 200, height: 120, labels: ["01", "02"] });
    const { width, height, raw } = decodePng(encodePng(canvas));
    expect([width, height]).toEqual([200, 120]);
    const isBlue = (x: number, y: number): boolean => {
      const i = y * (width * 3 + 1) + 1 + x * 3;
      return raw[i] === 59 && raw[i + 1] === 120 && raw[i + 2] === 217;
    };
    const columnHeight = (x: number): number => {
      let n = 0;
      for (let y = 0; y < height; y++) if (isBlue(x, y)) n++;
      return n;
    };
    // Plot area is 48..184 wide, two slots of 68px; sample the centre of each bar.
    const small = columnHeight(48 + 34);
    const large = columnHeight(48 + 68 + 34);
    expect(small).toBeGreaterThan(0);
    expect(large).toBeGreaterThan(small * 5);
  });

  it("rejects invalid canvas sizes", () => {
    expect(() => new RgbCanvas(0, 10)).toThrow(/Invalid canvas size/);
  });
});
