import { ledgerTransactions } from '@payouts/db';
import { verifyLedger } from '@payouts/ledger';
import { ProviderGate } from '@payouts/queue';
import { waitFor } from '@payouts/testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { client, createFundedTenant, startTestSystem, type TestSystem } from '../support/system.ts';

/**
 * Routing rules (docs/api.md, "Routing rules") through the API and the sandbox: the rules are
 * validated and stored per tenant, a matching rule gives a payout its route at creation, and a
 * payout moves to the next provider only after its provider confirmed a failure the rule lists —
 * never after an outcome not known.
 */
let system: TestSystem;
let tenant: Awaited<ReturnType<typeof createFundedTenant>>;

/** A beneficiary both RazorpayX and Krayon take (Krayon needs the names, contact and address). */
const beneficiary = (account: string) => ({
  name: 'Elon Mush',
  first_name: 'elon',
  last_name: 'mush',
  email: 'elon@example.com',
  phone: '919895270111',
  country: 'IN',
  account_number: `12345678${account}`,
  bank_code: 'HDFC0001234',
  address: { line1: 'Address Line 1', country: 'IN' },
});

const payout = (account: string, extra: Record<string, unknown> = {}) => ({
  amount: 50_000,
  currency: 'INR',
  method: 'IMPS',
  purpose: 'payout',
  description: 'routed payout',
  beneficiary: beneficiary(account),
  ...extra,
});

const RULES = {
  rules: [
    {
      match: { currency: 'INR', method: 'IMPS', amount_min: 0, amount_max: 100_000 },
      providers: ['razorpayx', 'krayon'],
      fallback_on: ['imps_not_allowed'],
    },
  ],
};

beforeAll(async () => {
  system = await startTestSystem();
  tenant = await createFundedTenant(system, 'routing-rules', 10_000_000);
});
afterAll(async () => {
  await system?.stop();
});

const post = (body: unknown) => tenant.api('POST', '/v1/payouts', body, { 'idempotency-key': `k-${Math.random()}` });

