import { idempotencyKeys, payouts } from '@payouts/db';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  apiFetch,
  client,
  createFundedTenant,
  inrPayout,
  startTestSystem,
  type TestSystem,
} from '../support/system.ts';

/** Bad input gets a clear 4xx problem+json naming the field, and changes nothing. */
let system: TestSystem;
let tenant: Awaited<ReturnType<typeof createFundedTenant>>;

beforeAll(async () => {
  system = await startTestSystem();
  tenant = await createFundedTenant(system, 'input');
});
afterAll(async () => {
  await system?.stop();
});

async function nothingWritten() {
  expect(await system.db.db.select().from(payouts)).toEqual([]);
  expect(await system.db.db.select().from(idempotencyKeys)).toHaveLength(1); // the tenant's creation only
}

// biome-ignore lint/suspicious/noExplicitAny: a response body under test
function expectProblem(res: { status: number; body: any; headers: Headers }, status: number, field?: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, type: expect.stringContaining(res.body.code), title: expect.any(String) });
  if (field) expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
}

describe('POST /v1/payouts refuses bad input', () => {
  const post = (body: unknown, headers: Record<string, string> = { 'idempotency-key': `k-${Math.random()}` }) =>
    tenant.api('POST', '/v1/payouts', body, headers);

  test.each([
    ['amount as a string', { amount: '500' }, 'amount'],
    ['a fractional amount', { amount: 10.5 }, 'amount'],
    ['a negative amount', { amount: -1 }, 'amount'],
    ['an amount over the limit of 10^15 minor units', { amount: 1_000_000_000_000_001 }, 'amount'],
    ['an amount of 2^53 − 1', { amount: Number.MAX_SAFE_INTEGER }, 'amount'],
    ['an amount beyond exact JSON integers', { amount: 2 ** 63 }, 'amount'],
    ['an unknown currency', { currency: 'XYZ' }, 'currency'],
    ['an unknown provider', { provider: 'paypal' }, 'provider'],
    ['a provider that does not pay out this currency', { provider: 'druo' }, 'currency'],
    [
      'a THB payout without a 3-digit bank code (Thai gateway)',
      { currency: 'THB', method: 'bank_account' },
      'beneficiary.bank_code',
    ],
    [
      'a USD payout without a DRUO account (DRUO)',
      { currency: 'USD', method: 'bank_account' },
      'beneficiary.provider_account_id',
    ],
    ['a Krayon payout without the customer fields Krayon needs', { provider: 'krayon' }, 'beneficiary.email'],
    ['an unknown field', { colour: 'red' }, 'colour'],
    [
      'an unknown beneficiary field',
      { beneficiary: { name: 'A', account_number: '123456789012', bank_code: 'HDFC0001234', iban: 'x' } },
      'beneficiary.iban',
    ],
    [
      'a bad email',
      { beneficiary: { name: 'A', account_number: '123456789012', bank_code: 'HDFC0001234', email: 'nope' } },
      'beneficiary.email',
    ],
    ['a missing method', { method: undefined }, 'method'],
    ['queue_if_low_balance not a boolean', { queue_if_low_balance: 'yes' }, 'queue_if_low_balance'],
    // RazorpayX's own rules, applied before anything is queued:
    ['less than 100 paise (RazorpayX)', { amount: 99 }, 'amount'],
    ['a narration over 30 characters (RazorpayX)', { narration: 'a'.repeat(31) }, 'narration'],
    ['a narration with punctuation (RazorpayX)', { narration: 'Salary, March!' }, 'narration'],
    ['a reference_id over 40 characters (RazorpayX)', { reference_id: 'r'.repeat(41) }, 'reference_id'],
    ['a lowercase mode (RazorpayX modes are case-sensitive)', { method: 'imps' }, 'method'],
    ['an unknown purpose (RazorpayX)', { purpose: 'gift' }, 'purpose'],
    [
      'an IFSC that is not one (RazorpayX)',
      { beneficiary: { name: 'A', account_number: '123456789012', bank_code: 'HDFC1234' } },
      'beneficiary.bank_code',
    ],
  ])('%s', async (_name, override, field) => {
    const res = await post(inrPayout(override as Record<string, unknown>));
    expectProblem(res, 422, field);
    await nothingWritten();
  });

  test('malformed JSON is a 400 naming the body', async () => {
    expectProblem(await post('{"amount": 5', { 'idempotency-key': 'k1' }), 400, 'body');
    await nothingWritten();
  });

  test('a JSON array or null body is refused', async () => {
    expectProblem(await post([1, 2], { 'idempotency-key': 'k2' }), 422, 'body');
    expectProblem(await post('null', { 'idempotency-key': 'k3' }), 400);
    await nothingWritten();
  });

  test('a missing Idempotency-Key is a 400 naming the header', async () => {
    expectProblem(await post(inrPayout(), {}), 400, 'Idempotency-Key');
    await nothingWritten();
  });

  test('a body that is not JSON is a 415 naming Content-Type', async () => {
    const res = await apiFetch(`${system.api.url}/v1/payouts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tenant.key}`, 'content-type': 'text/plain', 'idempotency-key': 'k4' },
      body: 'amount=5',
    });
    expect(res.status).toBe(415);
    expect(((await res.json()) as { errors: { field: string }[] }).errors[0]?.field).toBe('Content-Type');
    await nothingWritten();
  });

  test('no key, a wrong key, or an operator key on a tenant route', async () => {
    expectProblem(
      await client(system.api.url)('POST', '/v1/payouts', inrPayout(), { 'idempotency-key': 'k5' }),
      401,
      'Authorization',
    );
    expectProblem(await client(system.api.url, 'sk_test_nope')('GET', '/v1/payouts'), 401);
    expectProblem(await client(system.api.url, system.operatorKey)('GET', '/v1/payouts'), 403);
    expectProblem(await tenant.api('POST', '/v1/admin/tenants', { name: 'x' }, { 'idempotency-key': 'k6' }), 403);
    await nothingWritten();
  });

  test('list queries are validated too', async () => {
    expectProblem(await tenant.api('GET', '/v1/payouts?status=done'), 400, 'status');
    expectProblem(await tenant.api('GET', '/v1/payouts?limit=1000'), 400, 'limit');
    expectProblem(await tenant.api('GET', '/v1/payouts?cursor=bm90LWFuLWlk'), 400, 'cursor');
    expectProblem(await tenant.api('GET', '/v1/payouts?colour=red'), 400, 'colour');
    expectProblem(await tenant.api('GET', '/v1/payouts/not-an-id'), 404);
    expectProblem(await tenant.api('GET', '/v1/nowhere'), 404);
  });
});

