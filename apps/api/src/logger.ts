import pino, { type Logger as PinoLogger } from "pino";

/** JSON logs with every credential-bearing field redacted wherever it appears. */
export function createLogger(level: string, destination?: pino.DestinationStream): PinoLogger {
  return pino(
    {
      level,
      base: { service: "mcpdeck-api" },
      redact: {
        paths: [
          "req.headers.authorization",
          "req.headers.cookie",
          "*.authorization",
          "*.access_token",
          "*.refresh_token",
          "*.api_key",
          "*.client_secret",
          "*.credentials",
          "*.token",
          "*.code_verifier",
        ],
        censor: "[redacted]",
      },
    },
    destination,
  );
}

/**
 * What services log through: structured fields first, then a message (pino's calling convention).
 * Services depend on this, not on pino or Fastify, so they run under any logger a host provides.
 */
export interface Logger {
  debug(fields: object, message?: string): void;
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
}
