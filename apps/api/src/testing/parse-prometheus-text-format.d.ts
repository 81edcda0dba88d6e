/** Types of `parse-prometheus-text-format` (prom2json's shape), which ships none. */
declare module "parse-prometheus-text-format" {
  export interface PrometheusSample {
    labels?: Record<string, string>;
    /** Counters, gauges, untyped. */
    value?: string;
    /** Histograms (keyed by `le`) and summaries (keyed by quantile). */
    buckets?: Record<string, string>;
    quantiles?: Record<string, string>;
    count?: string;
    sum?: string;
  }
  export interface MetricFamily {
    name: string;
    help: string;
    type: "COUNTER" | "GAUGE" | "HISTOGRAM" | "SUMMARY" | "UNTYPED";
    metrics: PrometheusSample[];
  }
  /** Throws `InvalidLineError` on any line that is not valid text exposition format. */
  export default function parsePrometheusTextFormat(text: string): MetricFamily[];
}
