import { newId } from '@payouts/core';
import { ledgerTransactions, payoutEvents, payouts, providerAttempts, tenants } from '@payouts/db';
import { verifyLedger } from '@payouts/ledger';
import { createTestDatabase, must, type TestDatabase } from '@payouts/testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { applyEvents, type ReconcilerEvent } from './apply-events.ts';

/**
 * Provider attempts in the reconciler: a confirmed `imps_not_allowed` starts a NEFT attempt with
 * its own key and keeps the hold; an answer about the ended attempt is never applied to the next.
 */
let db: TestDatabase;
let tenantId: string;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});
beforeEach(async () => {
  tenantId = newId('tenant');
  await db.db.insert(tenants).values({ id: tenantId, name: 'test' });
  await applyEvents(db.db, [
    {
      name: 'wallet.fund',
      data: { tenantId, currency: 'INR', amount: '1000000', reference: `f-${tenantId}`, actor: 'key_test' },
    },
  ]);
});

const IMPS_NOT_ALLOWED = { code: 'imps_not_allowed', message: 'IMPS is not enabled on the beneficiary account.' };

const report = (payoutId: string, outcome: string, extra: Record<string, unknown> = {}): ReconcilerEvent =>
  ({
    name: 'payout.report',
    data: {
      payoutId,
      outcome,
      providerPayoutId: 'pout_imps',
      rawStatus: outcome,
      fees: null,
      tax: null,
      utr: null,
      failure: null,
      queuedReason: null,
      source: 'worker',
      observedAt: Date.now(),
      ...extra,
    },
  }) as ReconcilerEvent;

/** A held IMPS payout the provider is processing (its first attempt, `pout_imps`). */
async function processingPayout(railFallback: boolean | null) {
  const id = newId('payout');
  await db.db.insert(payouts).values({
    id,
    tenantId,
    status: 'accepted',
    amount: 10_000n,
    currency: 'INR',
    provider: 'razorpayx',
    method: 'IMPS',
    beneficiary: { name: 'x', account_number: '123456780004', bank_code: 'HDFC0001234' },
    providerIdempotencyKey: id,
    feeReserve: 1000n,
    railFallback,
  });
  await applyEvents(db.db, [{ name: 'payout.accepted', data: { payoutId: id } }]);
  await applyEvents(db.db, [report(id, 'processing')]);
  return id;
}

async function row(id: string) {
  const [r] = await db.db.select().from(payouts).where(eq(payouts.id, id));
  return must(r, 'row');
}
async function ledgerKinds(payoutId: string) {
  const rows = await db.db
    .select({ kind: ledgerTransactions.kind })
    .from(ledgerTransactions)
    .where(eq(ledgerTransactions.payoutId, payoutId));
  return rows.map((r) => r.kind).sort();
}

