import { ProtocolError, SdkError, SdkErrorCode, SdkHttpError } from "@modelcontextprotocol/client";
import { describe, expect, it } from "vitest";
import { type ClassifyContext, classifyMcpError, errorChain, McpConnectionError, redact } from "./errors.js";
import { DnsError, SsrfError } from "./net/ssrf.js";

const ctx = (extra: Partial<ClassifyContext> = {}): ClassifyContext => ({
  url: new URL("https://mcp.example.com/mcp"),
  timeoutSec: 7,
  authMethod: "api_key",
  secrets: ["sk-abcdef123456"],
  phase: "connect",
  ...extra,
});

/** undici wraps socket errors as TypeError("fetch failed", { cause }). */
const wrapped = (cause: unknown) => new TypeError("fetch failed", { cause });
const sysErr = (code: string, message = code) => Object.assign(new Error(message), { code });

describe("classifyMcpError", () => {
  it.each([
    ["DEPTH_ZERO_SELF_SIGNED_CERT", "self-signed certificate"],
    ["SELF_SIGNED_CERT_IN_CHAIN", "self-signed certificate in the chain"],
    ["UNABLE_TO_VERIFY_LEAF_SIGNATURE", "unable to verify the certificate's issuer"],
    ["ERR_TLS_CERT_ALTNAME_INVALID", "certificate does not match the host name"],
    ["CERT_HAS_EXPIRED", "certificate has expired"],
  ])("TLS %s", (code, reason) => {
    const e = classifyMcpError(wrapped(sysErr(code)), ctx());
    expect(e.code).toBe("TLS_FAILED");
    expect(e.message).toBe(
      `TLS certificate verification failed (${reason}). If you trust this server, set ssl_verify to false.`,
    );
  });

  it("walks nested causes and AggregateError members", () => {
    const agg = new AggregateError([sysErr("ECONNREFUSED"), sysErr("ECONNREFUSED")], "connect failed");
    const e = classifyMcpError(wrapped(wrapped(agg)), ctx());
    expect(e.code).toBe("CONNECTION_REFUSED");
    expect(e.message).toBe("Connection refused by mcp.example.com:443 — is the server running?");
  });

  it.each(["UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "ETIMEDOUT"])("timeout %s", (code) => {
    const e = classifyMcpError(wrapped(sysErr(code)), ctx());
    expect(e.code).toBe("TIMEOUT");
    expect(e.message).toBe("No response within 7 s (timeout)");
  });

  it("SDK request timeout", () => {
    const e = classifyMcpError(new SdkError(SdkErrorCode.RequestTimeout, "Request timed out"), ctx());
    expect(e.code).toBe("TIMEOUT");
  });

  it("DNS errors by class and by code", () => {
    expect(classifyMcpError(wrapped(new DnsError("x.invalid", "ENOTFOUND")), ctx()).message).toBe(
      "Could not resolve host x.invalid",
    );
    const e = classifyMcpError(wrapped(sysErr("EAI_AGAIN")), ctx());
    expect(e.code).toBe("DNS_FAILED");
    expect(e.message).toBe("Could not resolve host mcp.example.com");
  });

  it("SSRF errors keep the guard's message", () => {
    const ssrf = new SsrfError(
      "Refused to connect to 10.0.0.1 (private network address). …",
      "10.0.0.1",
      "private",
    );
    const e = classifyMcpError(wrapped(ssrf), ctx());
    expect(e.code).toBe("SSRF_BLOCKED");
    expect(e.message).toBe(ssrf.message);
  });

  it("HTTP statuses from the SDK", () => {
    const httpError = (status: number, message: string) =>
      new SdkHttpError(SdkErrorCode.ClientHttpNotImplemented, message, { status });
    expect(classifyMcpError(httpError(401, "x"), ctx()).code).toBe("AUTH_FAILED");
    expect(classifyMcpError(httpError(401, "x"), ctx({ authMethod: "none" })).code).toBe("AUTH_REQUIRED");
    expect(classifyMcpError(httpError(503, "x"), ctx()).code).toBe("SERVER_ERROR");
    const lost = classifyMcpError(httpError(404, "Session not found"), ctx({ phase: "request" }));
    expect(lost.sessionLost).toBe(true);
    const sse = classifyMcpError(
      new Error("Error POSTing to endpoint (HTTP 404): gone"),
      ctx({ phase: "request" }),
    );
    expect(sse.sessionLost).toBe(true);
  });

  it("server JSON-RPC errors are redacted", () => {
    const e = classifyMcpError(
      new ProtocolError(-32600, "bad key sk-abcdef123456 / Bearer eyJhbGciOi.payload.sig"),
      ctx({ phase: "request" }),
    );
    expect(e.code).toBe("PROTOCOL_ERROR");
    expect(e.message).not.toContain("sk-abcdef123456");
    expect(e.message).not.toContain("eyJhbGciOi");
    expect(e.message).toContain("[redacted]");
  });

  it("passes McpConnectionError through unchanged", () => {
    const original = new McpConnectionError("NOT_MCP", "x");
    expect(classifyMcpError(original, ctx())).toBe(original);
  });

  it("errorChain is bounded and cycle-safe", () => {
    const a = new Error("a") as Error & { cause?: unknown };
    const b = new Error("b", { cause: a });
    a.cause = b;
    expect(errorChain(a)).toHaveLength(2);
  });

  it("redacts a short secret wherever it stands as a token, without mangling the words around it", () => {
    expect(redact("bad credential Bearer abc / abc", ["abc"])).toBe(
      "bad credential Bearer [redacted] / [redacted]",
    );
    expect(redact('{"api_key":"abc"} ?key=abc&x=1 X-API-Key: abc', ["abc"])).toBe(
      '{"api_key":"[redacted]"} ?key=[redacted]&x=1 X-API-Key: [redacted]',
    );
    expect(redact("abcdef is not the key, nor is xabc", ["abc"])).toBe("abcdef is not the key, nor is xabc");
    expect(redact("k", ["k"])).toBe("[redacted]");
    expect(redact("got a b and a%20b", ["a b"])).toBe("got [redacted] and [redacted]");
    expect(redact('echo "q\\"z"', ['q"z'])).toBe('echo "[redacted]"');
    expect(redact("nothing to hide", [""])).toBe("nothing to hide");
  });

  it("redact", () => {
    expect(redact("key=sk-abcdef123456, Authorization: Bearer abc.def-ghi", ["sk-abcdef123456"])).toBe(
      "key=[redacted], Authorization: Bearer [redacted]",
    );
  });
});
