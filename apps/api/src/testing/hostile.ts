/**
 * Hostile inputs for the fuzz test: control characters, huge strings, wrong types, ids that are not
 * UUIDs, hand-made cursors, URLs that may only name loopback.
 */
import fc from "fast-check";

/** Pieces that have broken parsers, databases and headers before. */
const NASTY = [
  "\u0000",
  "\r\n",
  "\n",
  "\t",
  "\u001b[31m",
  "\u007f",
  "\u0085",
  "\u2028",
  "\ud800",
  "\udfff",
  "\ufffe",
  "\u202e",
  "%00",
  "%",
  "%zz",
  "%FF",
  "%C0%80",
  "'",
  '"',
  "\\",
  "/",
  "../",
  "{}",
  "[]",
  "|",
  "?",
  "#",
  "&",
  "=",
  "+",
  " ",
  "🙂",
  "İ",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template placeholder is the hostile input
  "${x}",
  "<script>",
  "' OR 1=1 --",
  "-1",
  "NaN",
  "null",
  "__proto__",
  "constructor",
];

const HUGE = ["x".repeat(100_000), "\u0000".repeat(10_000), "🙂".repeat(20_000), "a".repeat(4097)];

export const hostileString = (opts: { huge?: boolean } = {}) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.string({ maxLength: 24 }) },
    { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 24 }) },
    {
      weight: 4,
      arbitrary: fc
        .array(fc.oneof(fc.constantFrom(...NASTY), fc.string({ maxLength: 4 })), { maxLength: 8 })
        .map((parts) => parts.join("")),
    },
    { weight: opts.huge === false ? 0 : 1, arbitrary: fc.constantFrom(...HUGE) },
  );

/** Any JSON value, hostile strings and wrong types included. */
export const hostileValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    hostileString(),
    fc.integer(),
    fc.double(),
    fc.constantFrom(0, -1, 2 ** 53, -(2 ** 63), 1e308, true, false, null),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(hostileString({ huge: false }), tie("value"), { maxKeys: 3 }),
  ),
})).value;

export const SAMPLE_UUID = "01900000-0000-7000-8000-000000000000";

export const hostileId = fc.oneof(
  hostileString(),
  fc.uuid(),
  fc.constantFrom(
    "%00",
    "\u0000",
    `${SAMPLE_UUID}\u0000`,
    SAMPLE_UUID.toUpperCase(),
    "00000000-0000-0000-0000-000000000000",
    `{${SAMPLE_UUID}}`,
    SAMPLE_UUID.replace(/-/g, ""),
    "x".repeat(201),
  ),
);

const base64url = (text: string) => Buffer.from(text).toString("base64url");

const oddDate = fc.oneof(
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom(
    "+275760-09-13T00:00:00.000Z",
    "-271821-04-20T00:00:00.000Z",
    "+294277-01-01T00:00:00.000Z",
    "0000-01-01T00:00:00.000Z",
    "9999-12-31T23:59:59.999Z",
    "2026-02-30T00:00:00.000Z",
    "2026-01-01",
    "not a date",
    "",
  ),
  hostileString({ huge: false }),
);

/** Cursors a client made up: base64 of odd dates and ids, other shapes, garbage. */
export const hostileCursor = fc.oneof(
  fc.tuple(oddDate, fc.oneof(fc.uuid(), hostileId)).map(([date, id]) => base64url(`${date}|${id}`)),
  fc.tuple(oddDate, fc.uuid()).map(([date, id]) => Buffer.from(`${date}|${id}`).toString("base64")),
  fc.array(hostileString({ huge: false }), { maxLength: 4 }).map((parts) => base64url(parts.join("|"))),
  hostileString(),
  fc.constantFrom("%%%", "====", "-_-_", base64url(`2026-01-01T00:00:00.000Z|${SAMPLE_UUID}|x`)),
);

/**
 * Hosts a generated URL may name. With MCPDECK_ALLOW_PRIVATE_NETWORKS=false the SSRF guard refuses all
 * of them before a socket opens (loopback, unspecified) or they are not hosts at all; never a name that
 * real DNS would resolve.
 */
export const FUZZ_HOSTS = ["127.0.0.1", "localhost", "[::1]", "0.0.0.0", "127.1", "%00", "127.0.0.1%00"];
const FUZZ_HOSTNAMES = new Set(["127.0.0.1", "localhost", "[::1]", "0.0.0.0"]);

export const fuzzUrl = fc
  .tuple(
    fc.constantFrom("http", "https", "ftp", "javascript", "HTTP"),
    fc.constantFrom(...FUZZ_HOSTS),
    fc.option(fc.constantFrom(":0", ":9", ":65535", ":99999", ":-1")),
    hostileString({ huge: false }),
  )
  .map(([scheme, host, port, path]) => `${scheme}://${host}${port ?? ""}/${path}`);

