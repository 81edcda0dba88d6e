import http from "node:http";
import type { AddressInfo } from "node:net";
import type { buildConnector } from "undici";
import { request as undiciRequest } from "undici";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createSsrfGuard, DnsError, type ResolvedAddress, type Resolver, SsrfError } from "./ssrf.js";

/**
 * NETWORK RULE: every socket these tests open goes to loopback. Forbidden addresses are proven to be
 * refused before any socket opens by a fake resolver and a spy connector that never touches the network.
 */

const FAKE_DNS: Record<string, ResolvedAddress[]> = {
  "public.example": [{ address: "93.184.216.34", family: 4 }],
  "public6.example": [{ address: "2606:4700:4700::1111", family: 6 }],
  "internal.example": [{ address: "10.1.2.3", family: 4 }],
  "mixed.example": [
    { address: "93.184.216.34", family: 4 },
    { address: "10.0.0.5", family: 4 },
  ],
  "mapped.example": [{ address: "::ffff:192.168.1.1", family: 6 }],
  "metadata.example": [{ address: "169.254.169.254", family: 4 }],
  "zero.example": [{ address: "0.0.0.0", family: 4 }],
  "mcp.corp.example": [{ address: "10.9.9.9", family: 4 }],
  "a.b.corp.example": [{ address: "10.9.9.10", family: 4 }],
  "corp.example": [{ address: "10.9.9.11", family: 4 }],
  "evilcorp.example": [{ address: "10.9.9.12", family: 4 }],
  "lan.example": [{ address: "192.168.7.7", family: 4 }],
};

function fakeResolver(extra: Record<string, ResolvedAddress[]> = {}): Resolver & { calls: string[] } {
  const calls: string[] = [];
  const fn = async (host: string) => {
    calls.push(host);
    const hit = extra[host] ?? FAKE_DNS[host];
    if (!hit) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
    return hit;
  };
  return Object.assign(fn, { calls });
}

const strict = () =>
  createSsrfGuard({ allowPrivateNetworks: false, allowedHosts: [], resolve: fakeResolver() });

/** A connector that must never be reached for forbidden targets; it never opens a socket either. */
function spyConnector() {
  return vi.fn<buildConnector.connector>((_opts, cb) => {
    cb(new Error("spy connector: no network in tests"), null);
  });
}

