import type { DbHandle } from "@mcpdeck/db";
import { type ConnectionPool, createConnectionPool, createSsrfGuard, type SsrfGuard } from "@mcpdeck/mcp";
import type { FastifyBaseLogger as Logger } from "fastify";
import { type ArtifactService, createArtifactService } from "./artifacts/service.js";
import { createDbArtifactStorage, createFileArtifactStorage } from "./artifacts/storage.js";
import { createMailer, type Mailer } from "./auth/mailer.js";
import { type AuthService, createAuthService } from "./auth/service.js";
import { createTokenSigner } from "./auth/tokens.js";
import type { Clock } from "./clock.js";
import type { Config } from "./config/config.js";
import { type CredentialCipher, createCredentialCipher } from "./crypto/credentials.js";
import { createRateLimiter, type RateLimiter } from "./http/rate-limit.js";
import { createMetrics, type Metrics } from "./metrics.js";
import { createPlanner } from "./planning/index.js";
import { registerDemoServer } from "./servers/demo.js";
import { createOAuthStateCodec } from "./servers/oauth.js";
import { createServerService, type ServerService } from "./servers/service.js";
import { createStatusChecker, type StatusChecker } from "./servers/status.js";
import { createSessionEngine, type SessionEngine } from "./sessions/engine.js";
import { createEventLog, type EventLog } from "./sessions/events.js";
import { createSessionStore, type SessionStore } from "./sessions/store.js";
import { createToolAccess } from "./sessions/tools.js";
import { createUserService, type UserService } from "./users/service.js";

/** Everything a request may use; built once per process. Services know nothing about HTTP. */
export interface AppServices {
  config: Config;
  dbHandle: DbHandle;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  mailer: Mailer;
  auth: AuthService;
  users: UserService;
  rateLimiter: RateLimiter;
  cipher: CredentialCipher;
  guard: SsrfGuard;
  pool: ConnectionPool;
  servers: ServerService;
  statusChecker: StatusChecker;
  events: EventLog;
  sessions: SessionStore;
  artifacts: ArtifactService;
  engine: SessionEngine;
  /** Hooks run when a user signs in for the first time (e.g. pre-registering the demo server). */
  onUserCreated: ((userId: string) => Promise<void>)[];
}

export function createServices(opts: {
  config: Config;
  dbHandle: DbHandle;
  clock: Clock;
  log: Logger;
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
    onMailFailure: (error, to) => {
      metrics.inc("mail_send_failures_total");
      log.error(
        {
          err: { message: error instanceof Error ? error.message : String(error) },
          toDomain: to.split("@")[1],
        },
        "sign-in email could not be sent",
      );
    },
    onUserCreated: async (userId) => {
      for (const hook of onUserCreated) {
        try {
          await hook(userId);
        } catch (error) {
          log.error({ err: error }, "new-user hook failed");
        }
      }
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
    config,
    cipher,
    guard,
    pool,
    oauthStates: createOAuthStateCodec(config.keys.hmacSecret, clock),
  });
  const statusChecker = createStatusChecker({
    db,
    clock,
    servers,
    intervalSec: config.statusIntervalSec,
    log,
  });
  const events = createEventLog({ dbHandle, log });
  const sessions = createSessionStore({ db, clock });
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
  const { planner, sampler } = createPlanner(config.llm, log, { now: () => clock.now() });
  const engine = createSessionEngine({
    db,
    dbHandle,
    clock,
    log,
    events,
    sessions,
    tools: createToolAccess(servers),
    artifacts,
    planner,
    sampler,
    config: config.sessions,
  });
  if (config.demoMcpUrl) {
    const demoUrl = config.demoMcpUrl;
    onUserCreated.push((userId) => registerDemoServer(db, clock, userId, demoUrl));
  }
  return {
    config,
    dbHandle,
    clock,
    log,
    metrics,
    mailer,
    auth,
    users: createUserService({ db, clock }),
    rateLimiter: createRateLimiter(db),
    cipher,
    guard,
    pool,
    servers,
    statusChecker,
    events,
    sessions,
    artifacts,
    engine,
    onUserCreated,
  };
}
