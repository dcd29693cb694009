import { payouts, providerSubmissions, rowsOf } from '@payouts/db';
import { waitFor } from '@payouts/testing';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createFundedTenant, startTestSystem, type TestSystem } from '../support/system.ts';

/**
 * Batch runs of two tenants draining at once take turns at the provider: a batch item's job
 * priority is its row in its run, so the queue serves row 1 of each run, then row 2, and so on. A
 * run posted while another is deep into its rows is sent before that run's remaining rows catch up
 * with it, never after all of them. Through the real queues (BullMQ on Redis, the provider's
 * budget at 20 calls a second): asserted on the order the provider received them, not on time.
 */
const RATE = 20;
/** Few jobs in hand at once, so the queue's order, not the jobs already taken, decides who goes next. */
const CONCURRENCY = 5;
const BIG = 300;
const SMALL = 20;

let system: TestSystem;

beforeAll(async () => {
  system = await startTestSystem({
    env: { RAZORPAYX_RATE_PER_SECOND: String(RATE), RAZORPAYX_CONCURRENCY: String(CONCURRENCY) },
  });
}, 120_000);
afterAll(async () => {
  await system?.stop();
});

const item = (tenant: string, i: number) => ({
  amount: 10_000 + i,
  currency: 'INR',
  method: 'IMPS',
  purpose: 'salary',
  reference_id: `${tenant}-${i}`,
  narration: 'Salary run',
  // Offset so no account ends in the sandbox's 0001/0002/0003 test endings.
  beneficiary: {
    name: `Employee ${i}`,
    account_number: `6000000${String(i + 10).padStart(5, '0')}`,
    bank_code: 'HDFC0001234',
  },
});

/** The run's payouts sent to the provider so far (the worker's claim, just before the call), oldest first. */
async function sent(batchId: string): Promise<{ id: string; at: Date }[]> {
  return system.db.db
    .select({ id: providerSubmissions.payoutId, at: providerSubmissions.firstAt })
    .from(providerSubmissions)
    .innerJoin(payouts, eq(payouts.id, providerSubmissions.payoutId))
    .where(eq(payouts.batchId, batchId))
    .orderBy(providerSubmissions.firstAt);
}

test("a run posted while another tenant's long run drains is sent before that run's remaining rows", async () => {
  const a = await createFundedTenant(system, 'fair-a', 1_000_000_000);
  const b = await createFundedTenant(system, 'fair-b', 1_000_000_000);
  const big = await a.api(
    'POST',
    '/v1/payout-batches',
    { items: Array.from({ length: BIG }, (_, i) => item('a', i)) },
    { 'idempotency-key': 'fair-a-run' },
  );
  expect(big.status, JSON.stringify(big.body).slice(0, 300)).toBe(202);
  // A's run is draining: some of its rows were sent, most wait their turn.
  await waitFor(async () => (await sent(big.body.id)).length >= 10, { message: "A's run draining" });

  const small = await b.api(
    'POST',
    '/v1/payout-batches',
    { items: Array.from({ length: SMALL }, (_, i) => item('b', i)) },
    { 'idempotency-key': 'fair-b-run' },
  );
  expect(small.status).toBe(202);
  const [unsent] = rowsOf<{ n: number }>(
    await system.db.db.execute(
      sql`select count(*)::int as n from payouts p where p.batch_id = ${big.body.id}
          and not exists (select 1 from provider_submissions s where s.payout_id = p.id)`,
    ),
  );
  const unsentWhenPosted = unsent?.n ?? 0;
  // Otherwise there is nothing to overtake: the machine was too slow to post B in time to tell.
  expect(unsentWhenPosted).toBeGreaterThan(BIG / 2);

  await waitFor(async () => (await sent(small.body.id)).length === SMALL, {
    timeoutMs: 180_000,
    message: "B's run sent",
  });
  const lastOfB = (await sent(small.body.id)).at(-1)?.at as Date;
  await waitFor(async () => (await sent(big.body.id)).length === BIG, {
    timeoutMs: 180_000,
    message: "A's run sent",
  });
  const afterB = (await sent(big.body.id)).filter((s) => s.at > lastOfB).length;
  // First in, first out, B's run would wait for every row of A's: none of A's after B's last. In
  // turns, B's rows go before A's deeper ones: at most B's own rows' worth of A's rows (taking turns
  // at the same depth) and the jobs the worker held already go first.
  expect(afterB).toBeGreaterThanOrEqual(unsentWhenPosted - SMALL - 2 * CONCURRENCY);
}, 420_000);
