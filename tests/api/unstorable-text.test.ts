import {
  apiKeys,
  idempotencyKeys,
  operatorActions,
  payoutBatches,
  payoutEvents,
  payouts,
  tenants,
  webhookEndpoints,
} from '@payouts/db';
import { must } from '@payouts/testing';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  apiFetch,
  client,
  createFundedTenant,
  inrPayout,
  startTestSystem,
  type TestSystem,
} from '../support/system.ts';

/**
 * Text Postgres cannot store — a lone UTF-16 surrogate (JSON escapes it as `\ud800`; `jsonb`
 * refuses it, `text` would silently store U+FFFD) or U+0000 — and `__proto__` keys (which every
 * JavaScript object copy drops) are refused at the edge: `400` problem+json naming the field, on
 * every route that takes a body, and nothing is written. A CSV cell is a row error naming its column.
 */
let system: TestSystem;
let tenant: Awaited<ReturnType<typeof createFundedTenant>>;
let op: ReturnType<typeof client>;
let endpointId: string;

const TABLES = {
  tenants,
  api_keys: apiKeys,
  idempotency_keys: idempotencyKeys,
  operator_actions: operatorActions,
  payouts,
  payout_events: payoutEvents,
  payout_batches: payoutBatches,
  webhook_endpoints: webhookEndpoints,
};

async function counts(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [name, table] of Object.entries(TABLES)) {
    const row = must(
      (await system.db.db.select({ n: sql<number>`count(*)::int` }).from(table))[0],
      `the count of ${name}`,
    );
    out[name] = row.n;
  }
  return out;
}

/** A JSON text with `\ud800` written as JSON writes it: a valid JSON document, an invalid string. */
const LONE = '\ud800';

// biome-ignore lint/suspicious/noExplicitAny: a response body under test
function expectRefused(res: { status: number; body: any; headers: Headers }, field: string, code = 'invalid_text') {
  expect(res.status, JSON.stringify(res.body)).toBe(400);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.body.code).toBe(code);
  expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
}

beforeAll(async () => {
  system = await startTestSystem();
  tenant = await createFundedTenant(system, 'unstorable');
  op = client(system.api.url, system.operatorKey);
  const endpoint = await tenant.api(
    'POST',
    '/v1/webhook-endpoints',
    { url: 'https://example.com/hooks/unstorable' },
    { 'idempotency-key': 'unstorable-endpoint' },
  );
  expect(endpoint.status).toBe(201);
  endpointId = endpoint.body.id;
  // Nothing moves but what the API itself writes, so row counts say what a request wrote.
  await system.stopProcessing();
});
afterAll(async () => {
  await system?.stop();
});

