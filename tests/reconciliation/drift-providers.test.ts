import { newId } from '@payouts/core';
import { payouts } from '@payouts/db';
import { must, waitFor } from '@payouts/testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { client, createFundedTenant, startTestSystem, type TestSystem } from '../support/system.ts';

/**
 * Reconciliation against Krayon, the Thai gateway and DRUO, every drift made through the
 * sandbox's admin API (the same `POST /_admin/{provider}/payouts/{id}/drift` as RazorpayX's): each
 * drift the provider can show is reported with its reason and both sides. None of the three can
 * list its payouts, so a payout they hold that we never sent (`unknown_to_us`) cannot be seen: the
 * run looks each of ours up instead. A drift of something the provider never states is refused.
 */
let system: TestSystem;
let tenant: Awaited<ReturnType<typeof createFundedTenant>>;
let op: ReturnType<typeof client>;
const startedAt = Date.now() - 60_000;

beforeAll(async () => {
  system = await startTestSystem({
    // Processed payouts are not looked at again (no reversal watch, no re-check): only the run sees a drift.
    env: {
      RECONCILIATION_POLL_MS: '100',
      RECONCILIATION_NIGHTLY_AT: 'off',
      REVERSAL_WATCH_MS: '0',
      RECHECK_INTERVAL_MS: '0',
    },
  });
  tenant = await createFundedTenant(system, 'recon-providers', { INR: 50_000_000, THB: 50_000_000, USD: 50_000_000 });
  op = client(system.api.url, system.operatorKey);
}, 300_000);
afterAll(async () => {
  await system?.stop();
});

interface Case {
  provider: 'krayon' | 'thai-gateway' | 'druo';
  payout: (key: string) => Record<string, unknown>;
  /** Drifts the provider states, with the provider's status for a status drift. */
  drifts: { amount: number; fees?: { fees: number; want: string }; status: string };
  /** A change the provider cannot state: refused by the sandbox. */
  unstated: Record<string, unknown>;
  /** What an untouched payout's `theirs` shows besides the usual fields. */
  readings?: Record<string, unknown>;
}

const CASES: Case[] = [
  {
    provider: 'krayon',
    payout: (key) => ({
      amount: 50_000,
      currency: 'INR',
      provider: 'krayon',
      method: 'IMPS',
      reference_id: key,
      description: 'reconciliation',
      beneficiary: {
        name: 'Elon Mush',
        first_name: 'elon',
        last_name: 'mush',
        email: 'elon@example.com',
        phone: '919895270111',
        country: 'IN',
        account_number: '1111114242',
        bank_code: 'KKBK0000261',
        address: { line1: 'Address Line 1', country: 'IN' },
      },
    }),
    drifts: { amount: 49_000, fees: { fees: 900, want: '900' }, status: 'REVERSED' },
    unstated: { utr: 'UTR1' },
    // KRAYON_FEE_MODE on_top (the default): Krayon's net_amount fits that reading, not the other.
    readings: {
      fee_readings: {
        net_amount: '50000',
        on_top: { paid_out: '50000', debited: '50500' },
        deducted: { paid_out: '49500', debited: '50000' },
        fits: 'on_top',
      },
    },
  },
  {
    provider: 'thai-gateway',
    payout: (key) => ({
      amount: 100_000,
      currency: 'THB',
      provider: 'thai-gateway',
      method: 'bank_account',
      reference_id: key,
      description: 'reconciliation',
      beneficiary: { name: 'John Doe', account_number: '1234564242', bank_code: '004' },
    }),
    drifts: { amount: 90_000, status: 'reversed' },
    unstated: { fees: 100 },
  },
  {
    provider: 'druo',
    payout: (key) => ({
      amount: 5_000,
      currency: 'USD',
      provider: 'druo',
      method: 'bank_account',
      reference_id: key,
      description: 'reconciliation',
      beneficiary: { provider_account_id: 'acc_b7c41206-afb4-4954-a15c-dbcd59355000' },
    }),
    drifts: { amount: 4_000, fees: { fees: 777, want: '777' }, status: 'REVERSED' },
    unstated: { tax: 10 },
  },
];

async function sandbox(provider: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${system.sandbox.url}/_admin/${provider}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { error: { code: string; message: string } } };
}

async function processed(id: string) {
  return waitFor(
    async () => {
      const res = await tenant.api('GET', `/v1/payouts/${id}`);
      return res.body.status === 'processed' ? res.body : undefined;
    },
    { message: `${id} processed` },
  );
}

