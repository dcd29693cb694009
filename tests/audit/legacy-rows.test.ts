import { newId } from '@payouts/core';
import {
  appendOperatorActions,
  chainedPayoutEvent,
  insertRows,
  operatorActions,
  payoutEvents,
  payouts,
  rowsOf,
  tenants,
  verifyAuditChains,
} from '@payouts/db';
import { insertAcceptedPayouts } from '@payouts/payouts';
import { createTestDatabase, must, type TestDatabase } from '@payouts/testing';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';

/**
 * Rows written before the chains existed (migration 0007 does not backfill) have no hash: the
 * verifier counts them apart and starts each chain at its first hashed row. Checked with pages of
 * two rows, so chains straddle pages.
 */
let db: TestDatabase;
let tenantId: string;
beforeAll(async () => {
  db = await createTestDatabase();
  tenantId = newId('tenant');
  await db.db.insert(tenants).values({ id: tenantId, name: 'legacy' });
});
afterAll(async () => {
  await db?.drop();
});

function payoutRow() {
  const id = newId('payout');
  return {
    id,
    tenantId,
    status: 'accepted' as const,
    amount: 1000n,
    currency: 'INR' as const,
    provider: 'razorpayx' as const,
    method: 'IMPS',
    beneficiary: { name: 'Asha Rao' },
    providerIdempotencyKey: id,
  };
}

/** A payout as the engine wrote it before 0007: no head, and history rows without hashes. */
async function legacyPayout(events: number): Promise<string> {
  const row = payoutRow();
  await db.db.insert(payouts).values(row);
  for (let i = 0; i < events; i++) {
    await db.db.execute(
      sql`insert into payout_events (payout_id, from_status, to_status, applied, source, detail)
          values (${row.id}, null, 'accepted', true, 'api', '{}'::jsonb)`,
    );
  }
  return row.id;
}

/** The next history row as the reconciler writes it: chained after the payout's head. */
async function chainNext(payoutId: string): Promise<void> {
  const [p] = await db.db.select({ head: payouts.historyHash }).from(payouts).where(eq(payouts.id, payoutId));
  const event = chainedPayoutEvent(
    {
      payoutId,
      fromStatus: 'accepted',
      toStatus: 'reserved',
      applied: true,
      source: 'reconciler',
      detail: { n: 1.5, when: new Date(0), big: 10n ** 20n },
      createdAt: new Date(),
    },
    must(p, 'p').head,
  );
  await insertRows(db.db, payoutEvents, [event]);
  await db.db.update(payouts).set({ historyHash: event.hash }).where(eq(payouts.id, payoutId));
}

test('legacy rows are counted apart, chains start after them, and an unhashed row inside a chain is a break', async () => {
  await legacyPayout(3); // all legacy: no chain yet
  const mixed = await legacyPayout(2);
  await chainNext(mixed);
  await chainNext(mixed);
  await chainNext(mixed);
  const fresh = payoutRow();
  await insertAcceptedPayouts(db.db, [fresh], { keyId: 'key_legacy' });
  await chainNext(fresh.id);
  // Written by the engine before 0007, a while before the first chained row.
  await db.db.insert(operatorActions).values({
    id: newId('operatorAction'),
    actor: 'key_old',
    action: 'tenant.create',
    target: null,
    createdAt: new Date(Date.now() - 60_000),
  });
  await db.db.transaction((tx) =>
    appendOperatorActions(tx, [
      {
        id: newId('operatorAction'),
        actor: 'key_new',
        action: 'tenant.create',
        target: tenantId,
        params: { name: 'ü' },
        result: {},
        createdAt: new Date(),
      },
    ]),
  );

  const report = await verifyAuditChains(db.db, { pageSize: 2 });
  expect(report).toEqual({
    ok: true,
    payoutEvents: { rows: 5, chains: 2, legacyRows: 5, brokenChains: 0, broken: [] },
    operatorActions: { rows: 1, chains: 1, legacyRows: 1, brokenChains: 0, broken: [] },
  });

  // A row slipped into a started chain without a hash (not through the engine).
  const [slipped] = rowsOf<{ id: string }>(
    await db.db.execute(
      sql`insert into payout_events (payout_id, from_status, to_status, applied, source, detail)
          values (${mixed}, 'reserved', 'processing', true, 'poll', '{}'::jsonb) returning id`,
    ),
  );
  const broken = await verifyAuditChains(db.db, { pageSize: 2 });
  expect(broken.ok).toBe(false);
  expect(broken.payoutEvents.broken).toEqual([
    {
      chain: mixed,
      row: String(must(slipped, 'slipped').id),
      reason: 'hash_missing',
      expected: expect.any(String),
      found: null,
    },
  ]);

  // An operator action written around the chain after it started is not a legacy row.
  const sneaked = newId('operatorAction');
  await db.db.insert(operatorActions).values({ id: sneaked, actor: 'key_x', action: 'tenant.create', target: null });
  const unchained = await verifyAuditChains(db.db, { pageSize: 2 });
  expect(unchained.operatorActions).toMatchObject({
    legacyRows: 1,
    brokenChains: 1,
    broken: [{ chain: 'operator_actions', row: sneaked, reason: 'hash_missing', expected: null, found: null }],
  });
});