describe('GET /v1/payouts pages with a cursor', () => {
  test('newest first, every payout exactly once across pages', async () => {
    const other = await createFundedTenant(system, 'pager');
    const created: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await other.api('POST', '/v1/payouts', inrPayout({ reference_id: `page-${i}` }), {
        'idempotency-key': `page-${i}`,
      });
      created.push(res.body.id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { data: { id: string }[]; next_cursor: string | null; has_more: boolean } } = await other.api(
        'GET',
        `/v1/payouts?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...res.body.data.map((p) => p.id));
      cursor = res.body.next_cursor;
      expect(res.body.has_more).toBe(cursor !== null);
    } while (cursor);
    expect(seen).toEqual([...created].reverse());
  });
});

describe('service documents', () => {
  test('/openapi.json describes the payout routes from the zod schemas', async () => {
    const doc = (await apiFetch(`${system.api.url}/openapi.json`).then((r) => r.json())) as {
      openapi: string;
      paths: Record<string, unknown>;
      components: { schemas: Record<string, { required: string[]; properties: Record<string, unknown> }> };
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/payouts', '/v1/payouts/{id}', '/v1/balances']));
    expect(doc.components.schemas.CreatePayout?.required).toEqual(
      expect.arrayContaining(['amount', 'currency', 'method']),
    );
    // Exactly one of the two (inline bank details or a saved beneficiary): neither is required alone.
    expect(Object.keys(doc.components.schemas.CreatePayout?.properties ?? {})).toEqual(
      expect.arrayContaining(['beneficiary', 'beneficiary_id']),
    );
  });

  test('/healthz and /readyz answer, /readyz after checking Postgres and Redis', async () => {
    expect((await apiFetch(`${system.api.url}/healthz`)).status).toBe(200);
    const ready = await apiFetch(`${system.api.url}/readyz`).then((r) => r.json());
    expect(ready).toEqual({ status: 'ready', postgres: 'ok', redis: 'ok' });
  });
});