describe('lone surrogates and NUL are refused at the edge, naming the field', () => {
  test('POST /v1/admin/tenants {"name":"Evil\\ud800Corp"}: 400 naming name; no tenant, no idempotency record, no audit row', async () => {
    const before = await counts();
    const res = await op('POST', '/v1/admin/tenants', '{"name":"Evil\\ud800Corp"}', {
      'idempotency-key': 'evil-corp',
    });
    expectRefused(res, 'name');
    expect(res.body.errors[0].message).toMatch(/lone UTF-16 surrogate/);
    expect(await counts()).toEqual(before);
    expect(await system.db.db.select().from(idempotencyKeys).where(eq(idempotencyKeys.key, 'evil-corp'))).toEqual([]);
    // The retry is refused the same way: nothing was stored to replay.
    expectRefused(
      await op('POST', '/v1/admin/tenants', '{"name":"Evil\\ud800Corp"}', { 'idempotency-key': 'evil-corp' }),
      'name',
    );
  });

  const base = inrPayout();
  test.each([
    ['beneficiary.name', { beneficiary: { ...base.beneficiary, name: `Asha${LONE}` } }],
    ['metadata.note', { metadata: { note: `x${LONE}` } }],
    [`metadata.k\ufffd`, { metadata: { [`k${LONE}`]: 'v' } }],
    ['description', { description: `salary ${LONE}` }],
    ['narration', { narration: `\udc00 salary` }],
    ['beneficiary.address.city', { beneficiary: { ...base.beneficiary, address: { city: 'Pune\u0000' } } }],
    [`metadata.k\ufffd`, { metadata: { 'k\u0000': 'v' } }],
  ])('POST /v1/payouts: %s', async (field, override) => {
    const before = await counts();
    const res = await tenant.api('POST', '/v1/payouts', inrPayout(override), {
      'idempotency-key': `lone-${Math.random()}`,
    });
    expectRefused(res, field);
    expect(await counts()).toEqual(before);
  });

  test('a JSON batch item: 400 naming the item and its field', async () => {
    const before = await counts();
    const res = await tenant.api(
      'POST',
      '/v1/payout-batches',
      { items: [inrPayout(), inrPayout({ beneficiary: { ...base.beneficiary, name: `A${LONE}` } })] },
      { 'idempotency-key': 'lone-batch' },
    );
    expectRefused(res, 'items[1].beneficiary.name');
    expect(await counts()).toEqual(before);
  });

  test('a CSV cell: a row error naming the column', async () => {
    const header = 'amount,currency,method,purpose,beneficiary_name,beneficiary_account_number,beneficiary_bank_code';
    const csv = `${header}\n50000,INR,IMPS,payout,Asha Rao,123456789012,HDFC0001234\n50000,INR,IMPS,payout,Ravi\u0000,123456789012,HDFC0001234\n`;
    const upload = (query: string, key: string) =>
      tenant.api('POST', `/v1/payout-batches${query}`, csv, { 'content-type': 'text/csv', 'idempotency-key': key });
    const before = await counts();
    const whole = await upload('', 'lone-csv-1');
    expect(whole.status).toBe(422);
    expect(whole.body.code).toBe('batch_invalid');
    expect(whole.body.row_errors).toEqual([
      { row: 2, field: 'beneficiary_name', message: expect.stringMatching(/NUL/) },
    ]);
    expect(await counts()).toEqual(before);

    const valid = await upload('?mode=accept_valid', 'lone-csv-2');
    expect(valid.status).toBe(202);
    expect(valid.body.rows).toMatchObject({ total: 2, accepted: 1, rejected: 1 });
    expect(valid.body.errors).toEqual([{ row: 2, field: 'beneficiary_name', message: expect.stringMatching(/NUL/) }]);
  });

  test('every other route that takes a body', async () => {
    const cases: [string, string, string, string, ReturnType<typeof client>][] = [
      [
        'POST',
        '/v1/webhook-endpoints',
        `{"url":"https://example.com/h","description":"a${'\\ud800'}"}`,
        'description',
        tenant.api,
      ],
      ['PATCH', `/v1/webhook-endpoints/${endpointId}`, '{"description":"\\udfff"}', 'description', tenant.api],
      ['POST', `/v1/webhook-endpoints/${endpointId}/rotate-secret`, '{"x\\ud800":1}', 'x\ufffd', tenant.api],
      ['POST', `/v1/admin/tenants/${tenant.id}/api-keys`, '{"mode":"\\ud800"}', 'mode', op],
      ['POST', `/v1/admin/tenants/${tenant.id}/request-signing`, '{"enabled":true,"n":["\\u0000"]}', 'n[0]', op],
      [
        'POST',
        `/v1/admin/tenants/${tenant.id}/fundings`,
        '{"currency":"INR","amount":1,"reference":"r\\ud800"}',
        'reference',
        op,
      ],
      ['POST', '/v1/admin/replays', '{"filters":{"reason":"\\ud800"},"dry_run":true}', 'filters.reason', op],
      ['POST', '/v1/admin/payouts/po_01JDA8Z6B9Y4X3W2V1T0S9R8Q7/cancel', '{"reason":"\\ud800"}', 'reason', op],
    ];
    for (const [method, path, body, field, call] of cases) {
      const before = await counts();
      const res = await call(method, path, body, { 'idempotency-key': `lone-${Math.random()}` });
      expectRefused(res, field);
      expect(await counts(), `${method} ${path}`).toEqual(before);
    }
  });
});

describe('__proto__ keys are refused, naming the field', () => {
  test('in metadata, in a batch item and as a CSV column: 400 naming it', async () => {
    const before = await counts();
    expectRefused(
      await tenant.api('POST', '/v1/payouts', inrPayout({ metadata: JSON.parse('{"__proto__":{"a":"b"},"k":"v"}') }), {
        'idempotency-key': 'proto-1',
      }),
      'metadata.__proto__',
      'reserved_key',
    );
    expectRefused(
      await tenant.api('POST', '/v1/payouts', JSON.stringify(inrPayout()).replace('{', '{"__proto__":"x",'), {
        'idempotency-key': 'proto-2',
      }),
      '__proto__',
      'reserved_key',
    );
    expectRefused(
      await tenant.api(
        'POST',
        '/v1/payout-batches',
        { items: [inrPayout({ metadata: JSON.parse('{"__proto__":"x"}') })] },
        { 'idempotency-key': 'proto-3' },
      ),
      'items[0].metadata.__proto__',
      'reserved_key',
    );
    const csv = await apiFetch(`${system.api.url}/v1/payout-batches`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tenant.key}`, 'content-type': 'text/csv', 'idempotency-key': 'proto-4' },
      body: 'amount,currency,method,beneficiary_name,beneficiary_account_number,beneficiary_bank_code,metadata___proto__\n50000,INR,IMPS,Asha Rao,123456789012,HDFC0001234,x\n',
    });
    expectRefused(
      { status: csv.status, body: await csv.json(), headers: csv.headers },
      'metadata___proto__',
      'reserved_key',
    );
    expect(await counts()).toEqual(before);
  });

  test('constructor and prototype are ordinary metadata keys, stored as sent', async () => {
    const metadata = { constructor: 'c', prototype: 'p', toString: 't' };
    const res = await tenant.api('POST', '/v1/payouts', inrPayout({ metadata }), { 'idempotency-key': 'proto-5' });
    expect(res.status).toBe(202);
    expect(res.body.metadata).toEqual(metadata);
    const row = must((await system.db.db.select().from(payouts).where(eq(payouts.id, res.body.id)))[0], 'the payout');
    expect(row.metadata).toEqual(metadata);
  });
});
