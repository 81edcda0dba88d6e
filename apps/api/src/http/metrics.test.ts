import { type StreamablePeer, startStreamablePeer } from "@mcpdeck/mcp/testing";
import parsePrometheusTextFormat, { type MetricFamily } from "parse-prometheus-text-format";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../testing/harness.js";
import { openSessionSocket, settled } from "../testing/session-client.js";

const TOKEN = "scrape-token-0123456789abcdef-0123456789";
let app: TestApp;
let peer: StreamablePeer;

beforeAll(async () => {
  peer = await startStreamablePeer();
  app = await startTestApp({
    statusChecks: false,
    env: { MCPDECK_METRICS_TOKEN: TOKEN, MCPDECK_RATE_LIMIT_AUTH: "3" },
  });
});
afterAll(async () => {
  await app?.close();
  await peer?.close();
});

/** Scrapes /metrics as Prometheus would and parses it with a Prometheus text-format parser. */
async function scrape(): Promise<Map<string, MetricFamily>> {
  const res = await fetch(`${app.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return new Map(parsePrometheusTextFormat(await res.text()).map((family) => [family.name, family]));
}

/** The sum of a counter's or gauge's series whose labels include `labels`. */
function value(families: Map<string, MetricFamily>, name: string, labels: Record<string, string> = {}) {
  const family = families.get(name);
  if (!family) throw new Error(`no ${name} in the scrape`);
  return family.metrics
    .filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))
    .reduce((sum, m) => sum + Number(m.value), 0);
}

/** Observations of an unlabelled histogram, or of a labelled one with a single series. */
function observations(families: Map<string, MetricFamily>, name: string) {
  const [series] = families.get(name)?.metrics ?? [];
  return Number(series?.buckets?.["+Inf"] ?? 0);
}

describe("GET /metrics", () => {
  it("answers only a scraper holding MCPDECK_METRICS_TOKEN, and is off without one", async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: "Bearer not-the-token" },
      { authorization: TOKEN },
    ];
    for (const headers of attempts) {
      const res = await fetch(`${app.url}/metrics`, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
      const body = (await res.json()) as { code: string; message: string };
      expect(body.code).toBe("UNAUTHENTICATED");
      expect(body.message).toContain("MCPDECK_METRICS_TOKEN");
      expect(JSON.stringify(body)).not.toContain(TOKEN);
    }
    const off = await startTestApp({ statusChecks: false });
    try {
      const res = await off.request("GET", "/metrics", { token: TOKEN });
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ code: "NOT_FOUND" });
      expect(res.body.message).toContain("MCPDECK_METRICS_TOKEN");
      // One path only: the old one is gone.
      expect((await off.request("GET", "/api/v1/metrics")).status).toBe(404);
    } finally {
      await off.close();
    }
  });

  it("parses as Prometheus text, and its counters move when work happens", async () => {
    const before = await scrape();
    const types = Object.fromEntries([...before].map(([name, f]) => [name, f.type]));
    expect(types).toMatchObject({
      mcpdeck_http_requests_total: "COUNTER",
      mcpdeck_http_request_duration_seconds: "HISTOGRAM",
      mcpdeck_websocket_connections: "GAUGE",
      mcpdeck_tool_calls_total: "COUNTER",
      mcpdeck_tool_call_duration_seconds: "HISTOGRAM",
      mcpdeck_tool_calls_running: "GAUGE",
      mcpdeck_mcp_pool_connections: "GAUGE",
      mcpdeck_rate_limited_total: "COUNTER",
      mcpdeck_rate_limit_errors_total: "COUNTER",
      mcpdeck_mail_send_failures_total: "COUNTER",
      mcpdeck_event_fanout_lag_seconds: "HISTOGRAM",
      // The process's own, from prom-client's default collectors.
      mcpdeck_process_cpu_seconds_total: "COUNTER",
      mcpdeck_nodejs_eventloop_lag_seconds: "GAUGE",
    });
    const listServers = { method: "GET", route: "/api/v1/servers", status: "200" };

    const { access_token: token } = await app.signIn("metrics@example.com");
    const created = await app.request("POST", "/api/v1/servers", {
      token,
      body: { name: "peer", url: peer.url, auth_method: "none" },
    });
    expect(created.status).toBe(201);
    for (let i = 0; i < 2; i++)
      expect((await app.request("GET", "/api/v1/servers", { token })).status).toBe(200);
    const client = await openSessionSocket(app.url, created.body.id, { token });
    client.send("chat_message", { text: '/call echo {"text": "counted"}' });
    await client.waitFor("task_graph_proposal");
    client.send("approve_task", { node_id: "call" });
    expect(await settled(client, "call")).toBe("succeeded");
    // Over the sign-in limit (3 a minute; the sign-in spent 2): refused, and counted.
    for (let i = 0; i < 3; i++)
      await app.request("POST", "/api/v1/auth/otp/request", { body: { email: "again@example.com" } });

    const during = await scrape();
    expect(value(during, "mcpdeck_websocket_connections", { socket: "session" })).toBe(1);
    expect(value(during, "mcpdeck_http_requests_total", listServers)).toBe(
      value(before, "mcpdeck_http_requests_total", listServers) + 2,
    );
    expect(value(during, "mcpdeck_http_requests_total", { route: "/api/v1/servers", status: "201" })).toBe(1);
    expect(value(during, "mcpdeck_tool_calls_total", { outcome: "succeeded" })).toBe(
      value(before, "mcpdeck_tool_calls_total", { outcome: "succeeded" }) + 1,
    );
    expect(observations(during, "mcpdeck_tool_call_duration_seconds")).toBe(
      observations(before, "mcpdeck_tool_call_duration_seconds") + 1,
    );
    expect(value(during, "mcpdeck_tool_calls_running")).toBe(0);
    expect(value(during, "mcpdeck_mcp_pool_connections")).toBeGreaterThanOrEqual(1);
    expect(value(during, "mcpdeck_rate_limited_total", { bucket: "auth" })).toBeGreaterThanOrEqual(2);
    // Every event the call wrote came back through the notifications, each measured.
    expect(observations(during, "mcpdeck_event_fanout_lag_seconds")).toBeGreaterThan(
      observations(before, "mcpdeck_event_fanout_lag_seconds"),
    );

    await client.close();
    await expect
      .poll(async () => value(await scrape(), "mcpdeck_websocket_connections", { socket: "session" }))
      .toBe(0);
  });
});
