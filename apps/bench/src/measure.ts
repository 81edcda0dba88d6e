/** Small measuring helpers shared by the benchmarks. */

/** The p-th percentile (0–100) of `xs`, nearest rank (NaN when there are none). */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export const formatMs = (ms: number) => `${ms.toFixed(3)} ms`;

/** A benchmark must end on its own whatever happens (a wedged server, a lost child process). */
export function stopAfter(seconds: number, name: string): void {
  setTimeout(() => {
    process.stderr.write(`${name}: did not finish within ${seconds} s, giving up\n`);
    process.exit(2);
  }, seconds * 1000).unref();
}
