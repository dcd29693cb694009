import { payouts } from '@payouts/db';
import { must, waitFor } from '@payouts/testing';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createFundedTenant, inrPayout, startTestSystem, type TestSystem } from '../support/system.ts';

/**
 * The duplicate guard: a tenant's `reference_id` belongs to one payout that is not failed, rejected
 * or cancelled. A retry under the same Idempotency-Key still replays; a new key is refused with
 * `409 duplicate_reference` naming the payout that holds it; a batch reports such rows as row errors.
 */
let system: TestSystem;
type Tenant = Awaited<ReturnType<typeof createFundedTenant>>;
let tenant: Tenant;

beforeAll(async () => {
  system = await startTestSystem();
  tenant = await createFundedTenant(system, 'duplicates', 100_000_000);
});
afterAll(async () => {
  await system?.stop();
});

async function payoutsWithReference(tenantId: string, reference: string) {
  return system.db.db
    .select({ id: payouts.id, status: payouts.status })
    .from(payouts)
    .where(and(eq(payouts.tenantId, tenantId), eq(payouts.referenceId, reference)));
}

describe('single payouts', () => {
  test('a second payout with the reference is 409 duplicate_reference naming the first; its key replays', async () => {
    const first = await tenant.api('POST', '/v1/payouts', inrPayout({ reference_id: 'refund-1' }), {
      'idempotency-key': 'dup-1a',
    });
    expect(first.status).toBe(202);

    const second = await tenant.api('POST', '/v1/payouts', inrPayout({ reference_id: 'refund-1' }), {
      'idempotency-key': 'dup-1b',
    });
    expect(second.status).toBe(409);
    expect(second.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(second.body).toMatchObject({
      code: 'duplicate_reference',
      existing_payout_id: first.body.id,
      errors: [{ field: 'reference_id', message: expect.stringContaining(first.body.id) }],
    });
    expect(second.body.detail).toContain(first.body.id);

    // The same key is a replay of the first answer, not a duplicate.
    const replay = await tenant.api('POST', '/v1/payouts', inrPayout({ reference_id: 'refund-1' }), {
      'idempotency-key': 'dup-1a',
    });
    expect(replay.status).toBe(202);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(first.body);

    // The refused key stored nothing: asked again, it is judged again (and refused again).
    const again = await tenant.api('POST', '/v1/payouts', inrPayout({ reference_id: 'refund-1' }), {
      'idempotency-key': 'dup-1b',
    });
    expect(again.status).toBe(409);
    expect(await payoutsWithReference(tenant.id, 'refund-1')).toHaveLength(1);
  });

  test('another tenant may use the same reference', async () => {
    const other = await createFundedTenant(system, 'duplicates-other');
    await tenant.api('POST', '/v1/payouts', inrPayout({ reference_id: 'shared-ref' }), { 'idempotency-key': 'dup-s1' });
    const res = await other.api('POST', '/v1/payouts', inrPayout({ reference_id: 'shared-ref' }), {
      'idempotency-key': 'dup-s1',
    });
    expect(res.status).toBe(202);
  });

  test('a failed payout frees its reference, and shows no fees or tax charged', async () => {
    // An account ending in 0001 fails at the beneficiary bank (the sandbox's test numbers).
    const failing = { name: 'Asha Rao', account_number: '123456780001', bank_code: 'HDFC0001234' };
    const first = await tenant.api(
      'POST',
      '/v1/payouts',
      inrPayout({ reference_id: 'retry-me', beneficiary: failing }),
      {
        'idempotency-key': 'dup-f1',
      },
    );
    expect(first.status).toBe(202);
    const failed = await waitFor(
      async () => {
        const res = await tenant.api('GET', `/v1/payouts/${first.body.id}`);
        return res.body.status === 'failed' ? res.body : undefined;
      },
      { message: 'the payout to fail at the beneficiary bank' },
    );
    expect(failed).toMatchObject({ fees: 0, tax: 0 });

    const retried = await tenant.api('POST', '/v1/payouts', inrPayout({ reference_id: 'retry-me' }), {
      'idempotency-key': 'dup-f2',
    });
    expect(retried.status).toBe(202);
    const third = await tenant.api('POST', '/v1/payouts', inrPayout({ reference_id: 'retry-me' }), {
      'idempotency-key': 'dup-f3',
    });
    expect(third.status).toBe(409);
    expect(third.body.existing_payout_id).toBe(retried.body.id);
  });

  test('concurrent creates with one reference: exactly one 202, the others 409 naming it', async () => {
    const rounds = 8;
    const results = await Promise.all(
      Array.from({ length: rounds }, (_, r) =>
        Promise.all(
          Array.from({ length: 4 }, (_, i) =>
            tenant.api('POST', '/v1/payouts', inrPayout({ reference_id: `race-${r}` }), {
              'idempotency-key': `dup-race-${r}-${i}`,
            }),
          ),
        ),
      ),
    );
    for (const [r, round] of results.entries()) {
      const created = round.filter((res) => res.status === 202);
      const refused = round.filter((res) => res.status === 409);
      expect(created, JSON.stringify(round.map((x) => x.body))).toHaveLength(1);
      expect(refused).toHaveLength(3);
      for (const res of refused) {
        expect(res.body).toMatchObject({
          code: 'duplicate_reference',
          existing_payout_id: must(created[0], 'the created one').body.id,
        });
      }
      expect(await payoutsWithReference(tenant.id, `race-${r}`)).toHaveLength(1);
    }
  });

  test('a tenant may turn the guard off (and on again, without failing on what it let through)', async () => {
    const own = await createFundedTenant(system, 'duplicates-off');
    expect((await own.api('GET', '/v1/settings')).body).toEqual({
      object: 'settings',
      duplicate_reference_guard: true,
      beneficiary_cooling_off_hours: 0,
      payout_purposes: [],
      rail_fallback: false,
    });
    const first = await own.api('POST', '/v1/payouts', inrPayout({ reference_id: 'inv-9' }), {
      'idempotency-key': 'o1',
    });
    expect(first.status).toBe(202);

    const off = await own.api('PATCH', '/v1/settings', { duplicate_reference_guard: false });
    expect(off).toMatchObject({ status: 200, body: { object: 'settings', duplicate_reference_guard: false } });
    const twin = await own.api('POST', '/v1/payouts', inrPayout({ reference_id: 'inv-9' }), {
      'idempotency-key': 'o2',
    });
    expect(twin.status).toBe(202);
    const batch = await own.api(
      'POST',
      '/v1/payout-batches',
      { items: [inrPayout({ reference_id: 'inv-9' }), inrPayout({ reference_id: 'inv-9' })] },
      { 'idempotency-key': 'o3' },
    );
    expect(batch.status).toBe(202);
    expect(batch.body.rows.accepted).toBe(2);

    expect((await own.api('PATCH', '/v1/settings', { duplicate_reference_guard: true })).status).toBe(200);
    const refused = await own.api('POST', '/v1/payouts', inrPayout({ reference_id: 'inv-9' }), {
      'idempotency-key': 'o4',
    });
    expect(refused.status).toBe(409);
    expect(refused.body.existing_payout_id).toBe(first.body.id);
    expect(await payoutsWithReference(own.id, 'inv-9')).toHaveLength(4);
  });

  test('settings: an unknown field or a non-boolean is a 422 naming it', async () => {
    const unknown = await tenant.api('PATCH', '/v1/settings', { duplicate_guard: false });
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors).toEqual([{ field: 'duplicate_guard', message: 'is not a known field' }]);
    const notBoolean = await tenant.api('PATCH', '/v1/settings', { duplicate_reference_guard: 'no' });
    expect(notBoolean.status).toBe(422);
    expect(notBoolean.body.errors).toEqual([{ field: 'duplicate_reference_guard', message: 'must be true or false' }]);
    expect((await tenant.api('GET', '/v1/settings')).body.duplicate_reference_guard).toBe(true);
  });
});

