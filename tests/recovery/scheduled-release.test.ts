import { ledgerTransactions, payoutEvents, payouts } from '@payouts/db';
import { verifyLedger } from '@payouts/ledger';
import { waitFor } from '@payouts/testing';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ScheduledRelease } from '../../apps/reconciler/src/scheduled-release.ts';
import { createFundedTenant, inrPayout, startTestSystem, type TestSystem } from '../support/system.ts';

/**
 * The schedule lives in Postgres: a due payout whose release job Redis lost (a flush), with or
 * without the reconciler restarting, is found again by the reconciler's scan and released, once.
 */
let system: TestSystem;
let tenant: Awaited<ReturnType<typeof createFundedTenant>>;

beforeAll(async () => {
  // A payout handed over is trusted to its job for SWEEP_AFTER_MS before it is handed over again.
  system = await startTestSystem({ env: { SWEEP_AFTER_MS: '2000' } });
  tenant = await createFundedTenant(system, 'scheduled-recovery', 100_000_000);
});
afterAll(async () => {
  await system?.stop();
});

let made = 0;
async function scheduleMany(count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const res = await tenant.api(
      'POST',
      '/v1/payouts',
      inrPayout({ amount: 1000 + i, scheduled_for: new Date(Date.now() + 24 * 3600_000).toISOString() }),
      { 'idempotency-key': `sched-recovery-${++made}` },
    );
    expect(res.status).toBe(202);
    ids.push(res.body.id);
  }
  return ids;
}

async function makeDue(ids: string[]) {
  await system.db.db
    .update(payouts)
    .set({ scheduledFor: sql`now() - interval '1 second'` })
    .where(inArray(payouts.id, ids));
}

async function allProcessed(ids: string[]) {
  await waitFor(
    async () => {
      const rows = await system.db.db.select({ status: payouts.status }).from(payouts).where(inArray(payouts.id, ids));
      return rows.every((r) => r.status === 'processed') || undefined;
    },
    { message: `${ids.length} payouts to be paid` },
  );
}

/** Each payout released once, held once, posted once; the ledger balanced. */
async function releasedOnce(ids: string[]) {
  const released = await system.db.db
    .select({ id: payoutEvents.payoutId })
    .from(payoutEvents)
    .where(
      and(
        inArray(payoutEvents.payoutId, ids),
        eq(payoutEvents.fromStatus, 'scheduled'),
        eq(payoutEvents.toStatus, 'accepted'),
        eq(payoutEvents.applied, true),
      ),
    );
  expect(released.map((r) => r.id).sort()).toEqual([...ids].sort());
  const ledger = await system.db.db
    .select({ kind: ledgerTransactions.kind })
    .from(ledgerTransactions)
    .where(inArray(ledgerTransactions.payoutId, ids));
  expect(ledger.filter((t) => t.kind === 'hold')).toHaveLength(ids.length);
  expect(ledger.filter((t) => t.kind === 'post')).toHaveLength(ids.length);
  expect((await verifyLedger(system.db.db)).problems).toEqual([]);
}

describe('scheduled payouts survive the loss of Redis', () => {
  test('handed over, then Redis flushed and the reconciler restarted: released by the new one', async () => {
    const ids = await scheduleMany(20);
    await system.stopProcessing();
    try {
      await makeDue(ids);
      // What the reconciler did just before it died: the release jobs are in Redis...
      const before = await new ScheduledRelease(system.db.db, system.queues, { resendAfterMs: 60_000 }).releaseDue();
      expect(before.handedOver).toBe(20);
      expect(await system.queues.reconciler.getJobCountByTypes('prioritized', 'wait')).toBeGreaterThan(0);
      // ...and Redis loses them.
      await system.flushQueues();
      expect(await system.queues.reconciler.getJobCountByTypes('prioritized', 'wait')).toBe(0);
    } finally {
      system.startProcessing();
    }
    await allProcessed(ids);
    await releasedOnce(ids);
  });

  test('handed over by the running reconciler, then Redis flushed: handed over again and released', async () => {
    const ids = await scheduleMany(20);
    // No release job runs while the queue is paused: the flush takes them while they wait.
    await system.queues.reconciler.pause();
    try {
      await makeDue(ids);
      await waitFor(async () => (await system.queues.reconciler.getJobCountByTypes('prioritized', 'wait')) > 0, {
        message: 'the reconciler to hand the due payouts over',
      });
      await system.flushQueues();
      const stillScheduled = await system.db.db
        .select({ id: payouts.id })
        .from(payouts)
        .where(and(inArray(payouts.id, ids), eq(payouts.status, 'scheduled')));
      expect(stillScheduled).toHaveLength(20);
    } finally {
      // The flush took the pause with it; resuming is for the case where the wait above failed.
      await system.queues.reconciler.resume();
    }
    await allProcessed(ids);
    await releasedOnce(ids);
  });
});
