import { payouts } from '@payouts/db';
import { verifyLedger } from '@payouts/ledger';
import { waitFor } from '@payouts/testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { client, createFundedTenant, inrPayout, startTestSystem, type TestSystem } from '../support/system.ts';

/**
 * One payout's whole path: API → Postgres → reconciler (hold) → RazorpayX worker → sandbox →
 * polls → reconciler (post / void / reverse) → ledger. Everything real but the provider.
 */
let system: TestSystem;
let tenant: Awaited<ReturnType<typeof createFundedTenant>>;

beforeAll(async () => {
  system = await startTestSystem();
  tenant = await createFundedTenant(system, 'acme');
});
afterAll(async () => {
  await system?.stop();
});

async function balance(api = tenant.api) {
  const res = await api('GET', '/v1/balances');
  const inr = res.body.data.find((b: { currency: string }) => b.currency === 'INR');
  return { available: inr?.available ?? 0, held: inr?.held ?? 0 };
}

async function create(body: unknown, key = `k-${Math.random()}`, api = tenant.api) {
  return api('POST', '/v1/payouts', body, { 'idempotency-key': key });
}

async function settle(id: string, status: string, api = tenant.api) {
  return waitFor(
    async () => {
      const res = await api('GET', `/v1/payouts/${id}`);
      return res.body.status === status ? res.body : undefined;
    },
    { message: `payout ${id} to reach ${status}` },
  );
}

