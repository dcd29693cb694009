import { idempotencyKeys, payoutEvents, payouts } from '@payouts/db';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createFundedTenant, inrPayout, startTestSystem, type TestSystem } from '../support/system.ts';

/**
 * POST /v1/payouts writes the key record, the payout and its first event in one statement
 * (createOnce). These check what that statement must guarantee: a replay writes nothing, the
 * first response is what is stored, and concurrent twins create exactly one payout.
 */
let system: TestSystem;
let tenant: Awaited<ReturnType<typeof createFundedTenant>>;

beforeAll(async () => {
  system = await startTestSystem();
  tenant = await createFundedTenant(system, 'idempotency');
  await system.stopProcessing(); // the stored row is compared with the first response, unmoved
});
afterAll(async () => {
  await system?.stop();
});

describe('Idempotency-Key on POST /v1/payouts', () => {
  test('the first response is the stored row, and a replay returns it again without writing', async () => {
    const body = inrPayout({ amount: 12_345, reference_id: 'idem-1' });
    const first = await tenant.api('POST', '/v1/payouts', body, { 'idempotency-key': 'idem-1' });
    expect(first.status).toBe(202);
    expect(first.headers.get('idempotent-replayed')).toBe('false');

    const got = await tenant.api('GET', `/v1/payouts/${first.body.id}`);
    expect(got.body).toEqual(first.body);

    const again = await tenant.api('POST', '/v1/payouts', body, { 'idempotency-key': 'idem-1' });
    expect(again.status).toBe(202);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);

    const rows = await system.db.db.select().from(payouts).where(eq(payouts.referenceId, 'idem-1'));
    expect(rows).toHaveLength(1);
    const events = await system.db.db.select().from(payoutEvents).where(eq(payoutEvents.payoutId, first.body.id));
    expect(events.map((e) => e.toStatus)).toEqual(['accepted']);
  });

  test('the same key with another body is a 422 and writes nothing', async () => {
    const before = (await system.db.db.select().from(payouts)).length;
    await tenant.api('POST', '/v1/payouts', inrPayout({ amount: 1_000 }), { 'idempotency-key': 'idem-2' });
    const res = await tenant.api('POST', '/v1/payouts', inrPayout({ amount: 2_000 }), { 'idempotency-key': 'idem-2' });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('idempotency_key_reused');
    expect((await system.db.db.select().from(payouts)).length).toBe(before + 1);
  });

  test('twenty concurrent twins create one payout; each gets it, or 409 while it is in flight', async () => {
    const body = inrPayout({ amount: 7_777, reference_id: 'idem-twins' });
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => tenant.api('POST', '/v1/payouts', body, { 'idempotency-key': 'idem-twins' })),
    );
    const created = answers.filter((a) => a.status === 202);
    expect(created.length).toBeGreaterThan(0);
    for (const a of answers) expect([202, 409]).toContain(a.status);
    expect(new Set(created.map((a) => a.body.id)).size).toBe(1);
    expect(created.filter((a) => a.headers.get('idempotent-replayed') === 'false')).toHaveLength(1);

    const rows = await system.db.db.select().from(payouts).where(eq(payouts.referenceId, 'idem-twins'));
    expect(rows).toHaveLength(1);
    const keys = await system.db.db.select().from(idempotencyKeys).where(eq(idempotencyKeys.key, 'idem-twins'));
    expect(keys).toHaveLength(1);
  });
});
