/** Process-local counters, exposed at `GET /api/v1/metrics` in Prometheus text format. */
export function createMetrics() {
  const counters = new Map<string, number>();
  return {
    inc(name: string, by = 1) {
      counters.set(name, (counters.get(name) ?? 0) + by);
    },
    get(name: string): number {
      return counters.get(name) ?? 0;
    },
    render(): string {
      return `${[...counters].map(([k, v]) => `mcpdeck_${k} ${v}`).join("\n")}\n`;
    },
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
