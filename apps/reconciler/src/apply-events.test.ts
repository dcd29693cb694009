import { newId } from '@payouts/core';
import { ledgerTransactions, operatorActions, payoutEvents, payouts, providerSubmissions, tenants } from '@payouts/db';
import { verifyLedger, walletBalances } from '@payouts/ledger';
import { createTestDatabase, type TestDatabase } from '@payouts/testing';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { applyEvents, type ReconcilerEvent } from './apply-events.ts';

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
});

async function fund(amount: number, reference = `f-${Math.random()}`) {
  const [r] = (
    await applyEvents(db.db, [
      { name: 'wallet.fund', data: { tenantId, currency: 'INR', amount: String(amount), reference, actor: 'test' } },
    ])
  ).results;
  return r!;
}

async function newPayout(amount = 10_000, extra: Partial<typeof payouts.$inferInsert> = {}) {
  const id = newId('payout');
  await db.db.insert(payouts).values({
    id,
    tenantId,
    status: 'accepted',
    amount: BigInt(amount),
    currency: 'INR',
    provider: 'razorpayx',
    method: 'IMPS',
    beneficiary: { name: 'x', account_number: '123456789012', bank_code: 'HDFC0001234' },
    providerIdempotencyKey: id,
    feeReserve: 1000n,
    ...extra,
  });
  return id;
}

