import { createPublicKey } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "./config.js";
import { ConfigError, parseEnv } from "./env.js";
import { generateKeyMaterial } from "./keys.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "mcpdeck-config-"));
  dirs.push(dir);
  return dir;
}

/** The ConfigError that `fn` throws. */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError, but nothing was thrown");
}

/** One line, starting with the problem and naming the variable. */
function expectOneLineNaming(error: ConfigError, variable: string) {
  expect(error.message).not.toMatch(/[\r\n]/);
  expect(error.message).toMatch(new RegExp(`^Invalid configuration: ${variable}\\b`));
}

const production = () => {
  const keys = generateKeyMaterial("k1");
  return {
    NODE_ENV: "production",
    MCPDECK_JWT_PRIVATE_KEY: keys.jwt_private_key,
    MCPDECK_ENCRYPTION_KEYS: keys.encryption_keys,
    MCPDECK_HMAC_SECRET: keys.hmac_secret,
    MCPDECK_DATA_DIR: tempDir(),
    DATABASE_URL: "postgres://mcpdeck:secret-password@db.internal:5432/mcpdeck",
    PUBLIC_URL: "https://deck.example.com",
    RESEND_API_KEY: "re_never_used",
  };
};

describe("parseEnv", () => {
  it("fills in the documented defaults", () => {
    const env = parseEnv({});
    expect(env).toMatchObject({
      NODE_ENV: "development",
      PORT: 3000,
      TRUST_PROXY: false,
      MCPDECK_RATE_LIMIT_AUTH: 60,
      MCPDECK_RATE_LIMIT_API: 120,
      LOG_LEVEL: "info",
    });
  });

  it("refuses a bad PORT in one line naming it", () => {
    for (const port of ["abc", "70000", "-1", "80.5", "0x50", "1e3", "80\nLOG_LEVEL=debug"]) {
      const error = configError(() => parseEnv({ PORT: port }));
      expectOneLineNaming(error, "PORT");
    }
    expect(parseEnv({ PORT: "0" }).PORT).toBe(0);
    expect(parseEnv({ PORT: "65535" }).PORT).toBe(65535);
  });

  it("refuses a DATABASE_URL that is not postgres://, without echoing it (it may hold a password)", () => {
    for (const url of ["mysql://root:hunter2@db/app", "sqlite:///tmp/x.db", "not a url"]) {
      const error = configError(() => parseEnv({ DATABASE_URL: url }));
      expectOneLineNaming(error, "DATABASE_URL");
      expect(error.message).not.toContain("hunter2");
    }
    expect(parseEnv({ DATABASE_URL: "postgresql://u:p@127.0.0.1:5432/db" }).DATABASE_URL).toMatch(
      /^postgresql:/,
    );
  });

  it("refuses a bad TRUST_PROXY in one line naming it", () => {
    for (const value of ["maybe", "cafe", "10.0.0.0/33", "10.0.0.1,not-an-ip", "::1/129", "1.2.3.4/8/9"]) {
      expectOneLineNaming(
        configError(() => parseEnv({ TRUST_PROXY: value })),
        "TRUST_PROXY",
      );
    }
    expect(parseEnv({ TRUST_PROXY: "true" }).TRUST_PROXY).toBe(true);
    expect(parseEnv({ TRUST_PROXY: "2" }).TRUST_PROXY).toBe(2);
    expect(parseEnv({ TRUST_PROXY: "10.0.0.0/8, 127.0.0.1,::1,loopback" }).TRUST_PROXY).toEqual([
      "10.0.0.0/8",
      "127.0.0.1",
      "::1",
      "loopback",
    ]);
  });

  it("names the variable for any other invalid value", () => {
    expectOneLineNaming(
      configError(() => parseEnv({ NODE_ENV: "staging" })),
      "NODE_ENV",
    );
    expectOneLineNaming(
      configError(() => parseEnv({ LOG_LEVEL: "loud" })),
      "LOG_LEVEL",
    );
    expectOneLineNaming(
      configError(() => parseEnv({ PUBLIC_URL: "example.com" })),
      "PUBLIC_URL",
    );
    expectOneLineNaming(
      configError(() => parseEnv({ MCPDECK_RATE_LIMIT_API: "0" })),
      "MCPDECK_RATE_LIMIT_API",
    );
  });
});