/**
 * Whether every string in `value` that parses as an http(s) URL names one of FUZZ_HOSTS: generated
 * text must never become a URL the API would resolve or connect to.
 */
export function onlyFuzzHosts(value: unknown): boolean {
  if (typeof value === "string") {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return true;
    }
    return (url.protocol !== "http:" && url.protocol !== "https:") || FUZZ_HOSTNAMES.has(url.hostname);
  }
  if (Array.isArray(value)) return value.every(onlyFuzzHosts);
  if (value && typeof value === "object") {
    return Object.entries(value).every(([k, v]) => onlyFuzzHosts(k) && onlyFuzzHosts(v));
  }
  return true;
}

/** Percent-encodes every byte but unreserved ones; lone surrogates become U+FFFD (as a client would send). */
export function percentEncode(text: string): string {
  let out = "";
  for (const byte of Buffer.from(text, "utf8")) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** A path segment: mostly percent-encoded, sometimes raw (`%00`, `%zz`, `..`) as a hand-made URL has it. */
export const pathSegment = (value: fc.Arbitrary<string>) =>
  fc.oneof(
    { weight: 4, arbitrary: value.map(percentEncode) },
    { weight: 1, arbitrary: fc.constantFrom("%00", "%", "%zz", "%2F", "..", ".", "%C0%AE", "%E2%80%AE") },
  );

/**
 * Inputs over field names: for each known field a plausible value (by its name) or a hostile one. Build
 * it once and reuse it: some arbitraries (emails, patterns) are costly to build, cheap to draw from.
 */
export function createHostileInputs(ids: { serverId: string }) {
  const plausible: Record<string, fc.Arbitrary<unknown>> = {
    url: fuzzUrl,
    auth_method: fc.constantFrom("none", "api_key", "oauth", "basic", ""),
    credentials: fc.oneof(
      fc.record(
        {
          api_key: fc.oneof(fc.constant("sk-fuzz"), fc.constant("k"), hostileString()),
          header: fc.oneof(fc.constantFrom("Authorization", "X-API-Key"), hostileString({ huge: false })),
        },
        { requiredKeys: [] },
      ),
      fc.record(
        { client_id: hostileString(), client_secret: hostileString(), scope: hostileString() },
        { requiredKeys: [] },
      ),
      fc.constant(null),
    ),
    email: fc.oneof(
      fc.emailAddress(),
      hostileString({ huge: false }).map((local) => `${local}@example.com`),
    ),
    code: fc.oneof(fc.stringMatching(/^\d{6}$/), hostileString({ huge: false })),
    timeout: fc.oneof(fc.integer({ min: -1, max: 400 }), fc.double()),
    ssl_verify: fc.oneof(fc.boolean(), fc.constantFrom("false", 0, 1)),
    limit: fc.oneof(fc.integer({ min: -5, max: 200 }), fc.constantFrom("1e3", "0x10", "-0", "many")),
    cursor: hostileCursor,
    server_id: fc.oneof(fc.constant(ids.serverId), hostileId),
    name: hostileString(),
    username: fc.oneof(fc.stringMatching(/^[a-z0-9_-]{3,32}$/), hostileString()),
  };
  const fieldValue = (name: string) =>
    fc.oneof(
      { weight: 3, arbitrary: plausible[name] ?? hostileValue },
      { weight: 1, arbitrary: hostileValue },
    );

  /** An input object over the given field names: some known fields, sometimes unknown ones, or not an object. */
  return function hostileInput(fields: readonly string[]): fc.Arbitrary<unknown> {
    const known = fc.record(Object.fromEntries(fields.map((f) => [f, fieldValue(f)])), { requiredKeys: [] });
    return fc.oneof(
      { weight: 6, arbitrary: known },
      {
        weight: 1,
        arbitrary: fc
          .tuple(known, fc.dictionary(hostileString({ huge: false }), hostileValue, { maxKeys: 2 }))
          .map(([a, b]) => ({ ...b, ...(a as object) })),
      },
      { weight: 1, arbitrary: hostileValue },
    );
  };
}

/** Bodies that are not the JSON they claim to be. */
export const malformedBody = fc.oneof(
  fc.constantFrom(
    "",
    "{",
    '{"a":',
    "\u0000",
    "nul\u0000l",
    "[]",
    "null",
    '"string"',
    "1",
    "{}{}",
    '{"__proto__":{"polluted":true}}',
    "[".repeat(10_000),
    `{"a":${"[".repeat(5000)}`,
    "\ufeff{}",
  ),
  hostileString(),
);

export const odd = {
  method: fc.constantFrom("OPTIONS", "HEAD", "PATCH", "PUT", "DELETE", "GET", "POST"),
  contentType: fc.constantFrom(
    "application/json",
    "application/json; charset=utf-8",
    "application/json; charset=utf-16",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/octet-stream",
    "application/jsonx",
    "",
  ),
};
