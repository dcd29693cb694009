import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATIONS_FOLDER, migrateDatabase, rowsOf } from '@payouts/db';
import { createEmptyTestDatabase, type TestDatabase } from '@payouts/testing';
import { sql } from 'drizzle-orm';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import { afterAll, expect, test } from 'vitest';

/**
 * The duplicate guard's unique index arrives on databases that may already hold payouts sharing a
 * reference (made before the guard existed). Its migration must not fail on them: the oldest live
 * payout of each reference is guarded, the younger twins are left unguarded, and from then on a
 * new payout with that reference is refused.
 */
const GUARD_MIGRATION = '0009_find_payouts';
let db: TestDatabase | undefined;
let folder: string | undefined;
afterAll(async () => {
  await db?.drop();
  if (folder) rmSync(folder, { recursive: true, force: true });
});

test('the guard migration applies over existing duplicates, guarding the oldest live payout of each', async () => {
  db = await createEmptyTestDatabase();
  // The migrations before the guard's, from a copy of the folder whose journal stops there.
  folder = mkdtempSync(join(tmpdir(), 'payouts-migrations-'));
  cpSync(MIGRATIONS_FOLDER, folder, { recursive: true });
  const journalPath = join(folder, 'meta/_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: { tag: string }[] };
  const at = journal.entries.findIndex((e) => e.tag === GUARD_MIGRATION);
  expect(at).toBeGreaterThan(0);
  writeFileSync(journalPath, JSON.stringify({ ...journal, entries: journal.entries.slice(0, at) }));
  // biome-ignore lint/suspicious/noExplicitAny: the migrator wants its own driver's type
  await migrate(db.db as any, { migrationsFolder: folder });

  const payout = (id: string, tenant: string, reference: string | null, status: string) => sql`
    insert into payouts (id, tenant_id, status, amount, currency, provider, method, reference_id, beneficiary, provider_idempotency_key)
    values (${id}, ${tenant}, ${status}, 100, 'INR', 'razorpayx', 'IMPS', ${reference}, '{}'::jsonb, ${id})`;
  await db.db.execute(sql`insert into tenants (id, name) values ('ten_a', 'a'), ('ten_b', 'b')`);
  for (const statement of [
    payout('po_1', 'ten_a', 'dup', 'failed'),
    payout('po_2', 'ten_a', 'dup', 'processed'),
    payout('po_3', 'ten_a', 'dup', 'processing'),
    payout('po_4', 'ten_a', 'dup', 'accepted'),
    payout('po_5', 'ten_b', 'dup', 'processed'),
    payout('po_6', 'ten_a', 'solo', 'reversed'),
    payout('po_7', 'ten_a', null, 'processed'),
  ]) {
    await db.db.execute(statement);
  }

  await migrateDatabase(db);

  const guarded = rowsOf<{ id: string; reference_guarded: boolean }>(
    await db.db.execute(sql`select id, reference_guarded from payouts order by id`),
  );
  expect(Object.fromEntries(guarded.map((r) => [r.id, r.reference_guarded]))).toEqual({
    po_1: false,
    po_2: true,
    po_3: false,
    po_4: false,
    po_5: true,
    po_6: true,
    po_7: false,
  });
  // And the index holds from now on: a new live, guarded payout with the reference is refused.
  await expect(
    db.db.execute(sql`
      insert into payouts (id, tenant_id, status, amount, currency, provider, method, reference_id, beneficiary, provider_idempotency_key, reference_guarded)
      values ('po_8', 'ten_a', 'accepted', 100, 'INR', 'razorpayx', 'IMPS', 'dup', '{}'::jsonb, 'po_8', true)`),
  ).rejects.toMatchObject({ cause: { code: '23505' } });
});
