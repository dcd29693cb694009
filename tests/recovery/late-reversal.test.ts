import { payouts } from '@payouts/db';
import { verifyLedger } from '@payouts/ledger';
import { must, waitFor } from '@payouts/testing';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createFundedTenant, inrPayout, startTestSystem, type TestSystem } from '../support/system.ts';

/**
 * A bank returns a payout days after it was processed. RazorpayX says so by webhook; DRUO and
 * Krayon send none, so the reconciler looks again at their processed payouts once a day for
 * RECHECK_DAYS days (recheckProcessed). Here: a DRUO payout processed "a day ago" and reversed at
 * DRUO since is found and reversed in the ledger by one re-check run.
 */
let system: TestSystem;
let tenant: Awaited<ReturnType<typeof createFundedTenant>>;

beforeAll(async () => {
  // No reversal watch: the poll chain ends at processed, as it has long ended a day later.
  system = await startTestSystem({ env: { REVERSAL_WATCH_MS: '0' } });
  tenant = await createFundedTenant(system, 'late-reversal', { USD: 10_000_000, INR: 10_000_000 });
});
afterAll(async () => {
  await system?.stop();
});

const druoPayout = (account: string) => ({
  amount: 20_000,
  currency: 'USD',
  method: 'bank_account',
  description: 'Vendor payment',
  beneficiary: { provider_account_id: `acc_b7c41206-afb4-4954-a15c-dbcd5935${account}` },
});

async function processed(body: Record<string, unknown>, key: string) {
  const res = await tenant.api('POST', '/v1/payouts', body, { 'idempotency-key': key });
  expect(res.status).toBe(202);
  const id: string = res.body.id;
  await waitFor(async () => (await tenant.api('GET', `/v1/payouts/${id}`)).body.status === 'processed' || undefined, {
    message: `${id} processed`,
  });
  return id;
}

/** As if the payout had been processed `ms` ago. */
async function age(id: string, ms: number) {
  await system.db.db
    .update(payouts)
    .set({ updatedAt: sql`now() - make_interval(secs => ${ms / 1000})` })
    .where(eq(payouts.id, id));
}

describe('late reversals at a provider without webhooks', () => {
  test('a DRUO payout reversed a day after processed is found by the daily re-check', async () => {
    const reversedLate = await processed(druoPayout('0042'), 'late-1');
    const outsideSlice = await processed(druoPayout('0043'), 'late-2');
    const withWebhooks = await processed(inrPayout({ amount: 12_345 }), 'late-3');
    await age(reversedLate, 24 * 3600_000 + 10 * 60_000); // in this hour's slice of yesterday
    await age(outsideSlice, 24 * 3600_000 + 2 * 3600_000); // two hours earlier: another run's slice
    await age(withWebhooks, 24 * 3600_000 + 10 * 60_000); // RazorpayX: its webhook would say so

    const row = must(
      (await system.db.db.select().from(payouts).where(eq(payouts.id, reversedLate)))[0],
      'the payout reversed late',
    );
    const forced = await fetch(`${system.sandbox.url}/_admin/druo/payouts/${row.providerPayoutId}/status`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'REVERSED' }),
    });
    expect(forced.status).toBe(200);

    const run = await system.reconciler.recheckNow();
    expect(run.rechecked).toBe(1);
    await waitFor(
      async () => (await tenant.api('GET', `/v1/payouts/${reversedLate}`)).body.status === 'reversed' || undefined,
      { message: 'the late reversal recorded' },
    );
    expect((await tenant.api('GET', `/v1/payouts/${outsideSlice}`)).body.status).toBe('processed');
    expect((await tenant.api('GET', `/v1/payouts/${withWebhooks}`)).body.status).toBe('processed');
    const report = await verifyLedger(system.db.db);
    expect(report.problems).toEqual([]);
  });
});
