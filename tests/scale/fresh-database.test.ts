import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATIONS_FOLDER, migrateDatabase, openDatabase, rowsOf } from '@payouts/db';
import { createEmptyTestDatabase, type TestDatabase, testQueuePrefix, testRedisUrl } from '@payouts/testing';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, test } from 'vitest';
import { deleteQueueKeys, type ProcessSystem, payOnePayout, startProcessSystem } from './process-system.ts';

/**
 * A first deployment: the API, the reconciler and a worker start at the same moment on an empty
 * database (compose, Kubernetes), and the API and the reconciler both migrate at start. Drizzle's
 * migrator takes no lock, so without one both create the same tables and one dies on
 * `duplicate key value violates unique constraint "pg_type_typname_nsp_index"`.
 */
const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta/_journal.json'), 'utf8')) as {
  entries: { tag: string }[];
};

/** Each committed migration recorded exactly once, and the tables of the last one there. */
async function migratedOnce(db: TestDatabase): Promise<void> {
  const rows = rowsOf<{ hash: string; n: number }>(
    await db.db.execute(sql`select hash, count(*)::int as n from drizzle.__drizzle_migrations group by hash`),
  );
  expect(rows.map((r) => r.n)).toEqual(journal.entries.map(() => 1));
  const tables = rowsOf<{ name: string | null }>(await db.db.execute(sql`select to_regclass('payouts') as name`));
  expect(tables[0]?.name).toBe('payouts');
}

describe('migrating an empty database from several processes at once', () => {
  const databases: TestDatabase[] = [];
  afterAll(async () => {
    for (const db of databases) await db.drop();
  });

  // The apps' own race (below) depends on how their start-ups interleave; this one does not:
  // three migrators on connections of their own, released together. Without the lock every round
  // failed (two of three migrators on a duplicate catalog key), so a few rounds are plenty.
  test('three migrators started together: none fails, each migration is applied once', async () => {
    for (let round = 0; round < 4; round++) {
      const db = await createEmptyTestDatabase();
      databases.push(db);
      const handles = await Promise.all([1, 2, 3].map(() => openDatabase(db.url, { max: 2 })));
      try {
        const results = await Promise.allSettled(handles.map((h) => migrateDatabase(h)));
        expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      } finally {
        await Promise.all(handles.map((h) => h.close()));
      }
      await migratedOnce(db);
    }
  });
});

describe('the three apps started at once on an empty database', () => {
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

  // Two reconcilers (replicas, as a deployment may run them): identical processes reach their
  // migration at nearly the same moment, where the API and a reconciler, whose start-ups differ,
  // often do not. Without the lock this failed in 4 of 7 runs (with one reconciler, in 0 of 3).
  test('the API, two reconcilers and a worker all come up, the schema is migrated once, and a payout goes through', async () => {
    db = await createEmptyTestDatabase();
    logDir = mkdtempSync(join(tmpdir(), 'payouts-fresh-'));
    // Starts the sandbox, then the API, the reconcilers and the worker in the same tick, and waits
    // for the API's /readyz and the others' start lines; an app that exits fails it at once.
    system = await startProcessSystem({
      databaseUrl: db.url,
      redisUrl: testRedisUrl(),
      prefix,
      workers: 1,
      reconcilers: 2,
      logDir,
    });
    expect(system.unexpectedExits).toEqual([]);
    await migratedOnce(db);

    // The schema works end to end: a tenant, a funding, a payout paid.
    await payOnePayout(system, 'fresh-database');
    expect(system.unexpectedExits).toEqual([]);
  }, 240_000);
});
