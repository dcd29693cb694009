import { payouts } from '@payouts/db';
import { waitFor } from '@payouts/testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createFundedTenant, inrPayout, startTestSystem, type TestSystem } from '../support/system.ts';

/**
 * Rails: each provider's rails and limits (RazorpayX: IMPS ≤ ₹5,00,000, RTGS ≥ ₹2,00,000, UPI ≤
 * ₹1,00,000, NEFT unlimited) are checked before anything is stored, and `method: "auto"` picks the
 * rail by amount and beneficiary, through the sandbox.
 */
let system: TestSystem;
let tenant: Awaited<ReturnType<typeof createFundedTenant>>;

const LAKH = 100_000 * 100; // ₹1,00,000 in paise

beforeAll(async () => {
  system = await startTestSystem();
  tenant = await createFundedTenant(system, 'rails', 50 * LAKH);
});
afterAll(async () => {
  await system?.stop();
});

const post = (body: unknown) => tenant.api('POST', '/v1/payouts', body, { 'idempotency-key': `k-${Math.random()}` });
const stored = async () => (await system.db.db.select().from(payouts)).length;

async function settled(id: string) {
  return waitFor(
    async () => {
      const res = await tenant.api('GET', `/v1/payouts/${id}`);
      return res.body.status === 'processed' ? res.body : undefined;
    },
    { message: `payout ${id} to be processed` },
  );
}

describe('rail limits', () => {
  test.each([
    ['a ₹100 RTGS payout (RTGS starts at ₹2,00,000)', { method: 'RTGS', amount: 10_000 }],
    ['an IMPS payout over ₹5,00,000', { method: 'IMPS', amount: 5 * LAKH + 1 }],
    [
      'a UPI payout over ₹1,00,000',
      { method: 'UPI', amount: LAKH + 1, beneficiary: { name: 'A', provider_account_id: 'fa_00000000000001' } },
    ],
  ])('%s is a 422 naming amount and method, and nothing is stored', async (_, overrides) => {
    const before = await stored();
    const res = await post(inrPayout(overrides));
    expect(res.status).toBe(422);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['amount', 'method']);
    expect(await stored()).toBe(before);
  });

  test('the limits themselves are allowed: IMPS at ₹5,00,000, RTGS at ₹2,00,000, NEFT of any amount', async () => {
    for (const body of [
      inrPayout({ method: 'IMPS', amount: 5 * LAKH }),
      inrPayout({ method: 'RTGS', amount: 2 * LAKH }),
      inrPayout({ method: 'NEFT', amount: 100 }),
    ]) {
      const res = await post(body);
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      expect(res.body.method).toBe(body.method);
    }
  });

  test('a batch row breaking its rail is refused with the row, amount and method named', async () => {
    const before = await stored();
    const items = [
      inrPayout({ reference_id: 'rail-1' }),
      inrPayout({ reference_id: 'rail-2', method: 'RTGS', amount: 10_000 }),
    ];
    const res = await tenant.api('POST', '/v1/payout-batches', { items }, { 'idempotency-key': 'rails-batch' });
    expect(res.status).toBe(422);
    expect(res.body.row_errors).toEqual([
      { row: 2, field: 'amount', message: expect.stringContaining('RTGS'), reference_id: 'rail-2' },
      { row: 2, field: 'method', message: expect.stringContaining('RTGS'), reference_id: 'rail-2' },
    ]);
    expect(await stored()).toBe(before);
  });
});

describe('method: "auto"', () => {
  test.each([
    ['IMPS up to ₹5,00,000', 5 * LAKH, 'IMPS'],
    ['NEFT above it', 5 * LAKH + 1, 'NEFT'],
  ])(
    'picks %s; the object says the rail from the answer on, the history says it was chosen',
    async (_, amount, rail) => {
      const res = await post(inrPayout({ method: 'auto', amount }));
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      expect(res.body.method).toBe(rail);
      const done = await settled(res.body.id);
      expect(done.method).toBe(rail);
      const history = await tenant.api('GET', `/v1/payouts/${res.body.id}/events`);
      expect(history.body.data[0]).toMatchObject({
        to_status: 'accepted',
        detail: expect.objectContaining({ method_requested: 'auto', method: rail }),
      });
      const [row] = await system.db.db.select().from(payouts).where(eq(payouts.id, res.body.id));
      expect(row?.method).toBe(rail);
    },
  );

  test('picks UPI for a UPI address (a vpa fund account) within the UPI limit', async () => {
    const res = await post(
      inrPayout({
        method: 'auto',
        amount: 20_000,
        beneficiary: { name: 'Asha Rao', account_type: 'vpa', provider_account_id: 'fa_00000000000001' },
      }),
    );
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body.method).toBe('UPI');
  });

  test('a UPI address over the UPI limit has no rail: a 422 naming method', async () => {
    const res = await post(
      inrPayout({
        method: 'auto',
        amount: LAKH + 1,
        beneficiary: { name: 'Asha Rao', account_type: 'vpa', provider_account_id: 'fa_00000000000001' },
      }),
    );
    expect(res.status).toBe(422);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['method']);
  });

  test('in a batch each row gets its own rail, and its own history', async () => {
    const items = [
      inrPayout({ reference_id: 'auto-1', method: 'auto', amount: 1_000 }),
      inrPayout({ reference_id: 'auto-2', method: 'auto', amount: 6 * LAKH }),
      inrPayout({ reference_id: 'auto-3', method: 'NEFT', amount: 1_000 }),
    ];
    const res = await tenant.api('POST', '/v1/payout-batches', { items }, { 'idempotency-key': 'auto-batch' });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const page = await tenant.api('GET', `/v1/payout-batches/${res.body.id}/payouts`);
    const byRef = new Map(page.body.data.map((p: { reference_id: string }) => [p.reference_id, p]));
    const methodOf = (ref: string) => (byRef.get(ref) as { method: string }).method;
    expect([methodOf('auto-1'), methodOf('auto-2'), methodOf('auto-3')]).toEqual(['IMPS', 'NEFT', 'NEFT']);
    const first = async (ref: string) =>
      (await tenant.api('GET', `/v1/payouts/${(byRef.get(ref) as { id: string }).id}/events`)).body.data[0].detail;
    expect(await first('auto-2')).toMatchObject({ method_requested: 'auto', method: 'NEFT', batchId: res.body.id });
    expect(await first('auto-3')).not.toHaveProperty('method_requested');
  });
});