describe.each(CASES)('$provider: a run finds each drift the provider can show, with both sides', (c) => {
  const ids: Record<string, string> = {};
  // biome-ignore lint/suspicious/noExplicitAny: items are read loosely and asserted on
  let byPayout: Map<string | null, any>;
  // biome-ignore lint/suspicious/noExplicitAny: the run is read loosely and asserted on
  let run: any;
  const kinds = ['clean', 'amount', 'status', ...(c.drifts.fees ? ['fees'] : [])];

  beforeAll(async () => {
    for (const kind of kinds) {
      const key = `rcp-${c.provider}-${kind}`;
      const res = await tenant.api('POST', '/v1/payouts', c.payout(key), { 'idempotency-key': key });
      expect(res.status).toBe(202);
      ids[kind] = res.body.id;
    }
    const theirId: Record<string, string> = {};
    for (const kind of kinds) theirId[kind] = (await processed(must(ids[kind], kind))).provider_payout_id;
    // Nothing of ours looks at these payouts again but the run.
    await system.pauseProvider(c.provider);

    const drift = (kind: string, change: unknown) =>
      sandbox(c.provider, 'POST', `/payouts/${must(theirId[kind], kind)}/drift`, change);
    expect((await drift('amount', { amount: c.drifts.amount })).status).toBe(200);
    expect((await drift('status', { status: c.drifts.status })).status).toBe(200);
    if (c.drifts.fees) expect((await drift('fees', { fees: c.drifts.fees.fees })).status).toBe(200);

    // A payout of ours the provider has no record of: sent, as far as we know, under an id it never gave.
    const [template] = await system.db.db
      .select()
      .from(payouts)
      .where(eq(payouts.id, must(ids.clean, 'clean')));
    ids.missing = newId('payout');
    await system.db.db.insert(payouts).values({
      ...must(template, 'template'),
      id: ids.missing,
      providerIdempotencyKey: ids.missing,
      referenceId: `rcp-${c.provider}-missing`,
      providerPayoutId: `never-given-${c.provider}`,
      createdAt: new Date(),
      updatedAt: new Date(),
      historyHash: null,
    });

    const start = await op('POST', '/v1/admin/reconciliations', {
      provider: c.provider,
      from: new Date(startedAt).toISOString(),
      to: new Date(Date.now() + 60_000).toISOString(),
    });
    expect(start.status).toBe(201);
    system.reconciler.nudgeReconciliation();
    run = await waitFor(
      async () => {
        const res = await op('GET', `/v1/admin/reconciliations/${start.body.id}`);
        if (res.body.status === 'failed') throw new Error(`run failed: ${res.body.error}`);
        return res.body.status === 'completed' ? res.body : undefined;
      },
      { message: `the ${c.provider} run completed` },
    );
    const items = await op('GET', `/v1/admin/reconciliations/${start.body.id}/items?reason=all&limit=100`);
    expect(items.status).toBe(200);
    byPayout = new Map(items.body.data.map((i: { payout_id: string | null }) => [i.payout_id, i]));
  }, 300_000);

  test('the untouched payout matches', () => {
    const item = byPayout.get(must(ids.clean, 'clean'));
    expect(item).toMatchObject({ reason: 'matched' });
    if (c.readings) expect(item.theirs).toMatchObject(c.readings);
    else expect(item.theirs.fee_readings).toBeUndefined();
  });

  test('another amount is amount_mismatch, both amounts shown', () => {
    const amount = Number(c.payout('x').amount);
    expect(byPayout.get(must(ids.amount, 'amount'))).toMatchObject({
      reason: 'amount_mismatch',
      ours: { amount: String(amount), status: 'processed' },
      theirs: { amount: String(c.drifts.amount) },
    });
  });

  test('another status is status_mismatch, both statuses shown', () => {
    expect(byPayout.get(must(ids.status, 'status'))).toMatchObject({
      reason: 'status_mismatch',
      ours: { status: 'processed' },
      theirs: { status: 'reversed', raw_status: c.drifts.status },
    });
  });

  test(c.drifts.fees ? 'another fee is fee_mismatch, both fees shown' : 'it states no fee, so none is compared', () => {
    if (!c.drifts.fees) {
      // The Thai gateway documents no fees: every item says so, and a fee drift is refused below.
      for (const item of byPayout.values()) if (item.theirs) expect(item.theirs.fees).toBeNull();
      return;
    }
    const item = byPayout.get(must(ids.fees, 'fees'));
    expect(item).toMatchObject({ reason: 'fee_mismatch', theirs: { fees: c.drifts.fees.want } });
    expect(item.ours.fees).not.toBe(c.drifts.fees.want);
  });

  test('a payout the provider has no record of is missing_at_provider', () => {
    expect(byPayout.get(must(ids.missing, 'missing'))).toMatchObject({
      reason: 'missing_at_provider',
      ours: { provider_payout_id: `never-given-${c.provider}` },
      theirs: null,
    });
  });

  test('nothing is unknown_to_us: the provider cannot list, so the run looked each payout up', () => {
    expect(run.counts.unknown_to_us).toBe(0);
    expect(run.progress.provider_records_seen).toBe(0);
    expect(run.progress.provider_calls).toBe(kinds.length + 1);
    // No balance either: the provider reports none.
    expect(run.balance).toBeNull();
  });

  test('a drift of something the provider never states is refused, naming it', async () => {
    const res = await sandbox(
      c.provider,
      'POST',
      `/payouts/${byPayout.get(must(ids.clean, 'clean')).provider_payout_id}/drift`,
      c.unstated,
    );
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('not_stated');
    expect(res.body.error.message).toContain(must(Object.keys(c.unstated)[0], 'the unstated field'));
  });

  test('holding a payout we never sent is not supported where the provider cannot list', async () => {
    const res = await sandbox(c.provider, 'POST', '/foreign-payouts', { payouts: [{ amount: 1000 }] });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_supported');
  });
});
