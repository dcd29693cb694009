import { verifyAuditChains } from '@payouts/db';
import { verifyLedger } from '@payouts/ledger';
import { type CanonicalPayout, createKrayonAdapter, createThaiGatewayAdapter } from '@payouts/providers';
import { must, waitFor } from '@payouts/testing';
import { loadPayout, toCanonical } from '@payouts/worker';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { apiFetch, createFundedTenant, startTestSystem, type TestSystem } from '../support/system.ts';

/**
 * Every provider, end to end through its simulator: processed with the ledger right, failed with
 * the provider's reason, the provider's own low balance, a retry after a timeout that the provider
 * had committed, a duplicate reference, and webhook signatures.
 */
let system: TestSystem;
let tenant: Awaited<ReturnType<typeof createFundedTenant>>;

beforeAll(async () => {
  system = await startTestSystem({ webhooks: true, env: { PROVIDER_TIMEOUT_MS: '1000' } });
  tenant = await createFundedTenant(system, 'everywhere', {
    INR: 50_000_000,
    THB: 50_000_000,
    USD: 50_000_000,
    COP: 50_000_000,
  });
});
afterAll(async () => {
  await system?.stop();
});

type Provider = 'razorpayx' | 'krayon' | 'thai-gateway' | 'druo';

/** A valid payout for each provider; `account` sets the last four characters the sandbox reads. */
const payouts: Record<Provider, (account: string, extra?: Record<string, unknown>) => Record<string, unknown>> = {
  razorpayx: (account) => ({
    amount: 50_000,
    currency: 'INR',
    method: 'IMPS',
    purpose: 'payout',
    beneficiary: { name: 'Asha Rao', account_number: `12345678${account}`, bank_code: 'HDFC0001234' },
  }),
  krayon: (account) => ({
    amount: 50_000,
    currency: 'INR',
    provider: 'krayon',
    method: 'IMPS',
    description: 'first payout for the organization',
    beneficiary: {
      name: 'Elon Mush',
      first_name: 'elon',
      last_name: 'mush',
      email: 'elon@example.com',
      phone: '919895270111',
      country: 'IN',
      account_number: `111111${account}`,
      bank_code: 'KKBK0000261',
      address: { line1: 'Address Line 1', country: 'IN' },
    },
  }),
  'thai-gateway': (account) => ({
    amount: 100_000,
    currency: 'THB',
    method: 'bank_account',
    description: 'Payout for order 12345',
    beneficiary: { name: 'John Doe', account_number: `123456${account}`, bank_code: '004' },
  }),
  druo: (account) => ({
    amount: 20_000,
    currency: 'USD',
    method: 'bank_account',
    description: 'Insurance policy renewal',
    beneficiary: { provider_account_id: `acc_b7c41206-afb4-4954-a15c-dbcd5935${account}` },
  }),
};
const currencyOf = (p: Provider) => payouts[p]('0000').currency as string;

async function balance(currency: string) {
  const res = await tenant.api('GET', '/v1/balances');
  const b = res.body.data.find((x: { currency: string }) => x.currency === currency);
  return { available: b?.available ?? 0, held: b?.held ?? 0 };
}

async function settle(id: string, status: string) {
  return waitFor(
    async () => {
      const res = await tenant.api('GET', `/v1/payouts/${id}`);
      return res.body.status === status ? res.body : undefined;
    },
    { message: `payout ${id} to reach ${status}` },
  );
}

