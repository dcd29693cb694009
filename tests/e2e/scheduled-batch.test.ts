import { ledgerTransactions, payoutEvents, payouts } from '@payouts/db';
import { verifyLedger } from '@payouts/ledger';
import { must, PATIENCE_MS, waitFor } from '@payouts/testing';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { createFundedTenant, startTestSystem, type TestSystem } from '../support/system.ts';

// A salary run of 10,000 payouts through the sandbox. On an idle two-core machine it takes a minute
// or two; on one shared with other test runs it has taken over twenty. A ceiling, not an estimate.
vi.setConfig({ testTimeout: 25 * PATIENCE_MS });

/**
 * Salary day: a run of 10,000 payouts uploaded ahead of its time waits with nothing held, is
 * released when its time comes (set-based, through the batch path: slices of 500 per reconciler
 * transaction), and is paid in full through the sandbox, the ledger balanced to the unit.
 */
let system: TestSystem;
let tenant: Awaited<ReturnType<typeof createFundedTenant>>;
const ROWS = 10_000;
const FUNDS = 1_000_000_000;

beforeAll(async () => {
  // RazorpayX allows 10 calls a second, and the worker keeps to it: 10,000 payouts would take a
  // quarter of an hour on the provider's budget alone. The release is what is tested here, so the
  // sandbox is called as fast as the machine goes (as the benchmarks do).
  system = await startTestSystem({ env: { RAZORPAYX_RATE_PER_SECOND: '100000' } });
  tenant = await createFundedTenant(system, 'salary-day', FUNDS);
});
afterAll(async () => {
  await system?.stop();
});

const row = (i: number) => ({
  amount: 10_000 + (i % 100),
  currency: 'INR',
  method: 'IMPS',
  purpose: 'salary',
  reference_id: `salary-${i}`,
  beneficiary: {
    name: `Employee ${i}`,
    // Ends in 55: never one of the sandbox's test endings (0001 fails, 0002 is reversed, 0003 stays in progress).
    account_number: `60${String(i).padStart(6, '0')}55`,
    bank_code: 'HDFC0001234',
  },
});

describe('a scheduled salary run of 10,000', () => {
  test('waits with nothing held, is released when due, and is paid in full with the ledger balanced', async () => {
    const res = await tenant.api(
      'POST',
      '/v1/payout-batches',
      {
        items: Array.from({ length: ROWS }, (_, i) => row(i)),
        scheduled_for: new Date(Date.now() + 3600_000).toISOString(),
      },
      { 'idempotency-key': 'salary-day-run' },
    );
    expect(res.status, JSON.stringify(res.body).slice(0, 500)).toBe(202);
    expect(res.body).toMatchObject({
      status: 'scheduled',
      rows: { accepted: ROWS },
      preflight: { shortfalls_at_upload: [] },
    });
    const runId = res.body.id as string;
    const view = await tenant.api('GET', `/v1/payout-batches/${runId}`);
    expect(view.body).toMatchObject({ status: 'scheduled', counts: { scheduled: ROWS } });
    const balances = await tenant.api('GET', '/v1/balances');
    expect(balances.body.data).toEqual([expect.objectContaining({ currency: 'INR', available: FUNDS, held: 0 })]);

    // Its time is brought to a few seconds from now (the upload itself may take longer than that).
    const [moved] = await system.db.db
      .update(payouts)
      .set({ scheduledFor: sql`date_trunc('milliseconds', now() + interval '3 seconds')` })
      .where(eq(payouts.batchId, runId))
      .returning({ at: payouts.scheduledFor });
    const dueAt = must(must(moved, 'a moved payout').at, 'its time');

    const done = await waitFor(
      async () => {
        const v = await tenant.api('GET', `/v1/payout-batches/${runId}`);
        return v.body.status === 'completed' ? v.body : undefined;
      },
      { message: 'the run to be paid', timeoutMs: 22 * PATIENCE_MS, intervalMs: 1000 },
    );
    expect(done.counts).toEqual({ processed: ROWS });
    expect(done.preflight.due).toMatchObject({ shortfalls: [] });

    // Released once each, never before its time.
    const [release] = await system.db.db
      .select({
        count: sql<number>`count(*)::int`,
        first: sql<string>`min(${payoutEvents.createdAt})`,
        last: sql<string>`max(${payoutEvents.createdAt})`,
      })
      .from(payoutEvents)
      .innerJoin(payouts, eq(payouts.id, payoutEvents.payoutId))
      .where(and(eq(payouts.batchId, runId), eq(payoutEvents.fromStatus, 'scheduled'), eq(payoutEvents.applied, true)));
    expect(release?.count).toBe(ROWS);
    // The history is stamped with the reconciler's clock, the release decided by the database's: a second apart at most.
    expect(new Date(must(release, 'the release').first).getTime()).toBeGreaterThanOrEqual(dueAt.getTime() - 1000);
    console.info(
      `10,000 scheduled payouts: released from ${new Date(must(release, 'the release').first).getTime() - dueAt.getTime()} ms to ${
        new Date(must(release, 'the release').last).getTime() - dueAt.getTime()
      } ms after their time`,
    );

    expect((await verifyLedger(system.db.db)).problems).toEqual([]);
    const [spent] = await system.db.db
      .select({
        total: sql<string>`sum(${payouts.amount} + coalesce(${payouts.fees}, 0) + coalesce(${payouts.tax}, 0))::text`,
      })
      .from(payouts)
      .where(eq(payouts.batchId, runId));
    const after = await tenant.api('GET', '/v1/balances');
    expect(after.body.data).toEqual([
      expect.objectContaining({ currency: 'INR', available: FUNDS - Number(must(spent, 'the sum').total), held: 0 }),
    ]);
    const holds = await system.db.db
      .select({ count: sql<number>`count(*)::int` })
      .from(ledgerTransactions)
      .innerJoin(payouts, eq(payouts.id, ledgerTransactions.payoutId))
      .where(and(eq(payouts.batchId, runId), eq(ledgerTransactions.kind, 'hold')));
    expect(holds[0]?.count).toBe(ROWS);
  });
});
