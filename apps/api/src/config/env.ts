import { isIP } from "node:net";
import { z } from "zod";

/** A value echoed in an error message: quoted, cut short, and on one line whatever it contains. */
const quote = (v: string) => JSON.stringify(v.length > 64 ? `${v.slice(0, 64)}…` : v);

/** What Fastify's trust-proxy list accepts: an IP, a CIDR block, or a named range. */
function isProxyAddress(entry: string): boolean {
  if (["loopback", "linklocal", "uniquelocal"].includes(entry)) return true;
  const [address = "", prefix, ...rest] = entry.split("/");
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

const bool = (def: boolean) =>
  z
    .enum(["true", "false", "1", "0", "yes", "no", "on", "off"], { message: "must be true or false" })
    .optional()
    .transform((v) => (v === undefined ? def : ["true", "1", "yes", "on"].includes(v)));

const int = (def: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === "") return def;
      const n = /^\d{1,10}$/.test(v) ? Number(v) : Number.NaN;
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({
          code: "custom",
          message: `must be an integer between ${min} and ${max} (got ${quote(v)})`,
        });
        return z.NEVER;
      }
      return n;
    });

const list = z
  .string()
  .optional()
  .transform((v) =>
    v
      ? v
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean)
      : [],
  );

const url = (what: string) =>
  z
    .string()
    .optional()
    .refine((v) => {
      if (v === undefined || v === "") return true;
      try {
        new URL(v);
        return true;
      } catch {
        return false;
      }
    }, `must be ${what}`);

export const LLM_PROVIDERS = ["openai", "anthropic", "google", "openai-compatible"] as const;
export type LlmProvider = (typeof LLM_PROVIDERS)[number];

/** Where each provider's key is read from (an OpenAI-compatible server may need none: LLM_API_KEY). */
export const LLM_KEY_VARIABLES = {
  openai: "OPENAI_API_KEY",
  anthropic: "ANTHROPIC_API_KEY",
  google: "GOOGLE_GENERATIVE_AI_API_KEY",
  "openai-compatible": undefined,
} as const satisfies Record<LlmProvider, string | undefined>;

