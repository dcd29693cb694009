import { MAX_AMOUNT_MINOR, newId } from '@payouts/core';
import {
  ledgerTransactions,
  operatorActions,
  payoutEvents,
  payouts,
  providerSubmissions,
  tenants,
  verifyAuditChains,
} from '@payouts/db';
import { verifyLedger, walletBalances } from '@payouts/ledger';
import { createTestDatabase, must, type TestDatabase } from '@payouts/testing';
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

const funding = (amount: number | bigint, reference = `f-${Math.random()}`, currency = 'INR'): ReconcilerEvent => ({
  name: 'wallet.fund',
  data: { tenantId, currency, amount: String(amount), reference, actor: 'key_test' },
});

async function fund(amount: number | bigint, reference = `f-${Math.random()}`, currency = 'INR') {
  const [r] = (await applyEvents(db.db, [funding(amount, reference, currency)])).results;
  return must(r, 'r');
}

async function fundActions() {
  return db.db
    .select({ params: operatorActions.params, result: operatorActions.result, actor: operatorActions.actor })
    .from(operatorActions)
    .where(eq(operatorActions.target, tenantId));
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
  return must(row, 'row');
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

  test('a report cannot reserve a payout that holds no money: only the reconciler places holds', async () => {
    await fund(100_000);
    const id = await newPayout();
    const out = await applyEvents(db.db, [report(id, 'reserved')]);
    expect(out.results[0]).toMatchObject({ outcome: 'ignored', status: 'accepted', reason: 'hold_not_placed' });
    expect(out.submits).toEqual([]);
    expect((await status(id)).status).toBe('accepted');
    expect(await ledgerKinds(id)).toEqual([]);
    const history = await db.db.select().from(payoutEvents).where(eq(payoutEvents.payoutId, id));
    expect(history.map((e) => [e.toStatus, e.applied])).toEqual([['reserved', false]]);
  });

  test("a late parking report (a downtime, the provider's float) cannot move a payout the provider has back to queued", async () => {
    await fund(100_000);
    const parking = (id: string) =>
      report(id, 'queued', { providerPayoutId: null, rawStatus: null, queuedReason: 'provider_downtime' });
    const sent = await newPayout();
    await applyEvents(db.db, [accepted(sent), report(sent, 'processing')]);
    const late = await applyEvents(db.db, [parking(sent)]);
    expect(late.results[0]).toMatchObject({ outcome: 'ignored', status: 'processing', reason: 'already_sent' });
    expect(await status(sent)).toMatchObject({ status: 'processing', queuedReason: null });
    const history = await db.db.select().from(payoutEvents).where(eq(payoutEvents.payoutId, sent));
    expect(history.some((e) => e.toStatus === 'queued' && !e.applied)).toBe(true);

    // Not sent yet: parked as before. The provider's own queue (a report with its id) still applies.
    const unsent = await newPayout();
    await applyEvents(db.db, [accepted(unsent)]);
    expect((await applyEvents(db.db, [parking(unsent)])).results[0]).toMatchObject({
      outcome: 'applied',
      status: 'queued',
    });
    const atProvider = await newPayout();
    await applyEvents(db.db, [accepted(atProvider), report(atProvider, 'processing')]);
    const theirs = report(atProvider, 'queued', { queuedReason: 'provider_low_balance' });
    expect((await applyEvents(db.db, [theirs])).results[0]).toMatchObject({ outcome: 'applied', status: 'queued' });
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

  test('only an operator replay of a systemic failure brings a failed payout back, holding again under its own keys', async () => {
    await fund(50_000);
    const id = await newPayout(20_000);
    const code = 'ACCOUNT_MISCONFIGURED';
    await applyEvents(db.db, [accepted(id), report(id, 'failed', { failure: { code, message: 'refused' } })]);
    const replay = (failureCode = code): ReconcilerEvent => ({
      name: 'payout.replay',
      data: { payoutId: id, failureCode, actor: 'key_op', lookup: 'no record of the payout' },
    });
    // A report asking for reserved is never the replay.
    const reported = await applyEvents(db.db, [report(id, 'reserved')]);
    expect(reported.results[0]).toMatchObject({ outcome: 'ignored', reason: 'transition_not_allowed' });
    // A replay judged on another code than the payout has now is refused.
    const other = await applyEvents(db.db, [replay('HTTP_401')]);
    expect(other.results[0]).toMatchObject({ outcome: 'refused', reason: 'failure_code_changed' });
    expect((await status(id)).status).toBe('failed');

    const out = await applyEvents(db.db, [replay(), replay()]);
    expect(out.results.map((r) => r.outcome)).toEqual(['applied', 'unchanged']);
    expect(out.submits).toEqual([{ provider: 'razorpayx', payoutId: id, batch: false }]);
    const row = await status(id);
    expect([row.status, row.replays, row.failureCode, row.providerIdempotencyKey]).toEqual(['reserved', 1, null, id]);
    expect(await wallet()).toEqual({ available: 29_000n, held: 21_000n });

    // It fails again: this cycle's hold is released under this cycle's key; the ledger balances.
    await applyEvents(db.db, [report(id, 'failed', { failure: { code: 'beneficiary_bank_rejected', message: 'no' } })]);
    const keys = await db.db
      .select({ key: ledgerTransactions.idempotencyKey })
      .from(ledgerTransactions)
      .where(eq(ledgerTransactions.payoutId, id));
    expect(keys.map((k) => k.key).sort()).toEqual(
      [`${id}:hold`, `${id}:void`, `${id}:hold:replay1`, `${id}:void:replay1`].sort(),
    );
    expect(await wallet()).toEqual({ available: 50_000n, held: 0n });
    expect((await verifyLedger(db.db)).problems).toEqual([]);
  });

  test('a posted payout keeps the fees it was charged: a later report cannot change them, and a reversal returns them', async () => {
    await fund(50_000);
    const id = await newPayout(20_000);
    await applyEvents(db.db, [accepted(id), report(id, 'processed', { fees: '500', tax: '90' })]);
    expect(await wallet()).toEqual({ available: 50_000n - 20_590n, held: 0n });
    await applyEvents(db.db, [report(id, 'processed', { fees: '700', tax: '126', utr: 'UTR9' })]);
    const row = await status(id);
    expect({ fees: row.fees, tax: row.tax, utr: row.utr }).toEqual({ fees: 500n, tax: 90n, utr: 'UTR9' });
    await applyEvents(db.db, [report(id, 'reversed', { fees: '700', tax: '126' })]);
    expect(await wallet()).toEqual({ available: 50_000n, held: 0n });
    expect((await status(id)).fees).toBe(500n);
    expect((await verifyLedger(db.db)).problems).toEqual([]);
  });

  test('news after processed is recorded in the history with what was charged, and the version grows', async () => {
    await fund(50_000);
    const id = await newPayout(20_000);
    await applyEvents(db.db, [accepted(id), report(id, 'processed', { fees: '500', tax: '90' })]);
    const before = await status(id);
    await applyEvents(db.db, [report(id, 'processed', { utr: 'UTR77' })]);
    await applyEvents(db.db, [report(id, 'processed', { utr: 'UTR77', fees: '700', tax: '126' })]);
    // Nothing new: no entry, no version.
    await applyEvents(db.db, [report(id, 'processed', { utr: 'UTR77', fees: '500', tax: '90' })]);
    const row = await status(id);
    expect({ utr: row.utr, fees: row.fees, tax: row.tax, version: row.version }).toEqual({
      utr: 'UTR77',
      fees: 500n,
      tax: 90n,
      version: before.version + 2,
    });
    const history = await db.db
      .select({ from: payoutEvents.fromStatus, to: payoutEvents.toStatus, detail: payoutEvents.detail })
      .from(payoutEvents)
      .where(eq(payoutEvents.payoutId, id))
      .orderBy(payoutEvents.id);
    expect(history.slice(-2)).toEqual([
      { from: 'processed', to: 'processed', detail: expect.objectContaining({ updated: { utr: 'UTR77' } }) },
      {
        from: 'processed',
        to: 'processed',
        detail: expect.objectContaining({
          updated: { reported_fees: '700', reported_tax: '126', charged_fees: '500', charged_tax: '90' },
        }),
      },
    ]);
    // The charge is what processed posted.
    expect(await wallet()).toEqual({ available: 50_000n - 20_590n, held: 0n });
    expect((await verifyLedger(db.db)).problems).toEqual([]);
  });

  test('processed without fees from the provider posts none, and the row says 0: what was charged', async () => {
    await fund(50_000);
    const id = await newPayout(20_000);
    await applyEvents(db.db, [accepted(id), report(id, 'processed')]);
    const row = await status(id);
    expect({ fees: row.fees, tax: row.tax }).toEqual({ fees: 0n, tax: 0n });
    expect(await wallet()).toEqual({ available: 30_000n, held: 0n });
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
    expect(await fund(1_000, 'ref-1')).toMatchObject({ outcome: 'unchanged', funded: false, amount: '1000' });
    expect(await wallet()).toEqual({ available: 1_000n, held: 0n });
  });

  test('a reference reused with another amount or currency is refused, naming what it funded; nothing moves', async () => {
    expect(await fund(1_000, 'ref-2')).toMatchObject({ outcome: 'applied', funded: true, amount: '1000' });
    const refused = { outcome: 'refused', reason: 'funding_reference_reused', funded: false, amount: '1000' };
    expect(await fund(1_001, 'ref-2')).toMatchObject({ ...refused, currency: 'INR' });
    expect(await fund(1_000, 'ref-2', 'USD')).toMatchObject({ ...refused, currency: 'INR' });
    // Within one batch too: the first decides, the rest are judged against it.
    const out = await applyEvents(db.db, [funding(5, 'ref-3'), funding(6, 'ref-3'), funding(5, 'ref-3')]);
    expect(out.results.map((r) => [r.outcome, r.amount])).toEqual([
      ['applied', '5'],
      ['refused', '5'],
      ['unchanged', '5'],
    ]);
    expect(await wallet()).toEqual({ available: 1_005n, held: 0n });
    const usd = (await walletBalances(db.db, tenantId)).find((w) => w.currency === 'USD');
    expect(usd?.available ?? 0n).toBe(0n);
    // One operator action per funding that moved money, with what it funded.
    expect((await fundActions()).map((a) => a.params)).toEqual(
      expect.arrayContaining([
        { currency: 'INR', amount: 1_000, reference: 'ref-2' },
        { currency: 'INR', amount: 5, reference: 'ref-3' },
      ]),
    );
    expect(await fundActions()).toHaveLength(2);
    expect((await verifyLedger(db.db)).problems).toEqual([]);
  });

  test('concurrent batches with one reference and 50 amounts fund once; every other answer is judged against it', async () => {
    const amounts = Array.from({ length: 50 }, (_, i) => 1_000 + i);
    // In four currencies too: each currency's wallet has its own locks, the reference is one.
    const currencies = ['INR', 'USD', 'THB', 'COP'];
    const results = await Promise.all(
      amounts.map(async (a, i) =>
        must((await applyEvents(db.db, [funding(a, 'race', currencies[i % 4])])).results[0], 'the result of a funding'),
      ),
    );
    const applied = results.filter((r) => r.outcome === 'applied');
    expect(applied).toHaveLength(1);
    const winner = must(applied[0], 'applied[0]');
    for (const r of results) {
      if (r === winner) continue;
      expect(r).toMatchObject({ outcome: 'refused', reason: 'funding_reference_reused', amount: winner.amount });
    }
    const [action] = await fundActions();
    expect(await fundActions()).toHaveLength(1);
    expect(must(action, 'action').params).toEqual({
      currency: winner.currency,
      amount: Number(winner.amount),
      reference: 'race',
    });
    const balances = await walletBalances(db.db, tenantId);
    expect(balances.map((b) => [b.currency, b.available])).toEqual(
      balances.map((b) => [
        b.currency,
        b.currency === winner.currency ? BigInt(must(winner.amount, 'winner.amount')) : 0n,
      ]),
    );
    expect((await verifyLedger(db.db)).problems).toEqual([]);
  });

  test('a funding that would take the wallet (available + held) past the limit is refused and writes nothing', async () => {
    await fund(MAX_AMOUNT_MINOR - 20_000n);
    const id = await newPayout(10_000);
    await applyEvents(db.db, [accepted(id)]); // 11,000 held, 9,000 left
    expect(await fund(20_001, 'too-much')).toMatchObject({
      outcome: 'refused',
      reason: 'balance_limit_exceeded',
      funded: false,
      amount: String(MAX_AMOUNT_MINOR - 20_000n),
    });
    // Within one batch, each funding counts the ones before it.
    const out = await applyEvents(db.db, [funding(15_000, 'fits'), funding(5_001, 'no-room'), funding(5_000, 'last')]);
    expect(out.results.map((r) => r.outcome)).toEqual(['applied', 'refused', 'applied']);
    expect(await wallet()).toEqual({ available: MAX_AMOUNT_MINOR - 11_000n, held: 11_000n });
    const refs = await db.db
      .select({ key: ledgerTransactions.idempotencyKey })
      .from(ledgerTransactions)
      .where(eq(ledgerTransactions.tenantId, tenantId));
    expect(refs.map((r) => r.key).filter((k) => /too-much|no-room/.test(k))).toEqual([]);
    expect(await fundActions()).toHaveLength(3);
    expect(await fund(1, 'over')).toMatchObject({ outcome: 'refused', reason: 'balance_limit_exceeded' });
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
    // Each payout's history was written by three batches at once (the repeats recorded as not
    // applied): under the payout's row lock each chained after the last, so no chain forked.
    const audit = await verifyAuditChains(db.db);
    expect(audit.payoutEvents).toMatchObject({ brokenChains: 0, broken: [] });
    expect(audit.payoutEvents.rows).toBeGreaterThan(ids.length * 3);
  });
});

describe('a batch without holds or fundings locks its accounts last', () => {
  test('report-only batches racing batches that hold, on one wallet, post each (payout, kind) once and never deadlock', async () => {
    await fund(10_000_000);
    const first = await Promise.all(Array.from({ length: 30 }, () => newPayout(1_000)));
    const second = await Promise.all(Array.from({ length: 30 }, () => newPayout(1_000)));
    await applyEvents(db.db, first.map(accepted));
    const reports = first.flatMap((id, i) =>
      i % 3 === 0
        ? [report(id, 'failed', { failure: { code: 'x', message: 'x' } })]
        : [report(id, 'processed', { fees: '10', tax: '2' })],
    );
    // Report-only batches (accounts locked in write) beside batches placing holds (locked in load)
    // and a batch of cancels, on the same wallet and the same payouts.
    await Promise.all([
      applyEvents(db.db, reports),
      applyEvents(db.db, second.map(accepted)),
      applyEvents(db.db, [...reports].reverse()),
      applyEvents(db.db, [...second].reverse().map(accepted)),
      applyEvents(db.db, reports.slice(10, 20)),
    ]);
    for (const [i, id] of first.entries()) {
      expect((await status(id)).status).toBe(i % 3 === 0 ? 'failed' : 'processed');
      expect(await ledgerKinds(id)).toEqual(i % 3 === 0 ? ['hold', 'void'] : ['hold', 'post']);
    }
    for (const id of second) expect(await ledgerKinds(id)).toEqual(['hold']);
    const processed = first.filter((_, i) => i % 3 !== 0).length;
    expect(await wallet()).toEqual({
      available: 10_000_000n - BigInt(processed) * 1_012n - 30n * 2_000n,
      held: 30n * 2_000n,
    });
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
    // Cancelled already: nothing changes, recorded as `unchanged` (the API answers such a retry 200).
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
        result: { outcome: 'unchanged', status: 'cancelled' },
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
