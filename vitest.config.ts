import { defineConfig } from 'vitest/config';

// One runner for the whole workspace: every test talks to the same local Postgres and Redis,
// each file isolated in its own database (cloned from a migrated template) and queue prefix.
export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'tests/**/*.test.ts'],
    globalSetup: ['packages/testing/src/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: more forks only contend for the same Postgres and Redis.
    maxWorkers: 2,
    reporters: ['default', './packages/testing/src/summary-reporter.ts'],
  },
});
