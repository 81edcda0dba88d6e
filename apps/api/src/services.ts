import type { DbHandle, Executor } from "@mcpdeck/db";
import { type ConnectionPool, createConnectionPool, createSsrfGuard, type SsrfGuard } from "@mcpdeck/mcp";
import type { Logger as HostLogger } from "pino";
import { type ArtifactService, createArtifactService } from "./artifacts/service.js";
import { createDbArtifactStorage, createFileArtifactStorage } from "./artifacts/storage.js";
import { createMailer, type Mailer } from "./auth/mailer.js";
import { type AuthService, createAuthService } from "./auth/service.js";
import { createTokenSigner } from "./auth/tokens.js";
import type { Clock } from "./clock.js";
import type { Config } from "./config/config.js";
import type { ProcedureServices } from "./context.js";
import { type CredentialCipher, createCredentialCipher } from "./crypto/credentials.js";
import { createHealthCheck, type HealthCheck } from "./health/check.js";
import { createRateLimiter, createRateLimits, type RateLimiter } from "./http/rate-limit.js";
import { createMetrics, type Metrics } from "./metrics.js";
import { createPlanner } from "./planning/index.js";
import { registerDemoServer } from "./servers/demo.js";
import { createOAuthStateCodec } from "./servers/oauth.js";
import { createOAuthUrls } from "./servers/oauth-urls.js";
import { createServerService, type ServerService } from "./servers/service.js";
import { createStatusChecker, type StatusChecker } from "./servers/status.js";
import { createStatusEvents, type StatusEvents } from "./servers/status-events.js";
import { createSessionEngine, type SessionEngine } from "./sessions/engine.js";
import { createEventLog, type EventLog } from "./sessions/events.js";
import { createSessionService, type SessionService } from "./sessions/service.js";
import { createSessionStore, type SessionStore } from "./sessions/store.js";
import { createToolAccess } from "./sessions/tools.js";
import { createUserService, type UserService } from "./users/service.js";

/**
 * Everything the process uses; built once. Services know nothing about HTTP. Procedures see them
 * through the narrower `ProcedureServices` (context.ts).
 */
export interface AppServices {
  config: Config;
  dbHandle: DbHandle;
  clock: Clock;
  /** The process logger (pino): Fastify logs through it; services take the `Logger` interface. */
  log: HostLogger;
  metrics: Metrics;
  mailer: Mailer;
  auth: AuthService;
  users: UserService;
  rateLimiter: RateLimiter;
  rateLimits: ProcedureServices["rateLimits"];
  health: HealthCheck;
  devOutbox: ProcedureServices["devOutbox"];
  cipher: CredentialCipher;
  guard: SsrfGuard;
  pool: ConnectionPool;
  servers: ServerService;
  statusChecker: StatusChecker;
  events: EventLog;
  sessionStore: SessionStore;
  /** The session engine's door for procedures and the session socket. */
  sessions: SessionService;
  artifacts: ArtifactService;
  engine: SessionEngine;
  statusEvents: StatusEvents;
  /**
   * Hooks run in the sign-up transaction when a user signs in for the first time (e.g. pre-registering
   * the demo server): they write through `tx`, and one failing fails the sign-in, undoing it all.
   */
  onUserCreated: ((userId: string, tx: Executor) => Promise<void>)[];
}

