import { PAYOUT_STATUSES, QUEUED_REASONS } from '@payouts/core';
import { payoutEvents, payouts, tenants, updateRows } from '@payouts/db';
import { createTestDatabase, type TestDatabase } from '@payouts/testing';
import { asc, eq, type SQL } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { insertAcceptedPayouts } from './accepted.ts';
import {
  dueForRelease,
  dueForReleaseSql,
  finalSql,
  isFinal,
  type PayoutState,
  submittable,
  submittableSql,
  unfinishedSql,
  waitsForDowntime,
  waitsForDowntimeSql,
  waitsForFloat,
  waitsForFloatSql,
  waitsForWallet,
  waitsForWalletSql,
} from './predicates.ts';
import type { NewPayout } from './rows.ts';

/** One payout in every state, and in `queued` for each of its reasons. */
const STATES: PayoutState[] = PAYOUT_STATUSES.flatMap((status): PayoutState[] =>
  status === 'queued'
    ? QUEUED_REASONS.map((queuedReason) => ({ status, queuedReason }))
    : [{ status, queuedReason: null }],
);
const idOf = (p: PayoutState) => `po_${p.status}_${p.queuedReason ?? 'none'}`;

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
  const { db } = database;
  await db.insert(tenants).values({ id: 'ten_predicates', name: 'predicates' });
  const rows: NewPayout[] = STATES.map((p) => ({
    id: idOf(p),
    tenantId: 'ten_predicates',
    status: 'accepted',
    amount: 100n,
    currency: 'INR',
    provider: 'razorpayx',
    method: 'IMPS',
    beneficiary: { name: 'A' },
    providerIdempotencyKey: idOf(p),
  }));
  await insertAcceptedPayouts(db, rows, { keyId: 'key_test' });
  await updateRows(
    db,
    payouts,
    'id',
    STATES.map((p) => ({ id: idOf(p), status: p.status, queuedReason: p.queuedReason })),
  );
});
afterAll(() => database?.drop());

async function idsWhere(where: SQL): Promise<string[]> {
  const rows = await database.db.select({ id: payouts.id }).from(payouts).where(where).orderBy(asc(payouts.id));
  return rows.map((r) => r.id);
}

describe('the SQL predicates select what their TypeScript twins say', () => {
  test.each([
    ['waitsForWallet', waitsForWalletSql, waitsForWallet],
    ['waitsForFloat', waitsForFloatSql, waitsForFloat],
    ['waitsForDowntime', waitsForDowntimeSql, waitsForDowntime],
    ['submittable', submittableSql, submittable],
    ['final', finalSql, isFinal],
    ['unfinished', unfinishedSql, (p: PayoutState) => !isFinal(p)],
  ] as const)('%s', async (_name, where, predicate) => {
    expect(await idsWhere(where)).toEqual(STATES.filter(predicate).map(idOf).sort());
  });
});

describe('insertAcceptedPayouts', () => {
  test('writes each payout with its one accepted event, carrying the detail given', async () => {
    const events = await database.db
      .select()
      .from(payoutEvents)
      .where(eq(payoutEvents.payoutId, idOf({ status: 'processed', queuedReason: null })));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      fromStatus: null,
      toStatus: 'accepted',
      applied: true,
      source: 'api',
      detail: { keyId: 'key_test' },
    });
    const all = await database.db.select({ id: payoutEvents.payoutId }).from(payoutEvents);
    expect(all.map((e) => e.id).sort()).toEqual(STATES.map(idOf).sort());
  });
});

describe('dueForRelease and its SQL twin, on the database clock', () => {
  test('select the scheduled payouts whose time has come, and nothing else', async () => {
    const { db } = database;
    const hour = 3600_000;
    const cases = [
      { id: 'po_due_past', status: 'scheduled', scheduledFor: new Date(Date.now() - hour) },
      { id: 'po_due_future', status: 'scheduled', scheduledFor: new Date(Date.now() + hour) },
      { id: 'po_due_released', status: 'accepted', scheduledFor: new Date(Date.now() - hour) },
      { id: 'po_due_cancelled', status: 'cancelled', scheduledFor: new Date(Date.now() - hour) },
    ] as const;
    await insertAcceptedPayouts(
      db,
      cases.map((c) => ({
        id: c.id,
        tenantId: 'ten_predicates',
        status: 'scheduled',
        scheduledFor: c.scheduledFor,
        amount: 100n,
        currency: 'INR',
        provider: 'razorpayx',
        method: 'IMPS',
        beneficiary: { name: 'A' },
        providerIdempotencyKey: c.id,
      })),
      { keyId: 'key_test' },
    );
    await updateRows(
      db,
      payouts,
      'id',
      cases.map((c) => ({ id: c.id, status: c.status })),
    );
    const due = await idsWhere(dueForReleaseSql);
    expect(due).toEqual(['po_due_past']);
    const now = new Date();
    expect(cases.filter((c) => dueForRelease(c, now)).map((c) => c.id)).toEqual(due);
    // Their first history entry is `scheduled`, as the row was created.
    const [first] = await db.select().from(payoutEvents).where(eq(payoutEvents.payoutId, 'po_due_future'));
    expect(first).toMatchObject({ fromStatus: null, toStatus: 'scheduled', applied: true });
  });
});