// [url, expected: "ok" | category]
const TABLE: Array<[string, string]> = [
  // public
  ["http://8.8.8.8/", "ok"],
  ["https://1.1.1.1/mcp", "ok"],
  ["http://93.184.216.34:8080/", "ok"],
  ["http://[2606:4700:4700::1111]/", "ok"],
  ["http://[2001:4860:4860::8888]/", "ok"],
  ["http://[::ffff:8.8.8.8]/", "ok"],
  ["http://[64:ff9b::808:808]/", "ok"],
  ["http://[2002:808:808::1]/", "ok"],
  ["http://public.example/mcp", "ok"],
  ["https://PUBLIC.example./mcp", "ok"],
  ["http://public6.example/", "ok"],
  ["http://172.32.0.1/", "ok"],
  ["http://100.128.0.1/", "ok"],
  ["http://192.169.0.1/", "ok"],
  // IPv4 special ranges
  ["http://0.0.0.0/", "unspecified"],
  ["http://0.1.2.3/", "unspecified"],
  ["http://10.0.0.5/", "private"],
  ["http://10.255.255.255/", "private"],
  ["http://100.64.0.1/", "cgnat"],
  ["http://100.127.255.254/", "cgnat"],
  ["http://127.0.0.1/", "loopback"],
  ["http://127.255.0.9:3000/", "loopback"],
  ["http://169.254.169.254/latest/meta-data/", "link-local"],
  ["http://169.254.1.1/", "link-local"],
  ["http://172.16.0.1/", "private"],
  ["http://172.31.255.255/", "private"],
  ["http://192.0.0.8/", "reserved"],
  ["http://192.0.2.10/", "documentation"],
  ["http://192.168.0.1/", "private"],
  ["http://198.18.0.1/", "benchmarking"],
  ["http://198.19.255.255/", "benchmarking"],
  ["http://198.51.100.7/", "documentation"],
  ["http://203.0.113.9/", "documentation"],
  ["http://224.0.0.1/", "multicast"],
  ["http://239.255.255.250/", "multicast"],
  ["http://240.0.0.1/", "reserved"],
  ["http://255.255.255.255/", "broadcast"],
  // odd IPv4 encodings (WHATWG URL normalises them; all must end up refused)
  ["http://2130706433/", "loopback"],
  ["http://0x7f.1/", "loopback"],
  ["http://017700000001/", "loopback"],
  ["http://127.1/", "loopback"],
  ["http://0177.0.0.1/", "loopback"],
  ["http://0x7f000001/", "loopback"],
  ["http://0xa9.0xfe.0xa9.0xfe/", "link-local"],
  ["http://167772165/", "private"],
  // IPv6
  ["http://[::]/", "unspecified"],
  ["http://[::1]/", "loopback"],
  ["http://[0:0:0:0:0:0:0:1]/", "loopback"],
  ["http://[fe80::1]/", "link-local"],
  ["http://[febf::1]/", "link-local"],
  ["http://[fc00::1]/", "unique-local"],
  ["http://[fd12:3456:789a::1]/", "unique-local"],
  ["http://[ff02::1]/", "multicast"],
  ["http://[::ffff:127.0.0.1]/", "loopback"],
  ["http://[::ffff:7f00:1]/", "loopback"],
  ["http://[::ffff:10.0.0.1]/", "private"],
  ["http://[::ffff:a9fe:a9fe]/", "link-local"],
  ["http://[::127.0.0.1]/", "loopback"],
  ["http://[::8.8.8.8]/", "reserved"],
  ["http://[::ffff:0:10.0.0.1]/", "private"],
  ["http://[64:ff9b::127.0.0.1]/", "loopback"],
  ["http://[64:ff9b::a00:5]/", "private"],
  ["http://[64:ff9b:1::1]/", "private"],
  ["http://[2002:7f00:1::1]/", "loopback"],
  ["http://[2002:c0a8:101::]/", "private"],
  ["http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", "teredo"],
  ["http://[2001:db8::1]/", "documentation"],
  ["http://[3fff::1]/", "documentation"],
  ["http://[100::1]/", "reserved"],
  ["http://[fec0::1]/", "reserved"],
  ["http://[4000::1]/", "reserved"],
  // hostnames resolving to forbidden addresses (fake DNS)
  ["http://internal.example/", "private"],
  ["http://mixed.example/", "private"],
  ["http://mapped.example/", "private"],
  ["http://metadata.example/", "link-local"],
  ["http://zero.example/", "unspecified"],
];

describe("SSRF guard: address table (default policy)", () => {
  it("has at least 40 cases", () => {
    expect(TABLE.length).toBeGreaterThanOrEqual(40);
  });

  it.each(TABLE)("%s → %s", async (url, expected) => {
    const guard = strict();
    if (expected === "ok") {
      const checked = await guard.checkUrl(url);
      expect(checked.addresses.length).toBeGreaterThan(0);
      expect(checked.url).toBeInstanceOf(URL);
    } else {
      const err = await guard.checkUrl(url).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SsrfError);
      expect((err as SsrfError).code).toBe("SSRF_BLOCKED");
      expect((err as SsrfError).kind).toBe(expected);
      expect((err as SsrfError).message).toMatch(/^Refused to connect to /);
    }
  });

  it("does not resolve IP literals", async () => {
    const resolve = fakeResolver();
    const guard = createSsrfGuard({ allowPrivateNetworks: false, allowedHosts: [], resolve });
    await guard.checkUrl("http://8.8.8.8/");
    await guard.checkUrl("http://[2606:4700:4700::1111]/");
    await expect(guard.checkUrl("http://0x7f.1/")).rejects.toBeInstanceOf(SsrfError);
    expect(resolve.calls).toEqual([]);
  });
});

