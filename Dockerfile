# syntax=docker/dockerfile:1
# mcpdeck's API (which also serves the web client) as a small production image. See compose.yaml for
# PostgreSQL, two API processes and a reverse proxy, and README.md (Production) for the environment.
#
#   docker build -t mcpdeck .
#
# apps/api/src/config/container-recipe.postgres.test.ts performs this file's build and start steps on a
# machine without containers (a clean directory for /src and /app, the machine's PostgreSQL): keep each
# step one RUN line of plain shell, and the paths /src and /app as they are.

# Build: the workspace with its dev dependencies, then a deployable copy of the API holding only its
# production dependencies (the bundles inline the workspace packages; see scripts/bundle-node-app.mjs).
FROM node:20-bookworm-slim AS build
RUN npm install --global pnpm@10.34.9
WORKDIR /src
COPY . .
RUN pnpm install --frozen-lockfile
RUN pnpm --filter @mcpdeck/api --filter @mcpdeck/web build
RUN pnpm --config.inject-workspace-packages=true --filter @mcpdeck/api deploy --prod /app
RUN cp -R apps/web/dist /app/web

# Run: Node and the deployable copy, as the unprivileged `node` user (the files stay root's, read-only
# to it). The same Debian base as the build, so nothing compiled on one misses a library on the other.
FROM node:20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 MCPDECK_WEB_DIST=/app/web NODE_OPTIONS=--enable-source-maps
COPY --from=build /app /app
WORKDIR /app
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM (docker stop) drains: allow MCPDECK_SHUTDOWN_GRACE_S plus a few seconds (compose: stop_grace_period).
CMD ["node", "dist/bin/main.js"]
