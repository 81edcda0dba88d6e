import { resolve } from "node:path";
import { type Env, LLM_KEY_VARIABLES, type LlmProvider, parseEnv } from "./env.js";
import { type Keys, loadKeys } from "./keys.js";
import { checkProductionSettings } from "./production.js";

export interface Config {
  env: Env["NODE_ENV"];
  production: boolean;
  port: number;
  host: string;
  publicUrl: string;
  databaseUrl?: string;
  dataDir: string;
  logLevel: Env["LOG_LEVEL"];
  trustProxy: boolean | number | string[];
  corsOrigins: string[];
  mail: { resendApiKey?: string; resendBaseUrl?: string; from: string; devOutbox: boolean };
  rateLimits: { authPerMin: number; apiPerMin: number };
  statusIntervalSec: number;
  network: { allowPrivateNetworks: boolean; allowedHosts: string[] };
  demoMcpUrl?: string;
  webDist?: string;
  keys: Keys;
  sessions: {
    leaseSec: number;
    inputTimeoutSec: number;
    /** A tool call's longest run, however much progress it reports. */
    maxCallSec: number;
    sessionConcurrency: number;
    processConcurrency: number;
    /** Messages a session socket may send per minute (pings excluded). */
    socketMessagesPerMin: number;
  };
  artifacts: { storage: "db" | "file"; maxBytes: number };
  /** On SIGTERM, how long running tool calls may take to finish before they are interrupted. */
  shutdownGraceSec: number;
  /** Bearer token that `/metrics` asks for; absent: `/metrics` is off. */
  metricsToken?: string;
  /** The model that plans requests; absent: the built-in offline planner. */
  llm?: LlmConfig;
}

export interface LlmConfig {
  provider: LlmProvider;
  model: string;
  baseUrl?: string;
  apiKey?: string;
  /** The model's context budget in tokens (`memory.total`). */
  contextTokens: number;
}

/** Context budgets when LLM_CONTEXT_TOKENS is not set: each provider's current models, a small local one. */
const DEFAULT_CONTEXT_TOKENS: Record<LlmProvider, number> = {
  openai: 128_000,
  anthropic: 200_000,
  google: 1_000_000,
  "openai-compatible": 8_192,
};

function llmConfig(env: Env): LlmConfig | undefined {
  if (!env.LLM_PROVIDER || !env.LLM_MODEL) return undefined;
  const keyVariable = LLM_KEY_VARIABLES[env.LLM_PROVIDER];
  const apiKey = keyVariable ? env[keyVariable] : env.LLM_API_KEY;
  return {
    provider: env.LLM_PROVIDER,
    model: env.LLM_MODEL,
    ...(env.LLM_BASE_URL ? { baseUrl: env.LLM_BASE_URL.replace(/\/$/, "") } : {}),
    ...(apiKey ? { apiKey } : {}),
    contextTokens: env.LLM_CONTEXT_TOKENS ?? DEFAULT_CONTEXT_TOKENS[env.LLM_PROVIDER],
  };
}

/** Reads and validates the whole configuration once; throws ConfigError with a one-line message. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const env = parseEnv(source);
  const production = env.NODE_ENV === "production";
  const port = env.PORT;
  const publicUrl = (env.PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/$/, "");
  const llm = llmConfig(env);
  const keys = loadKeys(env);
  if (production) checkProductionSettings(env);
  return {
    env: env.NODE_ENV,
    production,
    port,
    host: env.HOST ?? (production ? "0.0.0.0" : "localhost"),
    publicUrl,
    ...(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL } : {}),
    dataDir: resolve(env.MCPDECK_DATA_DIR),
    logLevel: env.LOG_LEVEL,
    trustProxy: env.TRUST_PROXY,
    corsOrigins: env.CORS_ORIGINS.length > 0 ? env.CORS_ORIGINS : [new URL(publicUrl).origin],
    mail: {
      ...(env.RESEND_API_KEY ? { resendApiKey: env.RESEND_API_KEY } : {}),
      ...(env.RESEND_BASE_URL ? { resendBaseUrl: env.RESEND_BASE_URL } : {}),
      from: env.MAIL_FROM,
      devOutbox: !production && env.MCPDECK_DEV_OUTBOX,
    },
    rateLimits: { authPerMin: env.MCPDECK_RATE_LIMIT_AUTH, apiPerMin: env.MCPDECK_RATE_LIMIT_API },
    statusIntervalSec: env.MCPDECK_STATUS_INTERVAL_S,
    network: {
      allowPrivateNetworks: env.MCPDECK_ALLOW_PRIVATE_NETWORKS
        ? env.MCPDECK_ALLOW_PRIVATE_NETWORKS === "true"
        : !production,
      allowedHosts: env.MCPDECK_ALLOWED_HOSTS,
    },
    ...(env.MCPDECK_DEMO_MCP_URL !== undefined
      ? env.MCPDECK_DEMO_MCP_URL === "none"
        ? {}
        : { demoMcpUrl: env.MCPDECK_DEMO_MCP_URL }
      : production
        ? {}
        : { demoMcpUrl: "http://127.0.0.1:3001/mcp" }),
    ...(env.MCPDECK_WEB_DIST ? { webDist: resolve(env.MCPDECK_WEB_DIST) } : {}),
    keys,
    sessions: {
      leaseSec: env.MCPDECK_NODE_LEASE_S,
      inputTimeoutSec: env.MCPDECK_INPUT_TIMEOUT_S,
      maxCallSec: env.MCPDECK_CALL_MAX_S,
      sessionConcurrency: env.MCPDECK_SESSION_CONCURRENCY,
      processConcurrency: env.MCPDECK_PROCESS_CONCURRENCY,
      socketMessagesPerMin: env.MCPDECK_WS_MESSAGES_PER_MIN,
    },
    artifacts: { storage: env.MCPDECK_ARTIFACT_STORAGE, maxBytes: env.MCPDECK_ARTIFACT_MAX_MB * 1024 * 1024 },
    shutdownGraceSec: env.MCPDECK_SHUTDOWN_GRACE_S,
    ...(env.MCPDECK_METRICS_TOKEN ? { metricsToken: env.MCPDECK_METRICS_TOKEN } : {}),
    ...(llm ? { llm } : {}),
  };
}