export function createServices(opts: {
  config: Config;
  dbHandle: DbHandle;
  clock: Clock;
  /** The process logger (pino): Fastify logs through it; services take the `Logger` interface. */
  log: HostLogger;
  mailer?: Mailer;
}): AppServices {
  const { config, dbHandle, clock, log } = opts;
  const db = dbHandle.db;
  const metrics = createMetrics();
  const mailer =
    opts.mailer ??
    createMailer({
      ...(config.mail.resendApiKey ? { resendApiKey: config.mail.resendApiKey } : {}),
      ...(config.mail.resendBaseUrl ? { resendBaseUrl: config.mail.resendBaseUrl } : {}),
      from: config.mail.from,
      now: () => clock.now(),
      log,
    });
  const tokens = createTokenSigner({
    privateKey: config.keys.jwtPrivateKey,
    publicKey: config.keys.jwtPublicKey,
    issuer: config.publicUrl,
    clock,
  });
  const onUserCreated: AppServices["onUserCreated"] = [];
  const auth = createAuthService({
    db,
    clock,
    hmacSecret: config.keys.hmacSecret,
    mailer,
    tokens,
    notify: dbHandle.notify,
    onMailFailure: (error, to) => {
      metrics.mailFailure();
      log.error(
        {
          err: { message: error instanceof Error ? error.message : String(error) },
          toDomain: to.split("@")[1],
        },
        "sign-in email could not be sent",
      );
    },
    onUserCreated: async (userId, tx) => {
      for (const hook of onUserCreated) await hook(userId, tx);
    },
  });
  const cipher = createCredentialCipher(config.keys.encryptionKeys);
  const guard = createSsrfGuard({
    allowPrivateNetworks: config.network.allowPrivateNetworks,
    allowedHosts: config.network.allowedHosts,
  });
  const pool = createConnectionPool({ guard });
  const servers = createServerService({
    db,
    clock,
    cipher,
    guard,
    pool,
    oauthStates: createOAuthStateCodec(config.keys.hmacSecret, clock),
    oauthUrls: createOAuthUrls(config.publicUrl),
  });
  const statusChecker = createStatusChecker({
    db,
    notify: dbHandle.notify,
    clock,
    servers,
    intervalSec: config.statusIntervalSec,
    log,
  });
  const events = createEventLog({ dbHandle, log, onFanOutLag: metrics.fanOutLag });
  const sessionStore = createSessionStore({ db, clock });
  const artifacts = createArtifactService({
    db,
    storage:
      config.artifacts.storage === "file"
        ? createFileArtifactStorage(`${config.dataDir}/artifacts`)
        : createDbArtifactStorage(db),
    events,
    clock,
    hmacSecret: config.keys.hmacSecret,
    maxBytes: config.artifacts.maxBytes,
  });
  const toolAccess = createToolAccess(servers, { maxCallSec: config.sessions.maxCallSec });
  const { planner, sampler } = createPlanner(config.llm, log, { now: () => clock.now() });
  const engine = createSessionEngine({
    db,
    dbHandle,
    clock,
    log,
    events,
    sessions: sessionStore,
    tools: toolAccess,
    artifacts,
    planner,
    sampler,
    config: config.sessions,
    onCallEnded: metrics.toolCall,
  });
  metrics.probes.runningCalls = engine.runningCalls;
  metrics.probes.poolSize = () => pool.stats().size;
  if (config.demoMcpUrl) {
    const demoUrl = config.demoMcpUrl;
    onUserCreated.push((userId, tx) => registerDemoServer(tx, clock, userId, demoUrl));
  }
  const rateLimiter = createRateLimiter(db);
  const outbox = mailer.outbox;
  const services: AppServices = {
    config,
    dbHandle,
    clock,
    log,
    metrics,
    mailer,
    auth,
    users: createUserService({ db, clock }),
    rateLimiter,
    rateLimits: createRateLimits({ limiter: rateLimiter, limits: config.rateLimits, metrics, log }),
    health: createHealthCheck({ dbHandle, clock }),
    devOutbox:
      outbox && config.mail.devOutbox && !config.production
        ? { list: (email) => outbox.list(email).map(({ html: _html, ...message }) => message) }
        : undefined,
    cipher,
    guard,
    pool,
    servers,
    statusChecker,
    events,
    sessionStore,
    sessions: createSessionService({
      servers,
      sessions: sessionStore,
      engine,
      events,
      artifacts,
      tools: toolAccess,
    }),
    artifacts,
    engine,
    statusEvents: createStatusEvents({ db, listen: dbHandle.listen }),
    onUserCreated,
  };
  // Procedures reach the services only through ProcedureServices: the real ones must fit it.
  return services satisfies ProcedureServices;
}
