import { describe, expect, it } from "vitest";
import { encodeWav, notePitches, synthesizeChime, WAV_SAMPLE_RATE } from "./wav.js";

describe("wav", () => {
  it("maps the smallest value to the lowest note and the largest to the highest", () => {
    expect(notePitches([10, 20, 15])).toEqual([330, 990, 660]);
    expect(notePitches([5, 5])).toEqual([660, 660]);
  });

  it("encodes 16-bit mono PCM with a consistent RIFF header", () => {
    const samples = synthesizeChime([1, 2, 3]);
    const wav = encodeWav(samples);
    expect(wav.length).toBe(44 + samples.length * 2);
    expect(wav.readUInt32LE(4)).toBe(wav.length - 8);
    expect(wav.readUInt16LE(20)).toBe(1); // PCM
    expect(wav.readUInt16LE(22)).toBe(1); // mono
    expect(wav.readUInt32LE(24)).toBe(WAV_SAMPLE_RATE);
    expect(wav.readUInt16LE(34)).toBe(16);
    const peak = Math.max(
      ...Array.from({ length: samples.length }, (_, i) => Math.abs(wav.readInt16LE(44 + i * 2))),
    );
    expect(peak).toBeGreaterThan(10_000);
    expect(peak).toBeLessThanOrEqual(32767);
  });
});
