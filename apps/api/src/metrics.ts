import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/**
 * Node's own numbers (memory, CPU, event-loop delay, GC, handles) describe the process, not one app
 * in it: collected once per process, however many apps it runs (a test worker runs dozens).
 */
let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry, prefix: "mcpdeck_" });
  }
  return processRegistry;
}

/** Numbers read when scraped, from the parts that own them (registered once those parts exist). */
export interface MetricProbes {
  sessionSockets?: () => number;
  trpcSockets?: () => number;
  runningCalls?: () => number;
  poolSize?: () => number;
}

/** How a tool call ended, as counted: the node's final status, or `interrupted` by a stopping process. */
export type ToolCallOutcome = "succeeded" | "failed" | "cancelled" | "interrupted";

/**
 * The process's metrics in Prometheus' text format (prom-client), scraped at `GET /metrics`
 * (http/metrics-route.ts). Every series is this process's: sum them across processes in queries.
 */
export function createMetrics() {
  const registry = new Registry();
  const registers = [registry];
  const probes: MetricProbes = {};

  const httpRequests = new Counter({
    name: "mcpdeck_http_requests_total",
    help: "HTTP requests answered, by method, route pattern (unmatched for no route) and status code.",
    labelNames: ["method", "route", "status"] as const,
    registers,
  });
  const httpDuration = new Histogram({
    name: "mcpdeck_http_request_duration_seconds",
    help: "Time to answer an HTTP request, by method and route pattern.",
    labelNames: ["method", "route"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  new Gauge({
    name: "mcpdeck_websocket_connections",
    help: "Open WebSocket connections: the spec's session socket and tRPC.",
    labelNames: ["socket"] as const,
    registers,
    collect() {
      this.set({ socket: "session" }, probes.sessionSockets?.() ?? 0);
      this.set({ socket: "trpc" }, probes.trpcSockets?.() ?? 0);
    },
  });
  const toolCalls = new Counter({
    name: "mcpdeck_tool_calls_total",
    help: "Tool calls this process ran to an end, by outcome (succeeded, failed, cancelled, interrupted).",
    labelNames: ["outcome"] as const,
    registers,
  });
  const toolDuration = new Histogram({
    name: "mcpdeck_tool_call_duration_seconds",
    help: "How long tool calls ran, by outcome.",
    labelNames: ["outcome"] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
    registers,
  });
  new Gauge({
    name: "mcpdeck_tool_calls_running",
    help: "Tool calls running in this process now.",
    registers,
    collect() {
      this.set(probes.runningCalls?.() ?? 0);
    },
  });
  new Gauge({
    name: "mcpdeck_mcp_pool_connections",
    help: "Warm MCP server connections in this process's pool.",
    registers,
    collect() {
      this.set(probes.poolSize?.() ?? 0);
    },
  });
  const rateLimited = new Counter({
    name: "mcpdeck_rate_limited_total",
    help: "Calls refused with 429 by the per-IP limits, by bucket (auth, api).",
    labelNames: ["bucket"] as const,
    registers,
  });
  const rateLimitErrors = new Counter({
    name: "mcpdeck_rate_limit_errors_total",
    help: "Calls let through unlimited because the shared counters could not be reached.",
    registers,
  });
  const mailFailures = new Counter({
    name: "mcpdeck_mail_send_failures_total",
    help: "Sign-in emails that could not be sent.",
    registers,
  });
  const fanOutLag = new Histogram({
    name: "mcpdeck_event_fanout_lag_seconds",
    help: "From writing a session event to its notification reaching this process (LISTEN/NOTIFY).",
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });

  return {
    probes,
    contentType: registry.contentType,
    request(method: string, route: string | undefined, status: number, seconds: number) {
      const labels = { method, route: route ?? "unmatched" };
      httpRequests.inc({ ...labels, status: String(status) });
      httpDuration.observe(labels, seconds);
    },
    toolCall(outcome: ToolCallOutcome, seconds: number) {
      toolCalls.inc({ outcome });
      toolDuration.observe({ outcome }, seconds);
    },
    rateLimited(bucket: string) {
      rateLimited.inc({ bucket });
    },
    rateLimitError() {
      rateLimitErrors.inc();
    },
    mailFailure() {
      mailFailures.inc();
    },
    fanOutLag(seconds: number) {
      fanOutLag.observe(Math.max(0, seconds));
    },
    /** The exposition: this app's series and the process's. */
    async render(): Promise<string> {
      return Registry.merge([processMetrics(), registry]).metrics();
    },
    /** A counter's or gauge's value summed over its label sets (tests read counters this way). */
    async total(name: string): Promise<number> {
      const metric = registry.getSingleMetric(name);
      if (!metric) throw new Error(`no metric ${name}`);
      const { values } = await metric.get();
      return values.reduce((sum, v) => sum + v.value, 0);
    },
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
