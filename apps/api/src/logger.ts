import pino, { type Logger } from "pino";

/** JSON logs with every credential-bearing field redacted wherever it appears. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
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