async function create(provider: Provider, account: string) {
  const res = await tenant.api('POST', '/v1/payouts', payouts[provider](account), {
    'idempotency-key': `${provider}-${Math.random()}`,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  expect(res.body.provider).toBe(provider);
  return res.body as { id: string };
}

async function sandbox(path: string, method = 'GET', body?: unknown) {
  const res = await fetch(`${system.sandbox.url}/_admin${path}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  expect(res.ok, `${method} ${path}: ${res.status}`).toBe(true);
  return res.json() as Promise<{ data: { reference: string | null; status: string; payout?: unknown }[] }>;
}

/** Provider-side payouts that could pay for this payout: every one but a DRUO decline for funds. */
async function providerPayoutsFor(provider: Provider, payoutId: string) {
  const list = await sandbox(`/${provider}/payouts`);
  return list.data.filter(
    (p) => JSON.stringify(p).includes(payoutId) && !JSON.stringify(p).includes('INSUFFICIENT_FUNDS'),
  );
}

describe.each(['razorpayx', 'krayon', 'thai-gateway', 'druo'] as const)('%s', (provider) => {
  test('a payout reaches processed; the wallet falls by amount + fees + tax', async () => {
    const currency = currencyOf(provider);
    const before = await balance(currency);
    const p = await create(provider, '4242');
    const done = await settle(p.id, 'processed');
    await waitFor(async () => (await balance(currency)).held === before.held || undefined);
    const spent = (done.amount as number) + ((done.fees as number | null) ?? 0) + ((done.tax as number | null) ?? 0);
    expect(await balance(currency)).toEqual({ available: before.available - spent, held: before.held });
    expect(done.provider_payout_id).toEqual(expect.any(String));
    expect(await providerPayoutsFor(provider, p.id)).toHaveLength(1);
  });

  test("a payout the bank refuses fails with the provider's reason and releases its hold", async () => {
    const currency = currencyOf(provider);
    const before = await balance(currency);
    const p = await create(provider, '0001');
    const failed = await settle(p.id, 'failed');
    expect(failed.failure).toEqual({ code: expect.any(String), message: expect.any(String) });
    await waitFor(async () => (await balance(currency)).held === before.held || undefined);
    expect(await balance(currency)).toEqual(before);
  });

  test('when the provider’s own balance is short, the payout waits in queued and goes once it is funded', async () => {
    await sandbox(`/${provider}/balance`, 'POST', { amount: 0 });
    try {
      const p = await create(provider, '5151');
      const queued = await settle(p.id, 'queued');
      expect(queued.queued_reason).toBe('provider_low_balance');
      await sandbox(`/${provider}/balance`, 'POST', { amount: 1_000_000_000_000 });
      await settle(p.id, 'processed');
      expect(await providerPayoutsFor(provider, p.id)).toHaveLength(1);
    } finally {
      await sandbox(`/${provider}/balance`, 'POST', { amount: 1_000_000_000_000 });
    }
  });

  /**
   * A payout created while a sandbox fault is on, which is turned off again once the worker has
   * reported the payout `unknown` (its request timed out). With webhooks the payout may be
   * confirmed by a lookup first, and the late `unknown` is then recorded and ignored.
   */
  async function unknownUnder(fault: Record<string, unknown>, off: Record<string, unknown>, account: string) {
    await sandbox(`/${provider}/config`, 'PATCH', fault);
    try {
      const { id } = await create(provider, account);
      await waitFor(
        async () => {
          const history = await tenant.api('GET', `/v1/payouts/${id}/events`);
          return history.body.data.some((e: { to_status: string }) => e.to_status === 'unknown') || undefined;
        },
        { message: 'the worker to report unknown' },
      );
      return id as string;
    } finally {
      await sandbox(`/${provider}/config`, 'PATCH', off);
    }
  }

  test('a timeout after the provider committed is settled by a lookup, never by a second payout', async () => {
    const id = await unknownUnder({ timeoutAfterCommitShare: 1, hangMs: 3000 }, { timeoutAfterCommitShare: 0 }, '6161');
    await settle(id, 'processed');
    expect(await providerPayoutsFor(provider, id)).toHaveLength(1);
  });

  test('a create the provider gets to only after we stopped waiting is found by a later look, never sent twice', async () => {
    // Held 2 s before the provider decides anything; the worker gives up sooner. Looks that find
    // nothing within ABSENCE_AFTER_MS (4 s here) of `unknown` are not taken as the provider never
    // having it, so it is found instead of sent again.
    const id = await unknownUnder({ lateCreateShare: 1, hangMs: 2000 }, { lateCreateShare: 0 }, '6262');
    await settle(id, 'processed');
    expect(await providerPayoutsFor(provider, id)).toHaveLength(1);
    const history = await tenant.api('GET', `/v1/payouts/${id}/events`);
    // Never sent again: it did not go back to `reserved` for a second submission.
    expect(history.body.data.filter((e: { to_status: string }) => e.to_status === 'reserved')).toHaveLength(1);
  });

  test('a webhook with a bad signature changes nothing', async () => {
    const res = await apiFetch(`${system.api.url}/v1/webhooks/${provider}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-razorpay-signature': 'bad',
        'x-signature': 'sha256=bad',
        'x-timestamp': String(Date.now()),
      },
      body: JSON.stringify({ id: 'evt_1', type: 'withdraw.completed', event: 'payout.processed' }),
    });
    // Providers without webhooks have no endpoint to forge.
    const hasWebhooks = provider === 'razorpayx' || provider === 'thai-gateway';
    expect(res.status).toBe(hasWebhooks ? 401 : 404);
    expect(res.headers.get('content-type')).toMatch(/problem\+json/);
  });
});

