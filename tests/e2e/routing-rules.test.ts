import { ledgerTransactions, payouts } from '@payouts/db';
import { verifyLedger } from '@payouts/ledger';
import { ProviderGate } from '@payouts/queue';
import { waitFor } from '@payouts/testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { apiFetch, client, createFundedTenant, startTestSystem, type TestSystem } from '../support/system.ts';

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
    const declared = await op(
      'POST',
      '/v1/admin/providers/razorpayx/downtime',
      {
        modes: ['IMPS'],
        starts_at: new Date(Date.now() - 60_000).toISOString(),
        ends_at: null,
      },
      { 'idempotency-key': 'routing-downtime' },
    );
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

/** Employees go to Krayon; every other payout (a vendor, or a beneficiary without a type) to RazorpayX. */
const BY_TYPE = {
  rules: [
    { match: { beneficiary_type: 'employee' }, providers: ['krayon'], fallback_on: [] },
    { match: {}, providers: ['razorpayx'], fallback_on: [] },
  ],
};

/** A saved beneficiary both providers take (Krayon needs the names, contact and address). */
async function savedBeneficiary(type: string, account: string): Promise<string> {
  const res = await tenant.api(
    'POST',
    '/v1/beneficiaries',
    {
      type,
      name: 'Asha Rao',
      first_name: 'Asha',
      last_name: 'Rao',
      email: 'asha@example.com',
      phone: '919895270111',
      country: 'IN',
      address: { line1: 'Address Line 1', country: 'IN' },
      bank_account: { account_number: `12345678${account}`, bank_code: 'HDFC0001234' },
    },
    { 'idempotency-key': `ben-${Math.random()}` },
  );
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  expect(res.body.type).toBe(type);
  return res.body.id;
}

/** The RazorpayX sandbox's payout for ours (its composite fund account carries the contact). */
async function razorpayxPayout(payoutId: string) {
  const list = (await sandbox('/razorpayx/payouts')) as unknown as { data: { payout: Record<string, unknown> }[] };
  return list.data.find((p) => JSON.stringify(p).includes(payoutId))?.payout;
}