async function sandbox(path: string, method = 'GET', body?: unknown) {
  const res = await fetch(`${system.sandbox.url}/_admin${path}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  expect(res.ok, `${method} ${path}: ${res.status}`).toBe(true);
  return res.json() as Promise<{ data: { status: string }[] }>;
}

/** The records a provider's sandbox holds for our payout. */
async function atProvider(provider: 'razorpayx' | 'krayon', payoutId: string) {
  const list = await sandbox(`/${provider}/payouts`);
  return list.data.filter((p) => JSON.stringify(p).includes(payoutId)).map((p) => p.status);
}

async function final(id: string) {
  return waitFor(
    async () => {
      const res = await tenant.api('GET', `/v1/payouts/${id}`);
      return ['processed', 'failed', 'needs_attention'].includes(res.body.status) ? res.body : undefined;
    },
    { message: `payout ${id} to be final`, timeoutMs: 90_000 },
  );
}

async function ledgerKinds(payoutId: string) {
  const rows = await system.db.db
    .select({ kind: ledgerTransactions.kind })
    .from(ledgerTransactions)
    .where(eq(ledgerTransactions.payoutId, payoutId));
  return rows.map((r) => r.kind).sort();
}

describe('routing rules', () => {
  test('read and replaced by an admin key; bad rules are a 422 naming the field, nothing stored', async () => {
    expect((await tenant.api('GET', '/v1/routing-rules')).body).toEqual({ object: 'routing_rules', rules: [] });

    const bad: [unknown, string][] = [
      [{ rules: [{ providers: ['nobody'] }] }, 'rules.0.providers.0'],
      [{ rules: [{ match: { currency: 'THB' }, providers: ['razorpayx'] }] }, 'rules.0.providers.0'],
      [{ rules: [{ match: { amount_min: 10, amount_max: 5 }, providers: ['razorpayx'] }] }, 'rules.0.match.amount_min'],
      [{ rules: [{ providers: [] }] }, 'rules.0.providers'],
      [{ rules: [{ providers: ['razorpayx'], match: { colour: 'red' } }] }, 'rules.0.match.colour'],
    ];
    for (const [body, field] of bad) {
      const res = await tenant.api('PUT', '/v1/routing-rules', body);
      expect(res.status, JSON.stringify(res.body)).toBe(422);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    expect((await tenant.api('GET', '/v1/routing-rules')).body.rules).toEqual([]);

    const put = await tenant.api('PUT', '/v1/routing-rules', RULES);
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body).toEqual({ object: 'routing_rules', ...RULES });
    expect((await tenant.api('GET', '/v1/routing-rules')).body).toEqual(put.body);
  });

  test('a matching rule gives the payout its route; a payout naming its provider keeps it; an unfit provider is cut', async () => {
    await tenant.api('PUT', '/v1/routing-rules', RULES);

    const routed = await post(payout('4242'));
    expect(routed.status, JSON.stringify(routed.body)).toBe(202);
    expect(routed.body).toMatchObject({ provider: 'razorpayx', route: ['razorpayx', 'krayon'] });
    const done = await final(routed.body.id);
    expect(done).toMatchObject({ status: 'processed', provider: 'razorpayx', attempt: 1 });
    expect(await atProvider('krayon', routed.body.id)).toEqual([]);

    const named = await post(payout('4242', { provider: 'krayon' }));
    expect(named.status, JSON.stringify(named.body)).toBe(202);
    expect(named.body).toMatchObject({ provider: 'krayon', route: null });

    // Without Krayon's required contact fields, Krayon is cut from the route.
    const cut = await post(
      payout('4242', { beneficiary: { name: 'Asha Rao', account_number: '123456784242', bank_code: 'HDFC0001234' } }),
    );
    expect(cut.status, JSON.stringify(cut.body)).toBe(202);
    expect(cut.body.route).toEqual(['razorpayx']);

    // Outside every rule: today's currency routing, no route.
    const big = await post(payout('4242', { amount: 200_000 }));
    expect(big.status, JSON.stringify(big.body)).toBe(202);
    expect(big.body).toMatchObject({ provider: 'razorpayx', route: null });
    await Promise.all([named.body.id, cut.body.id, big.body.id].map(final));
  });

  test('a route no provider of which takes the payout is a 422 naming the field', async () => {
    await tenant.api('PUT', '/v1/routing-rules', { rules: [{ match: { method: 'RTGS' }, providers: ['razorpayx'] }] });
    try {
      // RTGS starts at ₹2 lakh: a ₹500 RTGS payout fits no provider of its route.
      const res = await post(payout('4242', { method: 'RTGS' }));
      expect(res.status, JSON.stringify(res.body)).toBe(422);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['amount', 'method']);
    } finally {
      await tenant.api('PUT', '/v1/routing-rules', RULES);
    }
  });

  test('a confirmed failure in fallback_on sends the payout to the next provider: paid once, one hold, ledger balanced', async () => {
    await tenant.api('PUT', '/v1/routing-rules', RULES);
    // RazorpayX's test account …0004: the bank refuses IMPS, confirmed failed with imps_not_allowed.
    const created = await post(payout('0004'));
    expect(created.status, JSON.stringify(created.body)).toBe(202);
    const id = created.body.id as string;

    const settled = await final(id);
    expect(settled).toMatchObject({
      status: 'processed',
      provider: 'krayon',
      method: 'IMPS',
      attempt: 2,
      failure: null,
    });
    expect(await atProvider('razorpayx', id)).toEqual(['failed']);
    expect(await atProvider('krayon', id)).toEqual(['COMPLETED']);
    expect(await ledgerKinds(id)).toEqual(['hold', 'post']);
    expect((await verifyLedger(system.db.db)).problems).toEqual([]);

    const history = await tenant.api('GET', `/v1/payouts/${id}/events`);
    const move = history.body.data.find(
      (e: { detail?: { reason?: string } }) => e.detail?.reason === 'provider_fallback',
    );
    expect(move).toMatchObject({
      to_status: 'reserved',
      detail: {
        attempt: { number: 1, provider: 'razorpayx', outcome: 'failed', failure: { code: 'imps_not_allowed' } },
        next_attempt: { number: 2, provider: 'krayon', method: 'IMPS' },
      },
    });
  });

  test('a provider down before anything was sent (a downtime on its mode): the payout goes to the next, paid once', async () => {
    await tenant.api('PUT', '/v1/routing-rules', RULES);
    const op = client(system.api.url, system.operatorKey);
    const declared = await op('POST', '/v1/admin/providers/razorpayx/downtime', {
      modes: ['IMPS'],
      starts_at: new Date(Date.now() - 60_000).toISOString(),
      ends_at: null,
    });
    expect(declared.status, JSON.stringify(declared.body)).toBe(201);
    let id: string;
    try {
      const created = await post(payout('6262'));
      expect(created.status, JSON.stringify(created.body)).toBe(202);
      expect(created.body).toMatchObject({ provider: 'razorpayx', route: ['razorpayx', 'krayon'] });
      id = created.body.id;
      const settled = await final(id);
      expect(settled).toMatchObject({ status: 'processed', provider: 'krayon', attempt: 1 });
    } finally {
      await op('POST', `/v1/admin/providers/razorpayx/downtimes/${declared.body.id}/end`);
    }
    expect(await atProvider('razorpayx', id)).toEqual([]);
    expect(await atProvider('krayon', id)).toEqual(['COMPLETED']);
    expect(await ledgerKinds(id)).toEqual(['hold', 'post']);
    expect((await verifyLedger(system.db.db)).problems).toEqual([]);

    const history = await tenant.api('GET', `/v1/payouts/${id}/events`);
    const move = history.body.data.find(
      (e: { detail?: { reason?: string } }) => e.detail?.reason === 'provider_fallback',
    );
    expect(move).toMatchObject({
      applied: true,
      detail: { gate: 'provider_downtime', from_provider: 'razorpayx', next_provider: 'krayon' },
    });
  });

  test('a provider whose credentials are rejected: a routed payout goes to the next, one already tried stays', async () => {
    await tenant.api('PUT', '/v1/routing-rules', RULES);
    const gate = new ProviderGate(system.queues.connection, system.prefix, 'razorpayx');
    await sandbox('/razorpayx/config', 'PATCH', { credentialsRevoked: true });
    let tried: string;
    let routed: string;
    try {
      // Named its provider: no route. Its submission meets the 401 and parks RazorpayX.
      const first = await post(payout('7272', { provider: 'razorpayx' }));
      expect(first.status, JSON.stringify(first.body)).toBe(202);
      tried = first.body.id;
      await waitFor(async () => (await gate.isCredentialsRejected()) || undefined, {
        message: 'RazorpayX parked for rejected credentials',
        timeoutMs: 60_000,
      });
      const created = await post(payout('7373'));
      expect(created.status, JSON.stringify(created.body)).toBe(202);
      routed = created.body.id;
      const settled = await final(routed);
      expect(settled).toMatchObject({ status: 'processed', provider: 'krayon', attempt: 1 });
      expect((await tenant.api('GET', `/v1/payouts/${tried}`)).body).toMatchObject({ provider: 'razorpayx' });
      expect((await tenant.api('GET', `/v1/payouts/${tried}`)).body.status).not.toBe('failed');
    } finally {
      await sandbox('/razorpayx/config', 'PATCH', { credentialsRevoked: false });
    }
    expect(await final(tried)).toMatchObject({ status: 'processed', provider: 'razorpayx' });
    expect(await atProvider('razorpayx', routed)).toEqual([]);
    expect(await atProvider('krayon', routed)).toEqual(['COMPLETED']);
    expect(await atProvider('krayon', tried)).toEqual([]);
    const history = await tenant.api('GET', `/v1/payouts/${routed}/events`);
    expect(
      history.body.data.find((e: { detail?: { reason?: string } }) => e.detail?.reason === 'provider_fallback'),
    ).toMatchObject({ detail: { gate: 'credentials_rejected', next_provider: 'krayon' } });
    expect((await verifyLedger(system.db.db)).problems).toEqual([]);
  });

  test('an unknown outcome at the first provider never sends the payout to the next', async () => {
    await tenant.api('PUT', '/v1/routing-rules', RULES);
    await sandbox('/razorpayx/config', 'PATCH', { timeoutAfterCommitShare: 1, hangMs: 3000 });
    let id: string;
    try {
      const created = await post(payout('5151'));
      expect(created.status, JSON.stringify(created.body)).toBe(202);
      id = created.body.id;
      await waitFor(
        async () => {
          const history = await tenant.api('GET', `/v1/payouts/${id}/events`);
          return history.body.data.some((e: { to_status: string }) => e.to_status === 'unknown') || undefined;
        },
        { message: 'the worker to report unknown', timeoutMs: 60_000 },
      );
    } finally {
      await sandbox('/razorpayx/config', 'PATCH', { timeoutAfterCommitShare: 0 });
    }
    const settled = await final(id);
    expect(settled).toMatchObject({ status: 'processed', provider: 'razorpayx', attempt: 1 });
    expect(await atProvider('razorpayx', id)).toEqual(['processed']);
    expect(await atProvider('krayon', id)).toEqual([]);
    expect(await ledgerKinds(id)).toEqual(['hold', 'post']);
  });
});
