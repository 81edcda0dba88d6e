import { authRouter } from "./auth/router.js";
import { devRouter, healthRouter } from "./health/router.js";
import { oauthRouter, serversRouter } from "./servers/router.js";
import { router } from "./trpc.js";
import { userRouter } from "./users/router.js";

export const appRouter = router({
  health: healthRouter,
  auth: authRouter,
  user: userRouter,
  servers: serversRouter,
  oauth: oauthRouter,
  dev: devRouter,
});

export type AppRouter = typeof appRouter;
