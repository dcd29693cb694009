import { payoutBatches, payouts } from '@payouts/db';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { apiFetch, createFundedTenant, inrPayout, startTestSystem, type TestSystem } from '../support/system.ts';

/**
 * `dry_run` on `POST /v1/payout-batches`: the upload judged exactly as it would be (row rules,
 * duplicate guard, totals, wallet pre-flight), answered as a preview, and nothing stored. The
 * console's batch page shows this preview before anything is submitted.
 */
let system: TestSystem;
let tenant: Awaited<ReturnType<typeof createFundedTenant>>;
beforeAll(async () => {
  system = await startTestSystem();
  tenant = await createFundedTenant(system, 'dry-run', 1_000_000);
});
afterAll(async () => {
  await system?.stop();
});

const HEADER =
  'amount,currency,method,purpose,reference_id,beneficiary_name,beneficiary_account_number,beneficiary_bank_code';

async function stored() {
  const db = system.db.db;
  return { batches: (await db.select().from(payoutBatches)).length, payouts: (await db.select().from(payouts)).length };
}

async function csvDryRun(csv: string, query = '') {
  const res = await apiFetch(`${system.api.url}/v1/payout-batches?dry_run=true${query}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${tenant.key}`, 'content-type': 'text/csv' },
    body: csv,
  });
  // biome-ignore lint/suspicious/noExplicitAny: a response body under test
  return { status: res.status, body: (await res.json()) as any };
}

describe('batch dry runs', () => {
  test('a CSV with a bad row: the row named with its field, totals of the valid rows, nothing stored', async () => {
    const before = await stored();
    const { status, body } = await csvDryRun(
      [
        HEADER,
        '1000,INR,IMPS,salary,dry-1,Asha Rao,500000000011,HDFC0001234',
        '-5,INR,IMPS,salary,dry-2,Ravi Kumar,500000000012,HDFC0001234',
        '2500,INR,IMPS,salary,dry-3,Meera Nair,500000000013,HDFC0001234',
      ].join('\n'),
    );
    expect(status).toBe(200);
    expect(body).toMatchObject({
      object: 'payout_batch_preview',
      dry_run: true,
      mode: 'all_or_nothing',
      rows: { total: 3, valid: 2, invalid: 1 },
      totals: [{ currency: 'INR', provider: 'razorpayx', count: 2, amount: 3500 }],
      shortfalls: [],
      would_store: false,
    });
    expect(body.row_errors).toEqual([{ row: 2, field: 'amount', message: expect.any(String), reference_id: 'dry-2' }]);
    const lenient = await csvDryRun(
      `${HEADER}\n1000,INR,IMPS,salary,dry-1,Asha Rao,500000000011,HDFC0001234\n-5,INR,IMPS,salary,dry-2,R K,500000000012,HDFC0001234`,
      '&mode=accept_valid',
    );
    expect(lenient.body.would_store).toBe(true);
    expect(await stored()).toEqual(before);
  });

  test('a JSON run the wallet cannot cover: the shortfall per currency, no Idempotency-Key needed', async () => {
    const before = await stored();
    const res = await tenant.api('POST', '/v1/payout-batches', {
      items: [inrPayout({ amount: 900_000 }), inrPayout({ amount: 900_000 })],
      dry_run: true,
    });
    expect(res.status).toBe(200);
    expect(res.body.rows).toEqual({ total: 2, valid: 2, invalid: 0 });
    expect(res.body.shortfalls).toEqual([{ currency: 'INR', needed: expect.any(Number), available: 1_000_000 }]);
    expect(res.body.shortfalls[0].needed).toBeGreaterThan(1_800_000 - 1);
    expect(res.body.would_store).toBe(false);
    const queued = await tenant.api('POST', '/v1/payout-batches', {
      items: [inrPayout({ amount: 900_000 }), inrPayout({ amount: 900_000 })],
      on_insufficient_funds: 'queue',
      dry_run: true,
    });
    expect(queued.body.would_store).toBe(true);
    expect(await stored()).toEqual(before);
  });

  test('without dry_run the Idempotency-Key is still required', async () => {
    const res = await tenant.api('POST', '/v1/payout-batches', { items: [inrPayout()] });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('idempotency_key_missing');
  });
});
