import { existsSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { createDb, type DbHandle } from "@mcpdeck/db";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type { Mailer } from "./auth/mailer.js";
import { type Clock, systemClock } from "./clock.js";
import type { Config } from "./config/config.js";
import { secureDataDir } from "./config/data-dir.js";
import { buildHttpServer } from "./http/server.js";
import { createLogger } from "./logger.js";
import { type AppServices, createServices } from "./services.js";

export interface AppOptions {
  config: Config;
  /** An open database (tests share or template one); otherwise created from the config. */
  dbHandle?: DbHandle;
  clock?: Clock;
  logger?: Logger;
  mailer?: Mailer;
  /** Run the background status checker (default true). */
  statusChecks?: boolean;
  /** The session socket's status, liveness ping and sign-in re-check interval (default 15 s; tests shorten it). */
  socketStatusEveryMs?: number;
}

export interface RunningApp {
  url: string;
  port: number;
  http: FastifyInstance;
  services: AppServices;
  /** Stops at once (tests): running calls are left to their leases. */
  close(): Promise<void>;
  /**
   * Stops gracefully (SIGTERM): accepts no new connection, tells connected clients to reconnect
   * (session sockets close with 1001, tRPC clients get the reconnect notification) — a proxy sends
   * them to another process, where they resume from their last event id —, finishes requests in
   * flight, lets running tool calls finish for up to `graceMs` (MCPDECK_SHUTDOWN_GRACE_S) and fails
   * the rest as interrupted, exactly as if the process had died. Approved calls that had not started
   * are left to the other processes (or the next start).
   */
  shutdown(graceMs?: number): Promise<{ finished: number; interrupted: number }>;
}

/** Builds and starts the whole API process: database, services, HTTP + WebSocket on one port. */
export async function startApp(options: AppOptions): Promise<RunningApp> {
  const { config } = options;
  const log = options.logger ?? createLogger(config.logLevel);
  // The embedded database lives there; with DATABASE_URL it may hold only development keys, or not exist.
  if (!config.databaseUrl || existsSync(config.dataDir)) reportDataDir(config.dataDir, log);
  const ownsDb = !options.dbHandle;
  const dbHandle =
    options.dbHandle ??
    (await createDb({
      ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : { dataDir: `${config.dataDir}/pgdata` }),
    }));
  const services = createServices({
    config,
    dbHandle,
    clock: options.clock ?? systemClock,
    log,
    ...(options.mailer ? { mailer: options.mailer } : {}),
  });
  const http = await buildHttpServer(
    services,
    options.socketStatusEveryMs !== undefined ? { socketStatusEveryMs: options.socketStatusEveryMs } : {},
  );
  if (options.statusChecks ?? true) services.statusChecker.start();
  await services.engine.start();
  await http.listen({ port: config.port, host: config.host });
  const port = (http.server.address() as AddressInfo).port;
  const sweeper = setInterval(() => {
    services.rateLimiter.sweep().catch((error) => log.warn({ err: error }, "rate-limit sweep failed"));
  }, 5 * 60_000);
  sweeper.unref();
  const release = async () => {
    await services.pool.closeAll();
    if (ownsDb) await dbHandle.close();
  };
  async function close() {
    clearInterval(sweeper);
    services.statusChecker.stop();
    await services.engine.stop();
    await http.close();
    await release();
  }
  async function shutdown(graceMs: number) {
    clearInterval(sweeper);
    services.statusChecker.stop();
    // The listening socket closes first, so a client told to reconnect cannot land here again.
    const disconnected = new Promise<void>((resolve) => http.server.close(() => resolve()));
    const drained = services.engine.drain(graceMs);
    await http.close();
    const outcome = await drained;
    // Connections end as their clients answer the close; one that never does is not waited for.
    await Promise.race([disconnected, new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
    await services.engine.stop();
    await release();
    return outcome;
  }
  // Either way of stopping runs once; asking again (a test's cleanup after a shutdown) waits for it.
  let stopping: Promise<{ finished: number; interrupted: number }> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    http,
    services,
    async close() {
      stopping ??= close().then(() => ({ finished: 0, interrupted: 0 }));
      await stopping;
    },
    shutdown(graceMs = config.shutdownGraceSec * 1000) {
      stopping ??= shutdown(graceMs);
      return stopping;
    },
  };
}

function reportDataDir(dataDir: string, log: Logger) {
  const secured = secureDataDir(dataDir);
  const listed = (paths: string[]) => ({ count: paths.length, paths: paths.slice(0, 20) });
  if (secured.wasOpen) {
    log.warn(
      { dataDir, tightened: listed(secured.tightened) },
      `${dataDir} was readable by other local users; it holds the database and keys: narrowed ${secured.tightened.length} paths to owner-only (directories 0700, files 0600)`,
    );
  } else if (secured.tightened.length > 0) {
    // Below an owner-only directory nothing was reachable (PGlite writes its files 0666 each run).
    log.debug({ dataDir, tightened: listed(secured.tightened) }, "narrowed data dir files to owner-only");
  }
  if (secured.failed.length > 0) {
    log.warn(
      { dataDir, failed: listed(secured.failed) },
      `could not make ${secured.failed.length} paths in ${dataDir} owner-only (owned by another user?): fix their permissions`,
    );
  }
}
