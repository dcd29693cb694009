import { defineConfig } from 'vitest/config';

// One runner for the whole workspace: every test talks to the same local Postgres and Redis,
// each file isolated in its own database (cloned from a migrated template) and queue prefix.
// The tests that run the apps as separate processes (chaos: six, SIGKILLed; multi-process: seven;
// fresh-database: five; compiled apps: four; promtool: four; provider budget: five) run after everything else and one at a time: they saturate
// both cores on purpose, which would starve the timing of whatever ran beside them (the provider
// budget's test counts the calls the sandbox receives in each clock second).
const PROCESS_TESTS = [
  'tests/scale/multi-process.test.ts',
  'tests/scale/provider-budget.test.ts',
  'tests/scale/fresh-database.test.ts',
  'tests/scale/compiled-apps.test.ts',
  'tests/observability/promtool.test.ts',
];

export default defineConfig({
  test: {
    globalSetup: ['packages/testing/src/global-setup.ts'],
    // Ceilings for a hung test, not budgets: tests wait for conditions (PATIENCE_MS in
    // @payouts/testing, 120 s), and a machine busy with other work can be many times slower than
    // an idle one. Only a real failure should ever reach these.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // Two cores: more forks only contend for the same Postgres and Redis.
    maxWorkers: 2,
    reporters: ['default', './packages/testing/src/summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'main',
          include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'tests/**/*.test.ts'],
          exclude: ['tests/chaos/**', ...PROCESS_TESTS, '**/node_modules/**'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'processes',
          include: ['tests/chaos/**/*.test.ts', ...PROCESS_TESTS],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
