import { defineConfig } from 'vitest/config';

// One runner for the whole workspace: every test talks to the same local Postgres and Redis,
// each file isolated in its own database (cloned from a migrated template) and queue prefix.
// The chaos test runs alone, after everything else: it spawns six processes and saturates both
// cores on purpose, which would starve the timing of whatever ran beside it.
export default defineConfig({
  test: {
    globalSetup: ['packages/testing/src/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: more forks only contend for the same Postgres and Redis.
    maxWorkers: 2,
    reporters: ['default', './packages/testing/src/summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'main',
          include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'tests/**/*.test.ts'],
          exclude: ['tests/chaos/**', '**/node_modules/**'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: { name: 'chaos', include: ['tests/chaos/**/*.test.ts'], sequence: { groupOrder: 1 } },
      },
    ],
  },
});