/** Every environment variable the API reads; parsed once at start-up. */
const EnvSchema = z
  .object({
    NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
    PORT: int(3000, 0, 65535),
    HOST: z.string().optional(),
    DATABASE_URL: z
      .string()
      .optional()
      .refine((v) => !v || /^postgres(ql)?:\/\//.test(v), "must be a postgres:// or postgresql:// URL"),
    MCPDECK_DATA_DIR: z.string().min(1).default("./.mcpdeck"),
    PUBLIC_URL: url("an absolute URL such as https://mcpdeck.example.com"),
    RESEND_API_KEY: z.string().optional(),
    RESEND_BASE_URL: url("an absolute URL"),
    MAIL_FROM: z.string().default("mcpdeck <onboarding@resend.dev>"),
    TRUST_PROXY: z
      .string()
      .optional()
      .transform((v, ctx): boolean | number | string[] => {
        if (v === undefined || v === "" || v === "false" || v === "0") return false;
        if (v === "true") return true;
        if (/^\d+$/.test(v)) return Number(v);
        const parts = v.split(",").map((s) => s.trim());
        if (parts.every(isProxyAddress)) return parts;
        ctx.addIssue({
          code: "custom",
          message: `must be false, true, a hop count or a list of proxy IPs/CIDRs (got ${quote(v)})`,
        });
        return z.NEVER;
      }),
    CORS_ORIGINS: list,
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    MCPDECK_JWT_PRIVATE_KEY: z.string().optional(),
    MCPDECK_ENCRYPTION_KEYS: z.string().optional(),
    MCPDECK_HMAC_SECRET: z.string().optional(),
    MCPDECK_RATE_LIMIT_AUTH: int(60, 1, 1_000_000_000),
    MCPDECK_RATE_LIMIT_API: int(120, 1, 1_000_000_000),
    MCPDECK_STATUS_INTERVAL_S: int(60, 1, 86_400),
    MCPDECK_ALLOW_PRIVATE_NETWORKS: z
      .enum(["true", "false"], { message: "must be true or false" })
      .optional(),
    MCPDECK_ALLOWED_HOSTS: list,
    MCPDECK_DEMO_MCP_URL: z.string().optional(),
    MCPDECK_WEB_DIST: z.string().optional(),
    MCPDECK_DEV_OUTBOX: bool(true),
    MCPDECK_LOG_SIGN_IN_CODES: bool(false),
    MCPDECK_NODE_LEASE_S: int(30, 2, 3600),
    MCPDECK_INPUT_TIMEOUT_S: int(600, 1, 86_400),
    MCPDECK_CALL_MAX_S: int(3600, 1, 7 * 86_400),
    MCPDECK_SESSION_CONCURRENCY: int(8, 1, 256),
    MCPDECK_PROCESS_CONCURRENCY: int(64, 1, 10_000),
    MCPDECK_ARTIFACT_STORAGE: z.enum(["db", "file"], { message: "must be db or file" }).default("db"),
    MCPDECK_ARTIFACT_MAX_MB: int(50, 1, 2048),
    MCPDECK_WS_MESSAGES_PER_MIN: int(120, 1, 1_000_000),
    MCPDECK_SHUTDOWN_GRACE_S: int(25, 0, 3600),
    MCPDECK_METRICS_TOKEN: z
      .string()
      .optional()
      .refine(
        (v) => !v || /^[\x21-\x7e]{32,}$/.test(v),
        "must be at least 32 printable characters without spaces (e.g. openssl rand -hex 32)",
      ),
    LLM_PROVIDER: z.enum(LLM_PROVIDERS, { message: `must be one of ${LLM_PROVIDERS.join(", ")}` }).optional(),
    LLM_MODEL: z.string().optional(),
    LLM_BASE_URL: url("an absolute http(s) URL such as http://127.0.0.1:11434/v1").refine(
      (v) => !v || /^https?:\/\//i.test(v),
      "must be an absolute http(s) URL such as http://127.0.0.1:11434/v1",
    ),
    LLM_API_KEY: z.string().optional(),
    LLM_CONTEXT_TOKENS: z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (v === undefined || v === "") return undefined;
        const n = /^\d{1,9}$/.test(v) ? Number(v) : Number.NaN;
        if (!(n >= 1024)) {
          ctx.addIssue({
            code: "custom",
            message: `must be a whole number of tokens, at least 1024 (got ${quote(v)})`,
          });
          return z.NEVER;
        }
        return n;
      }),
    OPENAI_API_KEY: z.string().optional(),
    ANTHROPIC_API_KEY: z.string().optional(),
    GOOGLE_GENERATIVE_AI_API_KEY: z.string().optional(),
  })
  .superRefine((env, ctx) => {
    // The model is chosen as a whole: a provider needs a model, its key, and (for a self-hosted
    // OpenAI-compatible server) its address. Each problem names the variable to set.
    const missing = (variable: string, message: string) =>
      ctx.addIssue({ code: "custom", path: [variable], message });
    if (!env.LLM_PROVIDER) {
      for (const variable of ["LLM_MODEL", "LLM_BASE_URL", "LLM_CONTEXT_TOKENS"] as const)
        if (env[variable] !== undefined)
          missing(variable, "is set, but LLM_PROVIDER is not (set it to use a model)");
      return;
    }
    if (!env.LLM_MODEL)
      missing("LLM_MODEL", `is required when LLM_PROVIDER is set (the ${env.LLM_PROVIDER} model id)`);
    const key = LLM_KEY_VARIABLES[env.LLM_PROVIDER];
    if (key && !env[key]) missing(key, `is required when LLM_PROVIDER=${env.LLM_PROVIDER}`);
    if (env.LLM_API_KEY && env.LLM_PROVIDER !== "openai-compatible")
      missing("LLM_API_KEY", `is only read for LLM_PROVIDER=openai-compatible; set ${key} instead`);
    if (env.LLM_PROVIDER === "openai-compatible" && !env.LLM_BASE_URL)
      missing(
        "LLM_BASE_URL",
        "is required when LLM_PROVIDER=openai-compatible (e.g. http://127.0.0.1:11434/v1)",
      );
  });

export type Env = z.infer<typeof EnvSchema>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Parses the environment; throws ConfigError whose message is one line naming the variable. */
export function parseEnv(source: NodeJS.ProcessEnv): Env {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ""));
  const result = EnvSchema.safeParse(cleaned);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const name = issue.path.join(".") || "environment";
    const message = issue.message.replace(/^Invalid input: /, "").replace(/\s*[\r\n]+\s*/g, " ");
    throw new ConfigError(`Invalid configuration: ${name} ${message}`);
  }
  return result.data;
}