const accepted = (payoutId: string): ReconcilerEvent => ({ name: 'payout.accepted', data: { payoutId } });
const report = (payoutId: string, outcome: string, extra: Record<string, unknown> = {}): ReconcilerEvent =>
  ({
    name: 'payout.report',
    data: {
      payoutId,
      outcome,
      providerPayoutId: 'pout_1',
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

async function status(id: string) {
  const [row] = await db.db.select().from(payouts).where(eq(payouts.id, id));
  return row!;
}
async function wallet() {
  const w = (await walletBalances(db.db, tenantId)).find((b) => b.currency === 'INR');
  return { available: w?.available ?? 0n, held: w?.held ?? 0n };
}
async function ledgerKinds(payoutId: string) {
  const rows = await db.db
    .select({ kind: ledgerTransactions.kind })
    .from(ledgerTransactions)
    .where(eq(ledgerTransactions.payoutId, payoutId));
  return rows.map((r) => r.kind).sort();
}

describe('applying reconciler events', () => {
  test('accepted places the hold (amount + fee reserve) and hands the payout to its provider', async () => {
    await fund(100_000);
    const id = await newPayout(10_000);
    const out = await applyEvents(db.db, [accepted(id)]);
    expect(out.results[0]).toMatchObject({ outcome: 'applied', status: 'reserved' });
    expect(out.submits).toEqual([{ provider: 'razorpayx', payoutId: id, batch: false }]);
    expect(await wallet()).toEqual({ available: 89_000n, held: 11_000n });
  });

  test('a replayed accepted changes nothing but hands the payout over again', async () => {
    await fund(100_000);
    const id = await newPayout();
    await applyEvents(db.db, [accepted(id)]);
    const again = await applyEvents(db.db, [accepted(id), accepted(id)]);
    expect(again.results.map((r) => r.outcome)).toEqual(['unchanged', 'unchanged']);
    expect(again.submits).toHaveLength(2);
    expect(await ledgerKinds(id)).toEqual(['hold']);
  });

  test('processed posts once with fees and tax; the reserve not needed comes back', async () => {
    await fund(100_000);
    const id = await newPayout(10_000);
    await applyEvents(db.db, [accepted(id)]);
    const processed = report(id, 'processed', { fees: '500', tax: '90', utr: 'UTR1' });
    await applyEvents(db.db, [report(id, 'processing'), processed, processed]);
    await applyEvents(db.db, [processed]);
    expect((await status(id)).status).toBe('processed');
    expect(await ledgerKinds(id)).toEqual(['hold', 'post']);
    expect(await wallet()).toEqual({ available: 100_000n - 10_000n - 590n, held: 0n });
    expect((await verifyLedger(db.db)).problems).toEqual([]);
  });

  test('a late processing after processed is recorded and ignored', async () => {
    await fund(100_000);
    const id = await newPayout();
    await applyEvents(db.db, [accepted(id), report(id, 'processed')]);
    const out = await applyEvents(db.db, [report(id, 'processing')]);
    expect(out.results[0]).toMatchObject({ outcome: 'ignored', reason: 'transition_not_allowed' });
    expect((await status(id)).status).toBe('processed');
    const history = await db.db.select().from(payoutEvents).where(eq(payoutEvents.payoutId, id));
    expect(history.some((e) => e.toStatus === 'processing' && !e.applied)).toBe(true);
  });

  test('failed voids the hold in full', async () => {
    await fund(50_000);
    const id = await newPayout(20_000);
    await applyEvents(db.db, [accepted(id)]);
    await applyEvents(db.db, [report(id, 'failed', { failure: { code: 'beneficiary_bank_rejected', message: 'no' } })]);
    const row = await status(id);
    expect(row.status).toBe('failed');
    expect(row.failureCode).toBe('beneficiary_bank_rejected');
    expect(await wallet()).toEqual({ available: 50_000n, held: 0n });
  });

  test('reversed seen straight from processing posts and compensates in one go', async () => {
    await fund(50_000);
    const id = await newPayout(20_000);
    await applyEvents(db.db, [accepted(id), report(id, 'processing', { fees: '500', tax: '90' })]);
    await applyEvents(db.db, [report(id, 'reversed')]);
    expect(await ledgerKinds(id)).toEqual(['hold', 'post', 'reverse']);
    expect(await wallet()).toEqual({ available: 50_000n, held: 0n });
    expect((await verifyLedger(db.db)).problems).toEqual([]);
  });

  test('a short wallet fails the payout, or queues it when asked, and a funding releases the queue in order, skipping what does not fit', async () => {
    const refused = await newPayout(5_000);
    const big = await newPayout(30_000, { queueIfLowBalance: true });
    const small = await newPayout(5_000, { queueIfLowBalance: true });
    const out = await applyEvents(db.db, [accepted(refused), accepted(big), accepted(small)]);
    expect(out.results.map((r) => r.status)).toEqual(['failed', 'queued', 'queued']);
    expect((await status(refused)).failureCode).toBe('insufficient_funds');

    const funded = await fund(10_000);
    expect(funded).toMatchObject({ funded: true, released: 1 });
    expect((await status(big)).status).toBe('queued');
    expect((await status(small)).status).toBe('reserved');

    expect(await fund(40_000)).toMatchObject({ released: 1 });
    expect((await status(big)).status).toBe('reserved');
    expect((await verifyLedger(db.db)).problems).toEqual([]);
  });

  test('a funding reference funds once', async () => {
    expect(await fund(1_000, 'ref-1')).toMatchObject({ funded: true });
    expect(await fund(1_000, 'ref-1')).toMatchObject({ funded: false });
    expect(await wallet()).toEqual({ available: 1_000n, held: 0n });
  });

  test('cancel voids the hold before submission, and is refused once a worker has claimed the payout', async () => {
    await fund(100_000);
    const early = await newPayout();
    const claimed = await newPayout();
    await applyEvents(db.db, [accepted(early), accepted(claimed)]);
    await db.db.insert(providerSubmissions).values({ payoutId: claimed });
    const cancel = (payoutId: string): ReconcilerEvent => ({
      name: 'payout.cancel',
      data: { payoutId, tenantId, source: 'api', actor: 'key_1' },
    });
    const out = await applyEvents(db.db, [cancel(early), cancel(claimed)]);
    expect(out.results[0]).toMatchObject({ outcome: 'applied', status: 'cancelled' });
    expect(out.results[1]).toMatchObject({ outcome: 'refused', reason: 'not_cancellable' });
    expect(await ledgerKinds(early)).toEqual(['hold', 'void']);
    const otherTenant = await applyEvents(db.db, [
      { name: 'payout.cancel', data: { payoutId: claimed, tenantId: newId('tenant'), source: 'api', actor: 'k' } },
    ]);
    expect(otherTenant.results[0]).toMatchObject({ outcome: 'refused', reason: 'payout_not_found' });
  });

  test('the same events applied by concurrent batches post each (payout, kind) once and never deadlock', async () => {
    await fund(10_000_000);
    const ids = await Promise.all(Array.from({ length: 40 }, () => newPayout(1_000)));
    const events = ids.flatMap((id) => [accepted(id)]);
    await Promise.all([
      applyEvents(db.db, events),
      applyEvents(db.db, [...events].reverse()),
      applyEvents(db.db, events),
    ]);
    const finals = ids.flatMap((id) => [report(id, 'processing'), report(id, 'processed', { fees: '10', tax: '2' })]);
    await Promise.all([
      applyEvents(db.db, finals),
      applyEvents(db.db, finals),
      applyEvents(db.db, [...finals].reverse()),
    ]);
    for (const id of ids) {
      expect((await status(id)).status).toBe('processed');
      expect(await ledgerKinds(id)).toEqual(['hold', 'post']);
    }
    expect(await wallet()).toEqual({ available: 10_000_000n - 40n * (1_000n + 12n), held: 0n });
    expect((await verifyLedger(db.db)).problems).toEqual([]);
  });
});

describe('operator actions applied here are recorded in the transaction that applies them', () => {
  const cancel = (payoutId: string, source: 'api' | 'operator', actor: string): ReconcilerEvent => ({
    name: 'payout.cancel',
    data: { payoutId, tenantId: source === 'operator' ? null : tenantId, source, actor },
  });
  const entries = async (target: string) =>
    db.db.select().from(operatorActions).where(eq(operatorActions.target, target)).orderBy(operatorActions.id);

  test('a funding and an operator cancel are recorded with what they did; a tenant cancel is not an operator action', async () => {
    await applyEvents(db.db, [
      {
        name: 'wallet.fund',
        data: { tenantId, currency: 'INR', amount: '100000', reference: 'op-1', actor: 'key_op' },
      },
    ]);
    const byOperator = await newPayout();
    const byTenant = await newPayout();
    await applyEvents(db.db, [accepted(byOperator), accepted(byTenant)]);
    await applyEvents(db.db, [cancel(byOperator, 'operator', 'key_op'), cancel(byTenant, 'api', 'key_tenant')]);
    // Cancelled already: refused, and recorded as such.
    await applyEvents(db.db, [cancel(byOperator, 'operator', 'key_op')]);

    expect(await entries(tenantId)).toEqual([
      expect.objectContaining({
        actor: 'key_op',
        action: 'wallet.fund',
        params: { currency: 'INR', amount: 100_000, reference: 'op-1' },
        result: { outcome: 'applied', funded: true, released: 0 },
      }),
    ]);
    expect(await entries(byOperator)).toEqual([
      expect.objectContaining({
        actor: 'key_op',
        action: 'payout.cancel',
        result: { outcome: 'applied', status: 'cancelled' },
      }),
      expect.objectContaining({
        actor: 'key_op',
        action: 'payout.cancel',
        result: { outcome: 'refused', status: 'cancelled' },
      }),
    ]);
    expect(await entries(byTenant)).toEqual([]);
  });

  test('when the audit entry cannot be written, neither the funding nor the cancel is applied', async () => {
    await fund(100_000);
    const payout = await newPayout();
    await applyEvents(db.db, [accepted(payout)]);
    const before = await wallet();
    const recorded = await entries(tenantId); // the funding above
    await db.db.execute(sql`
      create or replace function refuse_audit() returns trigger language plpgsql as $$
      begin raise exception 'the audit log refuses this entry (test)'; end $$`);
    await db.db.execute(
      sql`create trigger refuse_audit before insert on operator_actions for each row execute function refuse_audit()`,
    );
    try {
      await expect(
        applyEvents(db.db, [
          {
            name: 'wallet.fund',
            data: { tenantId, currency: 'INR', amount: '5000', reference: 'op-2', actor: 'key_op' },
          },
        ]),
      ).rejects.toThrow();
      await expect(applyEvents(db.db, [cancel(payout, 'operator', 'key_op')])).rejects.toThrow();
    } finally {
      await db.db.execute(sql`drop trigger refuse_audit on operator_actions`);
    }
    expect(await wallet()).toEqual(before);
    expect((await status(payout)).status).toBe('reserved');
    expect(await ledgerKinds(payout)).toEqual(['hold']);
    expect(await entries(tenantId)).toEqual(recorded);
    expect(await entries(payout)).toEqual([]);
  });
});
