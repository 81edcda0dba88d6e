import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    // `*.postgres.test.ts` need PostgreSQL itself (several API processes on one database, a production
    // start): they run in `pnpm test:postgres`, with TEST_DATABASE_URL, and are not collected without it.
    exclude: [...configDefaults.exclude, ...(process.env.TEST_DATABASE_URL ? [] : ["**/*.postgres.test.ts"])],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: keep parallelism modest so timing-sensitive peers (timeouts) stay honest.
    maxWorkers: 2,
  },
});
