import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rowsOf } from '@payouts/db';
import { createEmptyTestDatabase, http, type TestDatabase, testQueuePrefix, testRedisUrl } from '@payouts/testing';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, test } from 'vitest';
import { buildAll } from '../../scripts/build.ts';
import { deleteQueueKeys, type ProcessSystem, payOnePayout, startProcessSystem } from './process-system.ts';

/**
 * Production runs the compiled apps (`node apps/<app>/dist/main.js`, infra/Dockerfile): `pnpm build`
 * must produce bundles that start on their own — the migrations found from the bundle, third-party
 * packages resolved from node_modules — and that together pay a payout, as the tsx sources do.
 */
describe('the compiled apps (pnpm build, then node dist/main.js)', () => {
  let db: TestDatabase;
  let system: ProcessSystem | undefined;
  let logDir: string;
  const prefix = testQueuePrefix();

  afterAll(async () => {
    await system?.stop();
    await deleteQueueKeys(testRedisUrl(), prefix);
    await db?.drop();
    if (logDir) rmSync(logDir, { recursive: true, force: true });
  });

  test('build, start all four on an empty database, the API answers /readyz and a payout is paid', async () => {
    await buildAll();
    db = await createEmptyTestDatabase();
    logDir = mkdtempSync(join(tmpdir(), 'payouts-dist-'));
    system = await startProcessSystem({
      databaseUrl: db.url,
      redisUrl: testRedisUrl(),
      prefix,
      workers: 1,
      reconcilers: 1,
      logDir,
      runtime: 'dist',
    });
    expect(system.unexpectedExits).toEqual([]);
    // The API and the reconciler migrated the empty database from their bundles.
    const tables = rowsOf<{ name: string | null }>(await db.db.execute(sql`select to_regclass('payouts') as name`));
    expect(tables[0]?.name).toBe('payouts');
    expect((await http(`${system.apiUrl}/readyz`)).status).toBe(200);

    await payOnePayout(system, 'compiled-apps');
    // Each compiled process serves its metrics, with how late its event loop runs.
    for (const url of Object.values(system.metricsUrls)) {
      const metrics = await fetch(url).then((r) => r.text());
      expect(metrics, url).toMatch(/^payouts_event_loop_delay_seconds_count\{[^}]*\} [1-9]/m);
    }
    expect(system.unexpectedExits).toEqual([]);
  }, 240_000);
});