describe("SSRF guard: messages and URL validation", () => {
  it("names host and reason, with the configuration hint", async () => {
    await expect(strict().checkUrl("http://10.0.0.5/mcp")).rejects.toThrow(
      "Refused to connect to 10.0.0.5 (private network address). Set MCPDECK_ALLOW_PRIVATE_NETWORKS=true or add the host to MCPDECK_ALLOWED_HOSTS for self-hosted servers.",
    );
    await expect(strict().checkUrl("http://internal.example/mcp")).rejects.toThrow(
      "Refused to connect to internal.example: it resolves to 10.1.2.3 (private network address). Set MCPDECK_ALLOW_PRIVATE_NETWORKS=true",
    );
    await expect(strict().checkUrl("http://169.254.169.254/")).rejects.toThrow(
      "(link-local address (cloud metadata endpoint))",
    );
    await expect(strict().checkUrl("http://0.0.0.0/")).rejects.toThrow("never allowed");
    await expect(strict().checkUrl("http://192.0.2.1/")).rejects.toThrow("MCPDECK_ALLOWED_HOSTS");
  });

  it("refuses a hostname when ANY resolved address is forbidden", async () => {
    const err = (await strict()
      .checkUrl("http://mixed.example/")
      .catch((e: unknown) => e)) as SsrfError;
    expect(err).toBeInstanceOf(SsrfError);
    expect(err.host).toBe("mixed.example");
    expect(err.address).toBe("10.0.0.5");
  });

  it.each([
    ["ftp://public.example/", "scheme"],
    ["file:///etc/passwd", "scheme"],
    ["gopher://127.0.0.1:70/", "scheme"],
    ["http://user:hunter2@public.example/", "userinfo"],
    ["http://hunter2@public.example/", "userinfo"],
    ["not a url", "invalid-url"],
  ])("rejects %s (%s)", async (url, kind) => {
    const err = (await strict()
      .checkUrl(url)
      .catch((e: unknown) => e)) as SsrfError;
    expect(err).toBeInstanceOf(SsrfError);
    expect(err.kind).toBe(kind);
    expect(err.message).not.toContain("hunter2");
  });

  it("DNS failure is a DnsError", async () => {
    const err = (await strict()
      .checkUrl("http://nope.invalid/")
      .catch((e: unknown) => e)) as DnsError;
    expect(err).toBeInstanceOf(DnsError);
    expect(err.code).toBe("DNS_FAILED");
    expect(err.message).toBe("Could not resolve host nope.invalid");
    expect(err.dnsCode).toBe("ENOTFOUND");
  });

  it("an empty resolver answer is a DnsError", async () => {
    const guard = createSsrfGuard({ allowPrivateNetworks: false, allowedHosts: [], resolve: async () => [] });
    await expect(guard.checkUrl("http://empty.example/")).rejects.toBeInstanceOf(DnsError);
  });
});

