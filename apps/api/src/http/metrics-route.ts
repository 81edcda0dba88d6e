import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { AppError } from "../errors.js";
import type { AppServices } from "../services.js";

const digest = (value: string) => createHash("sha256").update(value).digest();

/**
 * `GET /metrics` (Prometheus text format) for a scraper holding MCPDECK_METRICS_TOKEN as its bearer
 * token. Without a configured token the route answers as if it did not exist: the numbers say who
 * uses the product and how much, so they are never public by default. Not rate limited (a scraper
 * polls), and the token compare takes the same time whatever is sent.
 */
export function registerMetricsRoute(
  app: FastifyInstance,
  services: Pick<AppServices, "config" | "metrics">,
) {
  const token = services.config.metricsToken;
  const expected = token ? digest(token) : undefined;
  app.get("/metrics", async (req, reply) => {
    if (!expected) {
      throw new AppError(
        "NOT_FOUND",
        "Metrics are off: set MCPDECK_METRICS_TOKEN, then scrape /metrics with it as a bearer token.",
      );
    }
    const header = req.headers.authorization ?? "";
    const given = header.startsWith("Bearer ") ? header.slice(7).trim() : "";
    if (!timingSafeEqual(digest(given), expected)) {
      reply.header("www-authenticate", 'Bearer realm="mcpdeck metrics"');
      throw new AppError(
        "UNAUTHENTICATED",
        "Scraping /metrics takes the MCPDECK_METRICS_TOKEN bearer token.",
      );
    }
    return reply.type(services.metrics.contentType).send(await services.metrics.render());
  });
}