describe('routing rules by beneficiary type', () => {
  test('match.beneficiary_type is one of the beneficiary types: another is a 422 naming it, nothing stored', async () => {
    await tenant.api('PUT', '/v1/routing-rules', { rules: [] });
    for (const value of ['contractor', 'Employee', '', 7]) {
      const res = await tenant.api('PUT', '/v1/routing-rules', {
        rules: [{ match: { beneficiary_type: value }, providers: ['krayon'] }],
      });
      expect(res.status, JSON.stringify(res.body)).toBe(422);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['rules.0.match.beneficiary_type']);
      expect(res.body.errors[0].message).toContain('employee, vendor, customer, self');
    }
    expect((await tenant.api('GET', '/v1/routing-rules')).body.rules).toEqual([]);

    const put = await tenant.api('PUT', '/v1/routing-rules', BY_TYPE);
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body).toEqual({ object: 'routing_rules', ...BY_TYPE });
    expect((await tenant.api('GET', '/v1/routing-rules')).body).toEqual(put.body);
  });

  test('an employee, inline or saved, goes to the rule’s provider; a vendor and an untyped beneficiary to the next rule’s', async () => {
    await tenant.api('PUT', '/v1/routing-rules', BY_TYPE);
    const savedEmployee = await savedBeneficiary('employee', '8181');
    const savedVendor = await savedBeneficiary('vendor', '8282');

    const cases: { body: Record<string, unknown>; type: string | null; to: 'krayon' | 'razorpayx' }[] = [
      {
        body: payout('8383', { beneficiary: { ...beneficiary('8383'), type: 'employee' } }),
        type: 'employee',
        to: 'krayon',
      },
      {
        body: payout('8484', { beneficiary: { ...beneficiary('8484'), type: 'vendor' } }),
        type: 'vendor',
        to: 'razorpayx',
      },
      { body: payout('8585'), type: null, to: 'razorpayx' },
      { body: payout('x', { beneficiary: undefined, beneficiary_id: savedEmployee }), type: 'employee', to: 'krayon' },
      { body: payout('x', { beneficiary: undefined, beneficiary_id: savedVendor }), type: 'vendor', to: 'razorpayx' },
    ];
    const ids: string[] = [];
    for (const c of cases) {
      const res = await post(c.body);
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      expect(res.body).toMatchObject({ provider: c.to, route: [c.to], beneficiary_type: c.type });
      // The type is the payout's, not part of the bank details sent to the provider.
      expect(res.body.beneficiary).not.toHaveProperty('type');
      ids.push(res.body.id);
    }
    for (const [i, id] of ids.entries()) {
      const c = cases[i] as (typeof cases)[number];
      expect(await final(id)).toMatchObject({ status: 'processed', provider: c.to, beneficiary_type: c.type });
      const other = c.to === 'krayon' ? 'razorpayx' : 'krayon';
      expect(await atProvider(c.to, id)).toHaveLength(1);
      expect(await atProvider(other, id)).toEqual([]);
    }

    // Searches filter by it.
    const employees = await tenant.api('GET', '/v1/payouts?beneficiary_type=employee&limit=100');
    expect(employees.status, JSON.stringify(employees.body)).toBe(200);
    const found = employees.body.data.map((p: { id: string }) => p.id);
    expect(found).toEqual(expect.arrayContaining([ids[0], ids[3]]));
    expect(found).not.toContain(ids[1]);
    expect(found).not.toContain(ids[2]);
    expect(employees.body.data.every((p: { beneficiary_type: string }) => p.beneficiary_type === 'employee')).toBe(
      true,
    );
    const badFilter = await tenant.api('GET', '/v1/payouts?beneficiary_type=contractor');
    expect(badFilter.status).toBe(400);
    expect(badFilter.body.errors.map((e: { field: string }) => e.field)).toEqual(['beneficiary_type']);
  });

  test('a payout naming RazorpayX sends its beneficiary type as the contact’s; vendor when it has none', async () => {
    await tenant.api('PUT', '/v1/routing-rules', BY_TYPE);
    const typed = await post(
      payout('8686', { provider: 'razorpayx', beneficiary: { ...beneficiary('8686'), type: 'employee' } }),
    );
    const untyped = await post(payout('8787', { provider: 'razorpayx' }));
    expect(typed.status, JSON.stringify(typed.body)).toBe(202);
    expect(typed.body).toMatchObject({ provider: 'razorpayx', route: null, beneficiary_type: 'employee' });
    expect(untyped.status, JSON.stringify(untyped.body)).toBe(202);
    await Promise.all([final(typed.body.id), final(untyped.body.id)]);
    expect(await razorpayxPayout(typed.body.id)).toMatchObject({ fund_account: { contact: { type: 'employee' } } });
    expect(await razorpayxPayout(untyped.body.id)).toMatchObject({ fund_account: { contact: { type: 'vendor' } } });
  });

  test('a bad beneficiary type is a 422 naming the field, nothing stored; a saved beneficiary’s type is its own', async () => {
    await tenant.api('PUT', '/v1/routing-rules', BY_TYPE);
    const saved = await savedBeneficiary('employee', '8888');
    const count = async () => (await system.db.db.select({ id: payouts.id }).from(payouts)).length;
    const before = await count();
    const bad: [Record<string, unknown>, string][] = [
      [payout('8989', { beneficiary: { ...beneficiary('8989'), type: 'contractor' } }), 'beneficiary.type'],
      [payout('8989', { beneficiary: { ...beneficiary('8989'), type: 1 } }), 'beneficiary.type'],
      [payout('x', { beneficiary: { type: 'vendor' }, beneficiary_id: saved }), 'beneficiary.type'],
    ];
    for (const [body, field] of bad) {
      const res = await post(body);
      expect(res.status, JSON.stringify(res.body)).toBe(422);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
    }
    expect(await count()).toBe(before);

    const badSaved = await tenant.api(
      'POST',
      '/v1/beneficiaries',
      {
        type: 'contractor',
        name: 'Asha Rao',
        bank_account: { account_number: '123456788888', bank_code: 'HDFC0001234' },
      },
      { 'idempotency-key': `ben-${Math.random()}` },
    );
    expect(badSaved.status).toBe(422);
    expect(badSaved.body.errors.map((e: { field: string }) => e.field)).toEqual(['type']);

    // Changing the saved beneficiary's type routes its next payout by the new one; the payout
    // already made keeps the type it had.
    const first = await post(payout('x', { beneficiary: undefined, beneficiary_id: saved }));
    expect(first.body).toMatchObject({ provider: 'krayon', beneficiary_type: 'employee' });
    const changed = await tenant.api('PATCH', `/v1/beneficiaries/${saved}`, { type: 'vendor' });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    const second = await post(payout('x', { beneficiary: undefined, beneficiary_id: saved }));
    expect(second.body).toMatchObject({ provider: 'razorpayx', beneficiary_type: 'vendor' });
    expect((await tenant.api('GET', `/v1/payouts/${first.body.id}`)).body.beneficiary_type).toBe('employee');
    await Promise.all([final(first.body.id), final(second.body.id)]);
  });

  test('a JSON batch routes each item by its beneficiary type', async () => {
    await tenant.api('PUT', '/v1/routing-rules', BY_TYPE);
    const res = await tenant.api(
      'POST',
      '/v1/payout-batches',
      {
        items: [
          payout('9191', { beneficiary: { ...beneficiary('9191'), type: 'employee' } }),
          payout('9292', { beneficiary: { ...beneficiary('9292'), type: 'customer' } }),
          payout('9393', { beneficiary: { ...beneficiary('9393'), type: 'intern' } }),
        ],
        mode: 'accept_valid',
      },
      { 'idempotency-key': `json-types-${Math.random()}` },
    );
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body.rows).toEqual({ total: 3, accepted: 2, rejected: 1 });
    const rows = (await tenant.api('GET', `/v1/payout-batches/${res.body.id}/payouts`)).body.data;
    expect(rows.map((p: Record<string, unknown>) => [p.row, p.provider, p.beneficiary_type])).toEqual([
      [1, 'krayon', 'employee'],
      [2, 'razorpayx', 'customer'],
    ]);
    await Promise.all(rows.map((p: { id: string }) => final(p.id)));
  });
});

