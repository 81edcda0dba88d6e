/**
 * A minimal WAV (RIFF, PCM 16-bit mono) encoder and a chime synthesiser for `sonify_trend`:
 * one short sine note per value, its pitch rising with the value. No dependencies, deterministic.
 */

export const WAV_SAMPLE_RATE = 8000;
const NOTE_SECONDS = 0.18;
const LOW_HZ = 330;
const HIGH_HZ = 990;

/** Encodes samples in [-1, 1] as a 16-bit mono PCM WAV file. */
export function encodeWav(samples: Float32Array, sampleRate = WAV_SAMPLE_RATE): Buffer {
  const dataBytes = samples.length * 2;
  const wav = Buffer.alloc(44 + dataBytes);
  wav.write("RIFF", 0, "ascii");
  wav.writeUInt32LE(36 + dataBytes, 4);
  wav.write("WAVE", 8, "ascii");
  wav.write("fmt ", 12, "ascii");
  wav.writeUInt32LE(16, 16); // fmt chunk size
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(sampleRate, 24);
  wav.writeUInt32LE(sampleRate * 2, 28); // byte rate
  wav.writeUInt16LE(2, 32); // block align
  wav.writeUInt16LE(16, 34); // bits per sample
  wav.write("data", 36, "ascii");
  wav.writeUInt32LE(dataBytes, 40);
  for (let i = 0; i < samples.length; i++) {
    const s = Math.max(-1, Math.min(1, samples[i] ?? 0));
    wav.writeInt16LE(Math.round(s * 32767), 44 + i * 2);
  }
  return wav;
}

/** The pitch (Hz) of each note: the smallest value maps to LOW_HZ, the largest to HIGH_HZ. */
export function notePitches(values: number[]): number[] {
  const min = Math.min(...values);
  const max = Math.max(...values);
  return values.map((v) =>
    max === min ? (LOW_HZ + HIGH_HZ) / 2 : LOW_HZ + ((v - min) / (max - min)) * (HIGH_HZ - LOW_HZ),
  );
}

/** One decaying sine note per value, back to back. */
export function synthesizeChime(values: number[], sampleRate = WAV_SAMPLE_RATE): Float32Array {
  const perNote = Math.round(NOTE_SECONDS * sampleRate);
  const samples = new Float32Array(perNote * values.length);
  notePitches(values).forEach((hz, n) => {
    for (let i = 0; i < perNote; i++) {
      const t = i / sampleRate;
      const envelope = Math.min(1, i / 80) * Math.exp(-4 * t);
      samples[n * perNote + i] = 0.6 * envelope * Math.sin(2 * Math.PI * hz * t);
    }
  });
  return samples;
}