describe("SSRF guard: allowedHosts", () => {
  const guard = createSsrfGuard({
    allowPrivateNetworks: false,
    allowedHosts: [
      "Internal.Example",
      "*.corp.example",
      "192.168.0.0/16",
      "fd00::/8",
      "127.0.0.1",
      "0.0.0.0",
    ],
    resolve: fakeResolver(),
  });

  it("exact hostname, case-insensitive", async () => {
    await expect(guard.checkUrl("http://internal.example/")).resolves.toBeTruthy();
    await expect(guard.checkUrl("http://INTERNAL.EXAMPLE./")).resolves.toBeTruthy();
  });

  it("wildcard matches subdomains only", async () => {
    await expect(guard.checkUrl("http://mcp.corp.example/")).resolves.toBeTruthy();
    await expect(guard.checkUrl("http://a.b.corp.example/")).resolves.toBeTruthy();
    await expect(guard.checkUrl("http://corp.example/")).rejects.toBeInstanceOf(SsrfError);
    await expect(guard.checkUrl("http://evilcorp.example/")).rejects.toBeInstanceOf(SsrfError);
  });

  it("CIDR entries open the addresses inside them (IPv4, mapped and IPv6)", async () => {
    await expect(guard.checkUrl("http://192.168.1.20/")).resolves.toBeTruthy();
    await expect(guard.checkUrl("http://lan.example/")).resolves.toBeTruthy();
    await expect(guard.checkUrl("http://[::ffff:192.168.1.1]/")).resolves.toBeTruthy();
    await expect(guard.checkUrl("http://[fd00::1]/")).resolves.toBeTruthy();
    await expect(guard.checkUrl("http://[fc00::1]/")).rejects.toBeInstanceOf(SsrfError);
    await expect(guard.checkUrl("http://10.0.0.1/")).rejects.toBeInstanceOf(SsrfError);
    await expect(guard.checkUrl("http://127.0.0.1:9999/")).resolves.toBeTruthy();
    await expect(guard.checkUrl("http://127.0.0.2/")).rejects.toBeInstanceOf(SsrfError);
  });

  it("cannot open the always-forbidden ranges", async () => {
    await expect(guard.checkUrl("http://0.0.0.0/")).rejects.toThrow("never allowed");
  });

  it("rejects an invalid CIDR in configuration", () => {
    expect(() => createSsrfGuard({ allowPrivateNetworks: false, allowedHosts: ["10.0.0.0/99"] })).toThrow(
      /Invalid CIDR/,
    );
  });
});

describe("SSRF guard: allowPrivateNetworks", () => {
  const guard = createSsrfGuard({ allowPrivateNetworks: true, allowedHosts: [], resolve: fakeResolver() });

  it.each([
    "http://127.0.0.1/",
    "http://[::1]/",
    "http://10.0.0.5/",
    "http://192.168.1.1/",
    "http://172.20.0.1/",
    "http://100.64.1.1/",
    "http://169.254.169.254/",
    "http://[fe80::1]/",
    "http://[fd00::1]/",
    "http://[::ffff:10.0.0.1]/",
    "http://internal.example/",
    "http://mixed.example/",
  ])("opens %s", async (url) => {
    await expect(guard.checkUrl(url)).resolves.toBeTruthy();
  });

  it.each([
    ["http://0.0.0.0/", "unspecified"],
    ["http://[::]/", "unspecified"],
    ["http://zero.example/", "unspecified"],
    ["http://224.0.0.251/", "multicast"],
    ["http://[ff02::1]/", "multicast"],
    ["http://255.255.255.255/", "broadcast"],
    ["http://192.0.2.1/", "documentation"],
    ["http://[2001:db8::1]/", "documentation"],
    ["http://[2001::1]/", "teredo"],
    ["http://240.0.0.1/", "reserved"],
  ])("still refuses %s (%s)", async (url, kind) => {
    await expect(guard.checkUrl(url)).rejects.toMatchObject({ code: "SSRF_BLOCKED", kind });
  });
});

describe("SSRF guard: lookup()", () => {
  const guard = strict();
  const lookupP = (host: string, options: Parameters<typeof guard.lookup>[1]) =>
    new Promise<{ err: unknown; address: unknown; family: unknown }>((resolve) => {
      guard.lookup(host, options, (err, address, family) => resolve({ err, address, family }));
    });

  it("hands back checked addresses (single and all)", async () => {
    expect(await lookupP("public.example", {})).toMatchObject({
      err: null,
      address: "93.184.216.34",
      family: 4,
    });
    expect(await lookupP("public.example", { all: true })).toMatchObject({
      err: null,
      address: [{ address: "93.184.216.34", family: 4 }],
    });
  });

  it("refuses forbidden resolutions with SsrfError", async () => {
    const r = await lookupP("internal.example", { all: true });
    expect(r.err).toBeInstanceOf(SsrfError);
  });

  it("honours the family filter", async () => {
    const r = await lookupP("public.example", { family: 6 });
    expect(r.err).toBeInstanceOf(DnsError);
  });
});

