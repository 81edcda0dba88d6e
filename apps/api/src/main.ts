import { startApp } from "./app.js";
import { loadConfig } from "./config/config.js";
import { ConfigError } from "./config/env.js";

async function main() {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`mcpdeck: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const app = await startApp({ config });
  const log = app.services.log;
  log.info(
    { url: config.publicUrl, database: app.services.dbHandle.kind, mail: app.services.mailer.kind },
    `mcpdeck listening on ${config.publicUrl} (database: ${app.services.dbHandle.kind}, mail: ${app.services.mailer.kind})`,
  );
  // A second signal (Ctrl-C reaches `pnpm start` and the API both) does not cut the drain short.
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(
      { signal, graceSec: config.shutdownGraceSec },
      `stopping (${signal}): no new connections, clients told to reconnect, running tool calls get up to ${config.shutdownGraceSec} s`,
    );
    try {
      const { finished, interrupted } = await app.shutdown();
      log.info({ finished, interrupted }, `stopped: ${finished} calls finished, ${interrupted} interrupted`);
      process.exit(0);
    } catch (error) {
      // Whatever was left running is failed as interrupted by another process once its lease lapses.
      log.error({ err: error }, "the graceful stop failed; stopping now");
      process.exit(1);
    }
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

main().catch((error) => {
  process.stderr.write(
    `mcpdeck: failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
