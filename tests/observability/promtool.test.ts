import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, must, type TestDatabase, testQueuePrefix, testRedisUrl } from '@payouts/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { deleteQueueKeys, type ProcessSystem, payOnePayout, startProcessSystem } from '../scale/process-system.ts';
import { promtool } from './promtool.ts';

/**
 * `promtool check metrics`, Prometheus's own linter of the exposition format and its naming rules
 * (a counter ends in `_total` and nothing else does, units spelled out, help on every metric), over
 * what each app process serves at `GET /metrics` after a payout went through the whole system, so
 * that every family has samples.
 */
let db: TestDatabase;
let system: ProcessSystem;
let logDir: string;
const prefix = testQueuePrefix();

beforeAll(async () => {
  db = await createTestDatabase();
  logDir = mkdtempSync(join(tmpdir(), 'payouts-promtool-'));
  system = await startProcessSystem({
    databaseUrl: db.url,
    redisUrl: testRedisUrl(),
    prefix,
    workers: 1,
    reconcilers: 1,
    logDir,
  });
  await payOnePayout(system, 'promtool');
}, 240_000);

afterAll(async () => {
  await system?.stop();
  await deleteQueueKeys(testRedisUrl(), prefix);
  await db?.drop();
  if (logDir) rmSync(logDir, { recursive: true, force: true });
});

describe('promtool check metrics', () => {
  test('flags what breaks the naming rules (the check below is not a no-op)', () => {
    const misnamed = promtool(['check', 'metrics'], '# HELP x_total Not a counter.\n# TYPE x_total gauge\nx_total 1\n');
    expect(misnamed.status).not.toBe(0);
    expect(misnamed.output).toMatch(/x_total non-counter metrics should not have "_total" suffix/);
    expect(promtool(['check', 'metrics'], '# HELP x_total A counter.\n# TYPE x_total counter\nx_total 1\n')).toEqual({
      status: 0,
      output: '',
    });
  });

  test.each(['api', 'worker-1', 'reconciler-1'])('%s: its GET /metrics passes with no warning', async (name) => {
    const url = name === 'api' ? `${system.apiUrl}/metrics` : system.metricsUrls[name];
    expect(url, name).toBeDefined();
    const res = await fetch(must(url, `the metrics URL of ${name}`));
    expect(res.status).toBe(200);
    const exposition = await res.text();
    // The app's own series and the default Node ones are all there to be checked.
    expect(exposition).toMatch(/^payouts_\w+\{[^}]*app="/m);
    expect(exposition).toMatch(/^process_resident_memory_bytes\{/m);
    expect(promtool(['check', 'metrics'], exposition)).toEqual({ status: 0, output: '' });
  });
});