describe('batches', () => {
  test('rows repeating each other or a live payout are row errors; all_or_nothing stores nothing', async () => {
    const live = await tenant.api('POST', '/v1/payouts', inrPayout({ reference_id: 'emp-live' }), {
      'idempotency-key': 'dup-b0',
    });
    expect(live.status).toBe(202);
    const items = [
      inrPayout({ reference_id: 'emp-a' }),
      inrPayout({ reference_id: 'emp-live' }),
      inrPayout({ reference_id: 'emp-a' }),
      inrPayout({ reference_id: 'emp-b' }),
    ];
    const refused = await tenant.api('POST', '/v1/payout-batches', { items }, { 'idempotency-key': 'dup-b1' });
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('batch_invalid');
    expect(refused.body.row_errors).toEqual([
      {
        row: 2,
        field: 'reference_id',
        message: expect.stringContaining(live.body.id),
        reference_id: 'emp-live',
      },
      { row: 3, field: 'reference_id', message: 'repeats the reference_id of row 1', reference_id: 'emp-a' },
    ]);
    expect(await payoutsWithReference(tenant.id, 'emp-a')).toHaveLength(0);

    const accepted = await tenant.api(
      'POST',
      '/v1/payout-batches',
      { items, mode: 'accept_valid' },
      { 'idempotency-key': 'dup-b2' },
    );
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({ rows: { accepted: 2, rejected: 2, total: 4 } });
    expect(accepted.body.errors.map((e: { row: number }) => e.row)).toEqual([2, 3]);
    expect(await payoutsWithReference(tenant.id, 'emp-a')).toHaveLength(1);
    expect(await payoutsWithReference(tenant.id, 'emp-live')).toHaveLength(1);
  });

  test('a CSV run is checked the same way', async () => {
    const csv =
      'amount,currency,method,purpose,reference_id,beneficiary_name,beneficiary_account_number,beneficiary_bank_code\n' +
      '1000,INR,IMPS,refund,csv-1,Asha Rao,123456789012,HDFC0001234\n' +
      '1000,INR,IMPS,refund,csv-1,Asha Rao,123456789012,HDFC0001234\n';
    const res = await tenant.api('POST', '/v1/payout-batches', csv, {
      'content-type': 'text/csv',
      'idempotency-key': 'dup-csv',
    });
    expect(res.status).toBe(422);
    expect(res.body.row_errors).toEqual([
      { row: 2, field: 'reference_id', message: 'repeats the reference_id of row 1', reference_id: 'csv-1' },
    ]);
  });

  test('concurrent runs with one reference: one payout holds it, every other run is refused', async () => {
    const runs = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        tenant.api(
          'POST',
          '/v1/payout-batches',
          { items: [inrPayout({ reference_id: 'run-race' }), inrPayout({ reference_id: `run-race-own-${i}` })] },
          { 'idempotency-key': `dup-run-${i}` },
        ),
      ),
    );
    const statuses = runs.map((r) => r.status).sort();
    expect(
      statuses.filter((s) => s === 202),
      JSON.stringify(runs.map((r) => r.body)),
    ).toHaveLength(1);
    // Refused by the check before storing (422, the row named) or by the index while storing (409).
    for (const run of runs.filter((r) => r.status !== 202)) {
      expect([409, 422]).toContain(run.status);
      expect(['duplicate_reference', 'batch_invalid']).toContain(run.body.code);
    }
    expect(await payoutsWithReference(tenant.id, 'run-race')).toHaveLength(1);
  });
});
