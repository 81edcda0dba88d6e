import { describe, expect, it } from "vitest";
import {
  cidrContains,
  classifyAddress,
  ipFamily,
  isForbiddenAddress,
  parseCidr,
  parseIpv6,
  parseLegacyIpv4,
} from "./ip.js";

describe("parseIpv6", () => {
  it.each([
    ["::", [0, 0, 0, 0, 0, 0, 0, 0]],
    ["::1", [0, 0, 0, 0, 0, 0, 0, 1]],
    ["[::1]", [0, 0, 0, 0, 0, 0, 0, 1]],
    ["fe80::1%eth0", [0xfe80, 0, 0, 0, 0, 0, 0, 1]],
    ["::ffff:127.0.0.1", [0, 0, 0, 0, 0, 0xffff, 0x7f00, 1]],
    ["2001:db8:0:0:0:0:2:1", [0x2001, 0xdb8, 0, 0, 0, 0, 2, 1]],
    ["1:2:3:4:5:6:7::", [1, 2, 3, 4, 5, 6, 7, 0]],
  ])("%s", (input, groups) => {
    expect(parseIpv6(input)).toEqual(groups);
  });

  it.each([
    "1::2::3",
    "12345::",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7",
    "::1.2.3",
    "1.2.3.4::",
    "g::1",
    "",
    "example.com",
  ])("rejects %s", (input) => {
    expect(parseIpv6(input)).toBeNull();
  });
});

describe("parseLegacyIpv4", () => {
  it.each([
    ["2130706433", 0x7f000001],
    ["0x7f.1", 0x7f000001],
    ["017700000001", 0x7f000001],
    ["127.1", 0x7f000001],
    ["0177.0.0.1", 0x7f000001],
    ["0x7f000001", 0x7f000001],
    ["10.0.0.1.", 0x0a000001],
    ["192.168.257", 0xc0a80101],
  ])("%s", (input, value) => {
    expect(parseLegacyIpv4(input)).toBe(value);
  });

  it.each(["example.com", "1.2.3.4.5", "256.1.1.1", "08.1.1.1", "4294967296", "1.2.65536", "deadbeef", ""])(
    "rejects %s",
    (input) => {
      expect(parseLegacyIpv4(input)).toBeNull();
    },
  );
});

describe("classification helpers", () => {
  it("labels the metadata endpoint", () => {
    expect(classifyAddress("169.254.169.254")).toEqual({
      category: "link-local",
      description: "link-local address (cloud metadata endpoint)",
    });
  });

  it("reports the embedded IPv4 of NAT64 / 6to4", () => {
    expect(classifyAddress("64:ff9b::a00:5")).toMatchObject({
      category: "private",
      embeddedIpv4: "10.0.0.5",
    });
    expect(classifyAddress("2002:a9fe:a9fe::1")).toMatchObject({
      category: "link-local",
      embeddedIpv4: "169.254.169.254",
    });
    expect(classifyAddress("64:ff9b::808:808")).toMatchObject({ category: null, embeddedIpv4: "8.8.8.8" });
  });

  it("isForbiddenAddress returns a label or null", () => {
    expect(isForbiddenAddress("8.8.8.8")).toBeNull();
    expect(isForbiddenAddress("10.0.0.1")).toBe("private");
    expect(isForbiddenAddress("not an ip")).toBe("invalid");
  });

  it("ipFamily only accepts canonical literals", () => {
    expect(ipFamily("127.0.0.1")).toBe(4);
    expect(ipFamily("::1")).toBe(6);
    expect(ipFamily("[::1]")).toBe(6);
    expect(ipFamily("127.1")).toBe(0);
    expect(ipFamily("example.com")).toBe(0);
  });

  it("CIDR matching, including IPv4-mapped IPv6", () => {
    const ten = parseCidr("10.0.0.0/8");
    const ula = parseCidr("fd00::/8");
    const host = parseCidr("127.0.0.1");
    if (!ten || !ula || !host) throw new Error("parse failed");
    expect(cidrContains(ten, "10.200.3.4")).toBe(true);
    expect(cidrContains(ten, "11.0.0.1")).toBe(false);
    expect(cidrContains(ten, "::ffff:10.1.1.1")).toBe(true);
    expect(cidrContains(ula, "fd12:3456::1")).toBe(true);
    expect(cidrContains(ula, "fc00::1")).toBe(false);
    expect(cidrContains(ula, "10.0.0.1")).toBe(false);
    expect(cidrContains(host, "127.0.0.1")).toBe(true);
    expect(cidrContains(host, "127.0.0.2")).toBe(false);
    expect(parseCidr("10.0.0.0/33")).toBeNull();
    expect(parseCidr("10.0.0.0/x")).toBeNull();
    expect(parseCidr("::/129")).toBeNull();
    expect(parseCidr("0.0.0.0/0")).toEqual({ family: 4, base: 0n, prefix: 0 });
  });
});