describe("loadConfig", () => {
  it("refuses bad MCPDECK_ENCRYPTION_KEYS in one line naming it, without echoing key material", () => {
    const secret = Buffer.alloc(16, 7).toString("base64");
    for (const value of [
      "nope",
      `k1:${secret}`,
      "k1:",
      ":abc",
      `k1:${Buffer.alloc(32).toString("base64")},k1:${Buffer.alloc(32).toString("base64")}`,
    ]) {
      const error = configError(() =>
        loadConfig({ MCPDECK_DATA_DIR: tempDir(), MCPDECK_ENCRYPTION_KEYS: value }),
      );
      expectOneLineNaming(error, "MCPDECK_ENCRYPTION_KEYS");
      expect(error.message).not.toContain(secret);
    }
  });

  it("refuses to start in production without the keys, naming MCPDECK_JWT_PRIVATE_KEY", () => {
    const dataDir = tempDir();
    const error = configError(() => loadConfig({ NODE_ENV: "production", MCPDECK_DATA_DIR: dataDir }));
    expectOneLineNaming(error, "MCPDECK_JWT_PRIVATE_KEY");
    expect(error.message).toMatch(/production/);
    // Nothing was generated behind the operator's back.
    expect(existsSync(join(dataDir, "keys.json"))).toBe(false);

    const { MCPDECK_HMAC_SECRET: _, ...withoutHmac } = production();
    expectOneLineNaming(
      configError(() => loadConfig(withoutHmac)),
      "MCPDECK_HMAC_SECRET",
    );
  });

  it("starts in production with the keys from the environment and writes no key file", () => {
    const env = production();
    const config = loadConfig(env);
    expect(config.production).toBe(true);
    expect(config.keys.jwtPrivateKey.asymmetricKeyType).toBe("ed25519");
    expect(config.keys.encryptionKeys.map((k) => k.kid)).toEqual(["k1"]);
    expect(config.mail.devOutbox).toBe(false);
    expect(existsSync(join(env.MCPDECK_DATA_DIR, "keys.json"))).toBe(false);
  });

  it("refuses each missing production key in one line naming it", () => {
    for (const variable of ["MCPDECK_JWT_PRIVATE_KEY", "MCPDECK_ENCRYPTION_KEYS", "MCPDECK_HMAC_SECRET"]) {
      const { [variable as "MCPDECK_HMAC_SECRET"]: _, ...without } = production();
      const error = configError(() => loadConfig(without));
      expectOneLineNaming(error, variable);
      expect(error.message).toMatch(/required when NODE_ENV=production/);
    }
  });

  it("refuses production without DATABASE_URL (the embedded database is for development)", () => {
    const { DATABASE_URL: _, ...without } = production();
    const error = configError(() => loadConfig(without));
    expectOneLineNaming(error, "DATABASE_URL");
    expect(error.message).toMatch(/required when NODE_ENV=production/);
    expect(existsSync(join(without.MCPDECK_DATA_DIR, "pgdata"))).toBe(false);
  });

  it("refuses production without a mail provider, since sign-in codes would only reach the log, unless that is accepted", () => {
    const { RESEND_API_KEY: _, ...without } = production();
    const error = configError(() => loadConfig(without));
    expectOneLineNaming(error, "RESEND_API_KEY");
    expect(error.message).toMatch(/MCPDECK_LOG_SIGN_IN_CODES=true/);
    const accepted = loadConfig({ ...without, MCPDECK_LOG_SIGN_IN_CODES: "true" });
    expect(accepted.production).toBe(true);
    expect(accepted.mail.resendApiKey).toBeUndefined();
    expect(accepted.mail.devOutbox).toBe(false);
    expect(loadConfig(production()).mail.resendApiKey).toBe("re_never_used");
  });

  it("refuses production without PUBLIC_URL, or with plain http on a host other than this machine", () => {
    const { PUBLIC_URL: _, ...without } = production();
    expectOneLineNaming(
      configError(() => loadConfig(without)),
      "PUBLIC_URL",
    );
    for (const url of [
      "http://deck.example.com",
      "http://10.1.2.3:3000",
      "http://[2001:db8::1]/",
      "ftp://x.y",
    ]) {
      const error = configError(() => loadConfig({ ...production(), PUBLIC_URL: url }));
      expectOneLineNaming(error, "PUBLIC_URL");
      expect(error.message).toMatch(/https:\/\//);
    }
    // Plain http stays possible on the machine itself (a trial run, a proxy on the same host).
    for (const url of [
      "http://localhost:3000",
      "http://127.0.0.1:8080",
      "http://[::1]:3000",
      "http://app.localhost",
    ])
      expect(loadConfig({ ...production(), PUBLIC_URL: url }).publicUrl).toBe(url);
    expect(loadConfig(production()).publicUrl).toBe("https://deck.example.com");
  });

  it("reads the shutdown grace and the metrics token, and refuses a short token without echoing it", () => {
    const dir = tempDir();
    expect(loadConfig({ MCPDECK_DATA_DIR: dir })).toMatchObject({ shutdownGraceSec: 25 });
    expect(loadConfig({ MCPDECK_DATA_DIR: dir }).metricsToken).toBeUndefined();
    const token = "m".repeat(40);
    expect(
      loadConfig({ MCPDECK_DATA_DIR: dir, MCPDECK_SHUTDOWN_GRACE_S: "5", MCPDECK_METRICS_TOKEN: token }),
    ).toMatchObject({ shutdownGraceSec: 5, metricsToken: token });
    const error = configError(() =>
      loadConfig({ MCPDECK_DATA_DIR: dir, MCPDECK_METRICS_TOKEN: "short-secret" }),
    );
    expectOneLineNaming(error, "MCPDECK_METRICS_TOKEN");
    expect(error.message).not.toContain("short-secret");
    expectOneLineNaming(
      configError(() => loadConfig({ MCPDECK_DATA_DIR: dir, MCPDECK_SHUTDOWN_GRACE_S: "soon" })),
      "MCPDECK_SHUTDOWN_GRACE_S",
    );
  });

  it("refuses a JWT key that is not Ed25519 PKCS#8", () => {
    const env = {
      ...production(),
      MCPDECK_JWT_PRIVATE_KEY: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
    };
    expectOneLineNaming(
      configError(() => loadConfig(env)),
      "MCPDECK_JWT_PRIVATE_KEY",
    );
  });

  it("generates development keys once, in keys.json with mode 0600, and reuses them", () => {
    const dataDir = tempDir();
    const first = loadConfig({ MCPDECK_DATA_DIR: dataDir });
    const file = join(dataDir, "keys.json");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const written = readFileSync(file, "utf8");
    expect(Object.keys(JSON.parse(written)).sort()).toEqual([
      "encryption_keys",
      "hmac_secret",
      "jwt_private_key",
    ]);

    const second = loadConfig({ MCPDECK_DATA_DIR: dataDir });
    expect(readFileSync(file, "utf8")).toBe(written);
    const spki = (c: typeof first) =>
      createPublicKey(c.keys.jwtPrivateKey).export({ type: "spki", format: "der" });
    expect(spki(second).equals(spki(first))).toBe(true);
    expect(second.keys.hmacSecret.equals(first.keys.hmacSecret)).toBe(true);
    expect(second.keys.encryptionKeys).toEqual(first.keys.encryptionKeys);

    // Another data dir gets keys of its own.
    const other = loadConfig({ MCPDECK_DATA_DIR: tempDir() });
    expect(spki(other).equals(spki(first))).toBe(false);
  });

  it("refuses a damaged keys.json instead of replacing it", () => {
    const dataDir = tempDir();
    writeFileSync(join(dataDir, "keys.json"), "{ half a fi");
    const error = configError(() => loadConfig({ MCPDECK_DATA_DIR: dataDir }));
    expect(error.message).not.toMatch(/[\r\n]/);
    expect(error.message).toContain("keys.json");
    expect(readFileSync(join(dataDir, "keys.json"), "utf8")).toBe("{ half a fi");
  });

  it("derives the rest of the configuration", () => {
    const config = loadConfig({
      MCPDECK_DATA_DIR: tempDir(),
      PORT: "8080",
      PUBLIC_URL: "https://deck.example.com/",
      MCPDECK_RATE_LIMIT_AUTH: "5",
      RESEND_API_KEY: "re_123",
    });
    expect(config.port).toBe(8080);
    expect(config.publicUrl).toBe("https://deck.example.com");
    expect(config.corsOrigins).toEqual(["https://deck.example.com"]);
    expect(config.rateLimits).toEqual({ authPerMin: 5, apiPerMin: 120 });
    expect(config.mail.resendApiKey).toBe("re_123");
    expect(config.host).toBe("localhost");
  });

  it("opens private networks by default only outside production, and reads the allow-list", () => {
    expect(loadConfig({ MCPDECK_DATA_DIR: tempDir() }).network).toEqual({
      allowPrivateNetworks: true,
      allowedHosts: [],
    });
    expect(loadConfig(production()).network.allowPrivateNetworks).toBe(false);
    const custom = loadConfig({
      ...production(),
      MCPDECK_ALLOW_PRIVATE_NETWORKS: "true",
      MCPDECK_ALLOWED_HOSTS: " mcp.internal, *.corp.example,10.0.0.0/8,,",
    });
    expect(custom.network).toEqual({
      allowPrivateNetworks: true,
      allowedHosts: ["mcp.internal", "*.corp.example", "10.0.0.0/8"],
    });
    expect(
      loadConfig({ MCPDECK_DATA_DIR: tempDir(), MCPDECK_ALLOW_PRIVATE_NETWORKS: "false" }).network
        .allowPrivateNetworks,
    ).toBe(false);
  });
});

describe("the planner's model", () => {
  it("is the built-in planner unless LLM_PROVIDER is set", () => {
    expect(loadConfig({ MCPDECK_DATA_DIR: tempDir() }).llm).toBeUndefined();
  });

  it("reads provider, model, base URL, the provider's key and a context budget", () => {
    const dir = tempDir();
    expect(
      loadConfig({
        MCPDECK_DATA_DIR: dir,
        LLM_PROVIDER: "openai",
        LLM_MODEL: "gpt-4o-mini",
        OPENAI_API_KEY: "sk-1",
      }).llm,
    ).toEqual({ provider: "openai", model: "gpt-4o-mini", apiKey: "sk-1", contextTokens: 128_000 });
    expect(
      loadConfig({
        MCPDECK_DATA_DIR: dir,
        LLM_PROVIDER: "anthropic",
        LLM_MODEL: "claude-sonnet-4-5",
        ANTHROPIC_API_KEY: "a-1",
        LLM_CONTEXT_TOKENS: "50000",
      }).llm,
    ).toEqual({ provider: "anthropic", model: "claude-sonnet-4-5", apiKey: "a-1", contextTokens: 50_000 });
    expect(
      loadConfig({
        MCPDECK_DATA_DIR: dir,
        LLM_PROVIDER: "google",
        LLM_MODEL: "gemini-2.5-flash",
        GOOGLE_GENERATIVE_AI_API_KEY: "g-1",
      }).llm,
    ).toMatchObject({ provider: "google", apiKey: "g-1", contextTokens: 1_000_000 });
    expect(
      loadConfig({
        MCPDECK_DATA_DIR: dir,
        LLM_PROVIDER: "openai-compatible",
        LLM_MODEL: "llama3.1:8b",
        LLM_BASE_URL: "http://127.0.0.1:11434/v1/",
      }).llm,
    ).toEqual({
      provider: "openai-compatible",
      model: "llama3.1:8b",
      baseUrl: "http://127.0.0.1:11434/v1",
      contextTokens: 8192,
    });
  });

  it("refuses an incomplete model configuration in one line naming the variable, without echoing a key", () => {
    const cases: [Record<string, string>, string][] = [
      [{ LLM_PROVIDER: "openia" }, "LLM_PROVIDER"],
      [{ LLM_PROVIDER: "openai", OPENAI_API_KEY: "sk-secret-value" }, "LLM_MODEL"],
      [{ LLM_PROVIDER: "openai", LLM_MODEL: "gpt-4o" }, "OPENAI_API_KEY"],
      [{ LLM_PROVIDER: "anthropic", LLM_MODEL: "claude-sonnet-4-5" }, "ANTHROPIC_API_KEY"],
      [{ LLM_PROVIDER: "google", LLM_MODEL: "gemini-2.5-flash" }, "GOOGLE_GENERATIVE_AI_API_KEY"],
      [{ LLM_PROVIDER: "openai-compatible", LLM_MODEL: "llama3.1" }, "LLM_BASE_URL"],
      [
        { LLM_PROVIDER: "openai-compatible", LLM_MODEL: "llama3.1", LLM_BASE_URL: "localhost:11434" },
        "LLM_BASE_URL",
      ],
      [{ LLM_MODEL: "gpt-4o" }, "LLM_MODEL"],
      [
        { LLM_PROVIDER: "openai", LLM_MODEL: "gpt-4o", OPENAI_API_KEY: "sk-1", LLM_CONTEXT_TOKENS: "lots" },
        "LLM_CONTEXT_TOKENS",
      ],
      [
        {
          LLM_PROVIDER: "openai",
          LLM_MODEL: "gpt-4o",
          OPENAI_API_KEY: "sk-1",
          LLM_API_KEY: "sk-secret-value",
        },
        "LLM_API_KEY",
      ],
    ];
    for (const [env, variable] of cases) {
      const error = configError(() => parseEnv(env));
      expectOneLineNaming(error, variable);
      expect(error.message).not.toContain("sk-secret-value");
    }
    expect(configError(() => parseEnv({ LLM_PROVIDER: "openia" })).message).toMatch(
      /must be one of openai, anthropic, google, openai-compatible/,
    );
  });
});