describe('rail fallback', () => {
  test('a confirmed imps_not_allowed starts attempt 2 on NEFT with its own key; the hold stays', async () => {
    const id = await processingPayout(true);
    const { results, submits } = await applyEvents(db.db, [report(id, 'failed', { failure: IMPS_NOT_ALLOWED })]);
    expect(results).toEqual([{ outcome: 'applied', payoutId: id, status: 'reserved', reason: 'rail_fallback' }]);
    expect(submits).toEqual([{ provider: 'razorpayx', payoutId: id, batch: false }]);
    expect(await row(id)).toMatchObject({
      status: 'reserved',
      attempt: 2,
      method: 'NEFT',
      providerIdempotencyKey: `${id}-a2`,
      providerPayoutId: null,
      failureCode: null,
    });
    expect(await db.db.select().from(providerAttempts).where(eq(providerAttempts.payoutId, id))).toEqual([
      expect.objectContaining({
        attempt: 1,
        method: 'IMPS',
        idempotencyKey: id,
        providerPayoutId: 'pout_imps',
        outcome: 'failed',
        failureCode: 'imps_not_allowed',
      }),
    ]);
    expect(await ledgerKinds(id)).toEqual(['hold']);

    // The NEFT attempt is paid: posted once against the one hold.
    await applyEvents(db.db, [report(id, 'processing', { providerPayoutId: 'pout_neft' })]);
    await applyEvents(db.db, [report(id, 'processed', { providerPayoutId: 'pout_neft', fees: '500', tax: '90' })]);
    expect(await row(id)).toMatchObject({ status: 'processed', attempt: 2, providerPayoutId: 'pout_neft' });
    expect(await ledgerKinds(id)).toEqual(['hold', 'post']);
    expect((await verifyLedger(db.db)).problems).toEqual([]);
  });

  test('a late answer about the ended attempt is kept in the history, never applied to the next', async () => {
    const id = await processingPayout(true);
    // The poll and the webhook's confirmation both saw the failure: one batch, one new attempt.
    const first = await applyEvents(db.db, [
      report(id, 'failed', { failure: IMPS_NOT_ALLOWED }),
      report(id, 'failed', { failure: IMPS_NOT_ALLOWED, source: 'webhook' }),
    ]);
    expect(first.results.map((r) => r.reason)).toEqual(['rail_fallback', 'earlier_attempt']);
    await applyEvents(db.db, [report(id, 'processing', { providerPayoutId: 'pout_neft' })]);
    // Later still, a stale poll of the IMPS payout.
    const late = await applyEvents(db.db, [report(id, 'failed', { failure: IMPS_NOT_ALLOWED })]);
    expect(late.results).toEqual([
      { outcome: 'ignored', payoutId: id, status: 'processing', reason: 'earlier_attempt' },
    ]);
    expect(await row(id)).toMatchObject({ status: 'processing', attempt: 2, method: 'NEFT' });
    expect(await ledgerKinds(id)).toEqual(['hold']);
    const ignored = await db.db.select().from(payoutEvents).where(eq(payoutEvents.payoutId, id));
    expect(ignored.filter((e) => !e.applied).map((e) => e.detail?.reason)).toEqual([
      'earlier_attempt',
      'earlier_attempt',
    ]);
  });

  test('off, or a reason other than the rail, or a NEFT payout: the failure is the payout’s', async () => {
    const off = await processingPayout(null); // the tenant's setting: off by default
    const otherReason = await processingPayout(true);
    const neft = await processingPayout(true);
    await db.db.update(payouts).set({ method: 'NEFT' }).where(eq(payouts.id, neft));
    const { results } = await applyEvents(db.db, [
      report(off, 'failed', { failure: IMPS_NOT_ALLOWED }),
      report(otherReason, 'failed', { failure: { code: 'beneficiary_bank_rejected', message: 'rejected' } }),
      report(neft, 'failed', { failure: IMPS_NOT_ALLOWED }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['failed', 'failed', 'failed']);
    for (const id of [off, otherReason, neft]) {
      expect(await ledgerKinds(id)).toEqual(['hold', 'void']);
      expect((await row(id)).attempt).toBe(1);
    }
  });

  test("the tenant's setting applies to a payout that does not say", async () => {
    await db.db.update(tenants).set({ railFallback: true }).where(eq(tenants.id, tenantId));
    const id = await processingPayout(null);
    const { results } = await applyEvents(db.db, [report(id, 'failed', { failure: IMPS_NOT_ALLOWED })]);
    expect(results[0]?.reason).toBe('rail_fallback');
  });

  test('a report asking for reserved moves only a payout whose outcome was unknown', async () => {
    const id = await processingPayout(true);
    const { results } = await applyEvents(db.db, [report(id, 'reserved', { providerPayoutId: null })]);
    expect(results).toEqual([
      { outcome: 'ignored', payoutId: id, status: 'processing', reason: 'transition_not_allowed' },
    ]);
    expect((await row(id)).status).toBe('processing');
  });
});