describe('CSV batches: rail_fallback and beneficiary_type columns', () => {
  const HEADER = [
    'amount',
    'currency',
    'method',
    'purpose',
    'reference_id',
    'beneficiary_type',
    'rail_fallback',
    'beneficiary_id',
    'beneficiary_name',
    'beneficiary_first_name',
    'beneficiary_last_name',
    'beneficiary_email',
    'beneficiary_phone',
    'beneficiary_country',
    'beneficiary_account_number',
    'beneficiary_bank_code',
    'beneficiary_address_line1',
    'beneficiary_address_country',
  ].join(',');
  // An empty beneficiary_id, then the bank details; or a saved beneficiary's id and no details.
  const inline = (account: string) =>
    `,Elon Mush,elon,mush,elon@example.com,919895270111,IN,12345678${account},HDFC0001234,Address Line 1,IN`;
  const savedRow = (id: string) => `${id},,,,,,,,,,`;

  async function uploadCsv(csv: string, query: string) {
    const res = await apiFetch(`${system.api.url}/v1/payout-batches?${query}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${tenant.key}`,
        'content-type': 'text/csv',
        'idempotency-key': `csv-${Math.random()}`,
      },
      body: csv,
    });
    // biome-ignore lint/suspicious/noExplicitAny: a response body under test
    return { status: res.status, headers: res.headers, body: (await res.json()) as any };
  }

  test('the columns carry into each payout; bad cells are row errors naming row and column', async () => {
    await tenant.api('PUT', '/v1/routing-rules', BY_TYPE);
    const saved = await savedBeneficiary('employee', '9494');
    const run = Math.random().toString(36).slice(2, 8);
    const csv = [
      HEADER,
      `50000,INR,IMPS,payout,${run}-1,employee,true,${inline('9501')}`,
      `50000,INR,IMPS,payout,${run}-2,vendor,false,${inline('9502')}`,
      `50000,INR,IMPS,payout,${run}-3,,,${inline('9503')}`,
      `50000,INR,IMPS,payout,${run}-4,vendor,yes,${inline('9504')}`,
      `50000,INR,IMPS,payout,${run}-5,contractor,true,${inline('9505')}`,
      `50000,INR,IMPS,payout,${run}-6,employee,,${savedRow(saved)}`,
      `50000,INR,IMPS,payout,${run}-7,,TRUE,${savedRow(saved)}`,
      `50000,INR,IMPS,payout,${run}-8,,true,${savedRow(saved)}`,
      // …0004: RazorpayX refuses IMPS for this bank; the row's rail_fallback sends it again on NEFT.
      `50000,INR,IMPS,payout,${run}-9,vendor,true,${inline('0004')}`,
    ].join('\n');
    const before = (await system.db.db.select({ id: payouts.id }).from(payouts)).length;

    // The whole run is refused (all_or_nothing), every bad cell named: nothing stored.
    const refused = await uploadCsv(csv, 'mode=all_or_nothing');
    expect(refused.status, JSON.stringify(refused.body)).toBe(422);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(refused.body.row_errors).toEqual([
      { row: 4, field: 'rail_fallback', message: 'must be true or false', reference_id: `${run}-4` },
      {
        row: 5,
        field: 'beneficiary_type',
        message: expect.stringContaining('must be one of'),
        reference_id: `${run}-5`,
      },
      {
        row: 6,
        field: 'beneficiary_type',
        message: expect.stringContaining('saved beneficiary'),
        reference_id: `${run}-6`,
      },
      { row: 7, field: 'rail_fallback', message: 'must be true or false', reference_id: `${run}-7` },
    ]);
    expect((await system.db.db.select({ id: payouts.id }).from(payouts)).length).toBe(before);

    // The preview routes each row by its type.
    const preview = await uploadCsv(csv, 'dry_run=true&mode=accept_valid');
    expect(preview.status, JSON.stringify(preview.body)).toBe(200);
    expect(preview.body.rows).toEqual({ total: 9, valid: 5, invalid: 4 });
    expect(preview.body.totals.map((t: { provider: string; count: number }) => [t.provider, t.count]).sort()).toEqual([
      ['krayon', 2],
      ['razorpayx', 3],
    ]);

    const stored = await uploadCsv(csv, 'mode=accept_valid');
    expect(stored.status, JSON.stringify(stored.body)).toBe(202);
    expect(stored.body.rows).toEqual({ total: 9, accepted: 5, rejected: 4 });
    const rows = (await tenant.api('GET', `/v1/payout-batches/${stored.body.id}/payouts`)).body.data;
    expect(rows.map((p: Record<string, unknown>) => [p.row, p.provider, p.beneficiary_type, p.rail_fallback])).toEqual([
      [1, 'krayon', 'employee', true],
      [2, 'razorpayx', 'vendor', false],
      [3, 'razorpayx', null, null],
      [8, 'krayon', 'employee', true],
      [9, 'razorpayx', 'vendor', true],
    ]);
    for (const p of rows as { id: string; provider: string }[]) {
      expect(await final(p.id)).toMatchObject({ status: 'processed', provider: p.provider });
    }
    const fellBack = (rows as { id: string; row: number }[]).find((p) => p.row === 9);
    expect(await final(fellBack?.id ?? '')).toMatchObject({ method: 'NEFT', attempt: 2 });
    expect((await verifyLedger(system.db.db)).problems).toEqual([]);
  });
});
