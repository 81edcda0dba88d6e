import { artifactsRouter } from "./artifacts/router.js";
import { authRouter } from "./auth/router.js";
import { devRouter, healthRouter } from "./health/router.js";
import { oauthRouter, serversRouter } from "./servers/router.js";
import { sessionsRouter } from "./sessions/router.js";
import { router } from "./trpc.js";
import { userRouter } from "./users/router.js";

export const appRouter = router({
  health: healthRouter,
  auth: authRouter,
  user: userRouter,
  servers: serversRouter,
  oauth: oauthRouter,
  sessions: sessionsRouter,
  artifacts: artifactsRouter,
  dev: devRouter,
});

export type AppRouter = typeof appRouter;