describe('a RazorpayX payout end to end', () => {
  test('reaches processed; the wallet falls by amount + fees + tax and nothing stays held', async () => {
    const before = await balance();
    const res = await create(inrPayout({ amount: 50_000 }));
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('accepted');
    expect(res.body.beneficiary.account_number).toBe('1234****9012');

    const done = await settle(res.body.id, 'processed');
    // The sandbox charges ₹5 + 18% GST on amounts up to ₹1000: fees 500, tax 90 (RazorpayX's own
    // `fees` of 590 includes the tax; we report them apart).
    expect(done.fees).toBe(500);
    expect(done.tax).toBe(90);
    expect(done.utr).toMatch(/\S+/);
    expect(done.provider_payout_id).toMatch(/^pout_/);
    await waitFor(async () => (await balance()).held === 0 || undefined);
    expect(await balance()).toEqual({ available: before.available - 50_000 - 500 - 90, held: 0 });

    const history = await tenant.api('GET', `/v1/payouts/${res.body.id}/events`);
    expect(
      history.body.data.filter((e: { applied: boolean }) => e.applied).map((e: { to_status: string }) => e.to_status),
    ).toEqual(['accepted', 'reserved', 'processing', 'processed']);
  });

  test('a payout the bank fails releases its hold in full', async () => {
    const before = await balance();
    const res = await create(
      inrPayout({
        amount: 70_000,
        beneficiary: { name: 'Fail Case', account_number: '999900010001', bank_code: 'HDFC0001234' },
      }),
    );
    expect(res.status).toBe(202);
    const failed = await settle(res.body.id, 'failed');
    expect(failed.failure).toMatchObject({ code: expect.any(String), message: expect.any(String) });
    expect(await balance()).toEqual(before);
    // RazorpayX states its fees (₹5 + GST) on the failed payout too, but the wallet paid none.
    const [row] = await system.db.db.select().from(payouts).where(eq(payouts.id, res.body.id));
    expect({ fees: row?.fees, tax: row?.tax }).toEqual({ fees: 500n, tax: 90n });
    expect({ fees: failed.fees, tax: failed.tax }).toEqual({ fees: 0, tax: 0 });
  });

  test('a reversal after processed returns amount, fees and tax', async () => {
    const before = await balance();
    const res = await create(
      inrPayout({
        amount: 80_000,
        beneficiary: { name: 'Reversal Case', account_number: '999900020002', bank_code: 'HDFC0001234' },
      }),
    );
    const reversed = await settle(res.body.id, 'reversed');
    expect(await balance()).toEqual(before);
    // Charged on processed, returned by the reversal: the wallet paid no fees for it in the end.
    expect({ fees: reversed.fees, tax: reversed.tax }).toEqual({ fees: 0, tax: 0 });
    const events = await tenant.api('GET', `/v1/payouts/${res.body.id}/events`);
    expect(
      events.body.data.filter((e: { applied: boolean }) => e.applied).map((e: { to_status: string }) => e.to_status),
    ).toContain('reversed');
  });

  test('the same Idempotency-Key twice gives one payout, at our end and at the provider', async () => {
    const body = inrPayout({ reference_id: 'invoice-42' });
    const first = await create(body, 'same-key-1');
    const second = await create(body, 'same-key-1');
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.body.id).toBe(first.body.id);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    const different = await create({ ...body, amount: 12_345 }, 'same-key-1');
    expect(different.status).toBe(422);
    expect(different.body.code).toBe('idempotency_key_reused');

    await settle(first.body.id, 'processed');
    const list = await tenant.api('GET', '/v1/payouts?reference_id=invoice-42');
    expect(list.body.data).toHaveLength(1);
    const atProvider = (await fetch(`${system.sandbox.url}/_admin/razorpayx/payouts`).then((r) => r.json())) as {
      data: { idempotency_key: string }[];
    };
    expect(
      atProvider.data.filter((p: { idempotency_key: string }) => p.idempotency_key === first.body.id),
    ).toHaveLength(1);
  });

  test("another tenant's key gets 404 for this tenant's payout, and cannot cancel it", async () => {
    const res = await create(inrPayout());
    const other = await createFundedTenant(system, 'globex', 0);
    expect((await other.api('GET', `/v1/payouts/${res.body.id}`)).status).toBe(404);
    expect((await other.api('POST', `/v1/payouts/${res.body.id}/cancel`)).status).toBe(404);
    expect((await other.api('GET', '/v1/payouts')).body.data).toEqual([]);
    await settle(res.body.id, 'processed');
  });

  test('without enough funds: fails with insufficient_funds, or waits in queued and is released by a funding', async () => {
    const poor = await createFundedTenant(system, 'poor', 10_000);
    const refused = await create(inrPayout({ amount: 20_000 }), undefined, poor.api);
    const failed = await settle(refused.body.id, 'failed', poor.api);
    expect(failed.failure.code).toBe('insufficient_funds');

    const waiting = await create(inrPayout({ amount: 20_000, queue_if_low_balance: true }), undefined, poor.api);
    const queued = await settle(waiting.body.id, 'queued', poor.api);
    expect(queued.queued_reason).toBe('wallet_low_balance');
    expect(await balance(poor.api)).toEqual({ available: 10_000, held: 0 });

    const op = client(system.api.url, system.operatorKey);
    const funding = await op('POST', `/v1/admin/tenants/${poor.id}/fundings`, {
      currency: 'INR',
      amount: 50_000,
      reference: 'topup-1',
    });
    expect(funding.status).toBe(201);
    expect(funding.body.released).toBe(1);
    await settle(waiting.body.id, 'processed', poor.api);
    // 60,000 funded − 20,000 paid − 500 fees − 90 tax.
    expect(await balance(poor.api)).toEqual({ available: 60_000 - 20_000 - 590, held: 0 });
  });

  test('a queued payout can be cancelled, and a processed one cannot', async () => {
    const poor = await createFundedTenant(system, 'poorer', 0);
    const waiting = await create(inrPayout({ amount: 20_000, queue_if_low_balance: true }), undefined, poor.api);
    await settle(waiting.body.id, 'queued', poor.api);
    const cancelled = await poor.api('POST', `/v1/payouts/${waiting.body.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');

    const done = await create(inrPayout());
    await settle(done.body.id, 'processed');
    const refused = await tenant.api('POST', `/v1/payouts/${done.body.id}/cancel`);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('payout_not_cancellable');
  });

  test('the ledger balances to the unit and every invariant holds', async () => {
    const report = await verifyLedger(system.db.db);
    expect(report.problems).toEqual([]);
    expect(report.totals.every((t) => t.sum === 0n)).toBe(true);
    expect(report.totals.length).toBeGreaterThan(0);
  });
});