describe("SSRF guard: refused before any socket opens", () => {
  it("hostname resolving to a private address never reaches the connector", async () => {
    const connector = spyConnector();
    const guard = strict();
    const dispatcher = guard.createDispatcher({ rejectUnauthorized: true, connector });
    const fetch = guard.guardedFetch(dispatcher);
    const err = (await fetch("http://internal.example/mcp").catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(TypeError); // undici's "fetch failed"
    expect(err.cause).toBeInstanceOf(SsrfError);
    expect(connector).not.toHaveBeenCalled();
    await dispatcher.close();
  });

  it("IP-literal target is refused by the dispatcher's connector itself (bypassing guardedFetch)", async () => {
    const connector = spyConnector();
    const dispatcher = strict().createDispatcher({ rejectUnauthorized: true, connector });
    const err = (await undiciRequest("http://10.0.0.1/", { dispatcher }).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(SsrfError);
    expect(err.message).toContain("10.0.0.1 (private network address)");
    const err6 = await undiciRequest("http://[::ffff:169.254.169.254]/", { dispatcher }).catch(
      (e: unknown) => e,
    );
    expect(err6).toBeInstanceOf(SsrfError);
    expect(connector).not.toHaveBeenCalled();
    await dispatcher.close();
  });

  it("guardedFetch refuses IP literals before dispatching", async () => {
    const connector = spyConnector();
    const guard = strict();
    const dispatcher = guard.createDispatcher({ rejectUnauthorized: true, connector });
    await expect(guard.guardedFetch(dispatcher)("http://0x7f.1/")).rejects.toBeInstanceOf(SsrfError);
    await expect(guard.guardedFetch(dispatcher)("http://[fd00::1]:8080/")).rejects.toBeInstanceOf(SsrfError);
    expect(connector).not.toHaveBeenCalled();
    await dispatcher.close();
  });

  it("allowed hostnames reach the connector with the CHECKED address and the original servername", async () => {
    const connector = spyConnector();
    const guard = strict();
    const dispatcher = guard.createDispatcher({ rejectUnauthorized: true, connector });
    await guard
      .guardedFetch(dispatcher)("https://public.example/mcp")
      .catch(() => undefined);
    expect(connector).toHaveBeenCalledTimes(1);
    expect(connector.mock.calls[0]?.[0]).toMatchObject({
      hostname: "93.184.216.34",
      servername: "public.example",
      protocol: "https:",
    });
    await dispatcher.close();
  });

  it("rejectUnauthorized:false does not touch process-wide TLS settings", () => {
    const before = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    const d = strict().createDispatcher({ rejectUnauthorized: false });
    expect(process.env.NODE_TLS_REJECT_UNAUTHORIZED).toBe(before);
    void d.close();
  });
});

describe("SSRF guard: real loopback server", () => {
  let server: http.Server;
  let port = 0;
  const seen: Array<{ url: string; authorization: string | undefined; method: string }> = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push({ url: req.url ?? "", authorization: req.headers.authorization, method: req.method ?? "" });
      if (req.url === "/hello") {
        res.writeHead(200, { "content-type": "text/plain" }).end("hello");
      } else if (req.url === "/to-metadata") {
        res.writeHead(302, { location: "http://169.254.169.254/latest/meta-data/" }).end();
      } else if (req.url === "/to-hello") {
        res.writeHead(307, { location: "/hello" }).end();
      } else if (req.url === "/to-other-origin") {
        res.writeHead(307, { location: `http://loopback.example:${port}/hello` }).end();
      } else if (req.url === "/post-303") {
        res.writeHead(303, { location: "/hello" }).end();
      } else if (req.url === "/loop") {
        res.writeHead(302, { location: "/loop" }).end();
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  it("is refused under the default policy", async () => {
    const guard = strict();
    const dispatcher = guard.createDispatcher({ rejectUnauthorized: true });
    await expect(guard.guardedFetch(dispatcher)(`http://127.0.0.1:${port}/hello`)).rejects.toBeInstanceOf(
      SsrfError,
    );
    await dispatcher.close();
  });

  it("is reachable through guardedFetch with allowPrivateNetworks=true", async () => {
    const guard = createSsrfGuard({ allowPrivateNetworks: true, allowedHosts: [] });
    const dispatcher = guard.createDispatcher({ rejectUnauthorized: true });
    const res = await guard.guardedFetch(dispatcher)(`http://127.0.0.1:${port}/hello`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("hello");
    await dispatcher.close();
  });

  it("falls through to the next checked address when the first refuses (::1 then 127.0.0.1)", async () => {
    const guard = createSsrfGuard({
      allowPrivateNetworks: true,
      allowedHosts: [],
      resolve: fakeResolver({
        "dual.example": [
          { address: "::1", family: 6 },
          { address: "127.0.0.1", family: 4 },
        ],
      }),
    });
    const dispatcher = guard.createDispatcher({ rejectUnauthorized: true });
    const res = await guard.guardedFetch(dispatcher)(`http://dual.example:${port}/hello`);
    expect(await res.text()).toBe("hello");
    await dispatcher.close();
  });

  describe("redirects (loopback explicitly allowed, private networks not)", () => {
    const guard = createSsrfGuard({
      allowPrivateNetworks: false,
      allowedHosts: ["127.0.0.1", "loopback.example"],
      resolve: fakeResolver({ "loopback.example": [{ address: "127.0.0.1", family: 4 }] }),
    });
    const dispatcher = guard.createDispatcher({ rejectUnauthorized: true });
    const fetch = guard.guardedFetch(dispatcher, { sensitiveHeaders: ["X-API-Key"] });
    afterAll(() => dispatcher.close());

    it("a redirect to the metadata endpoint is refused", async () => {
      const err = (await fetch(`http://127.0.0.1:${port}/to-metadata`).catch((e: unknown) => e)) as SsrfError;
      expect(err).toBeInstanceOf(SsrfError);
      expect(err.message).toContain("169.254.169.254 (link-local address (cloud metadata endpoint))");
    });

    it("redirect: manual hands the 3xx back untouched", async () => {
      const res = await fetch(`http://127.0.0.1:${port}/to-metadata`, { redirect: "manual" });
      expect(res.status).toBe(302);
      expect(res.headers.get("location")).toBe("http://169.254.169.254/latest/meta-data/");
    });

    it("redirect: error throws", async () => {
      await expect(fetch(`http://127.0.0.1:${port}/to-hello`, { redirect: "error" })).rejects.toThrow(
        /redirect/i,
      );
    });

    it("follows an allowed same-origin redirect keeping credentials", async () => {
      seen.length = 0;
      const res = await fetch(`http://127.0.0.1:${port}/to-hello`, {
        headers: { authorization: "Bearer s3cret" },
      });
      expect(await res.text()).toBe("hello");
      expect(seen.map((s) => s.authorization)).toEqual(["Bearer s3cret", "Bearer s3cret"]);
    });

    it("strips credentials on a cross-origin redirect", async () => {
      seen.length = 0;
      const res = await fetch(`http://127.0.0.1:${port}/to-other-origin`, {
        headers: { authorization: "Bearer s3cret", "x-api-key": "k" },
      });
      expect(await res.text()).toBe("hello");
      expect(seen.map((s) => s.authorization)).toEqual(["Bearer s3cret", undefined]);
    });

    it("303 turns a POST into a GET", async () => {
      seen.length = 0;
      const res = await fetch(`http://127.0.0.1:${port}/post-303`, { method: "POST", body: "{}" });
      expect(res.status).toBe(200);
      expect(seen.map((s) => s.method)).toEqual(["POST", "GET"]);
    });

    it("stops after 5 redirects", async () => {
      seen.length = 0;
      await expect(fetch(`http://127.0.0.1:${port}/loop`)).rejects.toThrow(/Too many redirects/);
      expect(seen.length).toBe(6);
    });
  });
});