describe('a duplicate reference on retry means "it exists"', () => {
  async function preSubmitted(provider: 'krayon' | 'thai-gateway', submit: (p: CanonicalPayout) => Promise<unknown>) {
    await system.stopProcessing();
    let id: string;
    try {
      const res = await tenant.api('POST', '/v1/payouts', payouts[provider]('7171'), {
        'idempotency-key': `dup-${provider}`,
      });
      id = res.body.id;
      // The provider already has this reference — as after a crash between its commit and our record.
      const row = must(await loadPayout(system.db.db, id), `payout ${id}`);
      await submit(toCanonical(row));
    } finally {
      system.startProcessing();
    }
    await settle(id, 'processed');
    expect(await providerPayoutsFor(provider, id)).toHaveLength(1);
    const history = await tenant.api('GET', `/v1/payouts/${id}/events`);
    expect(history.body.data.map((e: { to_status: string }) => e.to_status)).not.toContain('failed');
  }

  test('Krayon: 409 DUPLICATE_REFERENCE_ID is looked up, not failed', async () => {
    const krayon = createKrayonAdapter({
      baseUrl: `${system.sandbox.url}/krayon`,
      apiToken: 'krayon_sandbox_token',
      timeoutMs: 5000,
    });
    await preSubmitted('krayon', (p) => krayon.submit(p));
  });

  test('Thai gateway: the same referenceId under another idempotency key is looked up, not failed', async () => {
    const thai = createThaiGatewayAdapter({
      baseUrl: `${system.sandbox.url}/thai-gateway`,
      apiKey: 'thai_sandbox_key',
      apiSecret: 'thai_sandbox_secret',
      timeoutMs: 5000,
    });
    await preSubmitted('thai-gateway', (p) => thai.submit({ ...p, idempotencyKey: 'someone-elses-key' }));
  });
});

test('the ledger balances to the unit across all four providers', async () => {
  const report = await verifyLedger(system.db.db);
  expect(report.problems).toEqual([]);
  expect(report.totals.map((t) => t.currency).sort()).toEqual(['COP', 'INR', 'THB', 'USD']);
});

test('every payout history and the operator log verify as unbroken hash chains', async () => {
  const audit = await verifyAuditChains(system.db.db);
  expect(audit.payoutEvents).toMatchObject({ legacyRows: 0, brokenChains: 0, broken: [] });
  expect(audit.operatorActions).toMatchObject({ legacyRows: 0, brokenChains: 0, broken: [] });
  expect(audit.payoutEvents.rows).toBeGreaterThan(0);
  expect(audit.ok).toBe(true);
});
