import { createHmac } from 'node:crypto';
import { request } from 'node:http';
import { payoutBatches, payouts, tenants } from '@payouts/db';
import { must } from '@payouts/testing';
import { eq } from 'drizzle-orm';
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
 * Request signing: once an operator enables it for a tenant, every request with that tenant's keys
 * carries X-Signature-Timestamp and X-Signature: v1=HMAC-SHA256(secret,
 * `${timestamp}.${METHOD}.${path?query}.${raw body}`). Signed here with node:crypto directly, as a
 * client would (the same snippet as docs/security.md), not with the server's own code.
 */
let system: TestSystem;
let tenant: Awaited<ReturnType<typeof createFundedTenant>>;
let secret: string;

function sign(method: string, path: string, body: string, timestamp = Math.floor(Date.now() / 1000), key = secret) {
  const mac = createHmac('sha256', key).update(`${timestamp}.${method}.${path}.${body}`).digest('hex');
  return { 'x-signature-timestamp': String(timestamp), 'x-signature': `v1=${mac}` };
}

async function send(
  method: string,
  path: string,
  options: { body?: string; contentType?: string; headers?: Record<string, string>; key?: string } = {},
) {
  const res = await apiFetch(`${system.api.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${options.key ?? tenant.key}`,
      ...(options.body !== undefined ? { 'content-type': options.contentType ?? 'application/json' } : {}),
      ...options.headers,
    },
    body: options.body,
  });
  const text = await res.text();
  // biome-ignore lint/suspicious/noExplicitAny: a response body under test
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: res.status, body, headers: res.headers };
}

const count = async (table: typeof payouts | typeof payoutBatches) =>
  (await system.db.db.select().from(table).where(eq(table.tenantId, tenant.id))).length;

beforeAll(async () => {
  system = await startTestSystem();
  tenant = await createFundedTenant(system, 'signing');
  // Cached as unsigned before signing is enabled: enabling must reach the cache at once.
  expect((await tenant.api('GET', '/v1/balances')).status).toBe(200);
  const enabled = await client(system.api.url, system.operatorKey)(
    'POST',
    `/v1/admin/tenants/${tenant.id}/request-signing`,
    { enabled: true },
  );
  expect(enabled.status).toBe(200);
  expect(enabled.body).toMatchObject({
    tenant_id: tenant.id,
    enabled: true,
    secret: expect.stringMatching(/^rss_[0-9a-f]{64}$/),
  });
  secret = enabled.body.secret;
});
afterAll(async () => {
  await system?.stop();
});

describe('signed requests', () => {
  test('a correctly signed GET and POST are served', async () => {
    expect((await send('GET', '/v1/balances', { headers: sign('GET', '/v1/balances', '') })).status).toBe(200);
    expect((await send('GET', '/v1/payouts?limit=2', { headers: sign('GET', '/v1/payouts?limit=2', '') })).status).toBe(
      200,
    );
    const body = JSON.stringify(inrPayout({ reference_id: 'signed-1' }));
    const res = await send('POST', '/v1/payouts', {
      body,
      headers: { ...sign('POST', '/v1/payouts', body), 'idempotency-key': 'signed-1' },
    });
    expect(res.status).toBe(202);
  });

  test('a signed write sent again (a captured request replayed inside the window): 401 signature_replayed', async () => {
    const body = JSON.stringify(inrPayout({ reference_id: 'signed-replay' }));
    const headers = { ...sign('POST', '/v1/payouts', body), 'idempotency-key': 'signed-replay' };
    expect((await send('POST', '/v1/payouts', { body, headers })).status).toBe(202);
    const again = await send('POST', '/v1/payouts', { body, headers });
    expect(again.status).toBe(401);
    expect(again.body.code).toBe('signature_replayed');
    expect(again.body.errors[0].field).toBe('X-Signature');
    // Signed afresh, the same retry is served (and replayed from its Idempotency-Key).
    const resigned = await send('POST', '/v1/payouts', {
      body,
      headers: {
        ...sign('POST', '/v1/payouts', body, Math.floor(Date.now() / 1000) + 1),
        'idempotency-key': 'signed-replay',
      },
    });
    expect(resigned.status).toBe(202);
    expect(resigned.headers.get('idempotent-replayed')).toBe('true');
  });

  test('without the headers: 401 signature_missing, naming the header', async () => {
    const res = await send('GET', '/v1/balances');
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe('signature_missing');
    expect(res.body.errors[0].field).toBe('X-Signature-Timestamp');
    const noSig = await send('GET', '/v1/balances', {
      headers: { 'x-signature-timestamp': String(Math.floor(Date.now() / 1000)) },
    });
    expect(noSig.body).toMatchObject({ code: 'signature_missing', errors: [{ field: 'X-Signature' }] });
  });

  test('a timestamp outside the 300 s window: 401 signature_timestamp_stale, even with a valid MAC', async () => {
    // Well outside the window: the server reads its clock later than this line, and on a busy
    // machine seconds later. The exact edge is pinned with a fixed clock in request-signing.test.ts
    // beside the code.
    const old = Math.floor(Date.now() / 1000) - 300 - 120;
    const res = await send('GET', '/v1/balances', { headers: sign('GET', '/v1/balances', '', old) });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ code: 'signature_timestamp_stale', errors: [{ field: 'X-Signature-Timestamp' }] });
    const future = Math.floor(Date.now() / 1000) + 300 + 120;
    expect((await send('GET', '/v1/balances', { headers: sign('GET', '/v1/balances', '', future) })).body.code).toBe(
      'signature_timestamp_stale',
    );
  });

  test('a wrong MAC, another secret, another route, or a changed body: 401 signature_invalid, nothing written', async () => {
    const before = await count(payouts);
    const body = JSON.stringify(inrPayout({ reference_id: 'signed-bad' }));
    const cases: [string, Record<string, string>, string][] = [
      ['a wrong secret', sign('POST', '/v1/payouts', body, undefined, 'rss_not_the_secret'), body],
      ['signed for another route', sign('POST', '/v1/payout-batches', body), body],
      ['signed for another method', sign('PUT', '/v1/payouts', body), body],
      ['a changed body', sign('POST', '/v1/payouts', body), body.replace('50000', '50001')],
      ['not hex', { ...sign('POST', '/v1/payouts', body), 'x-signature': 'v1=zz' }, body],
      ['a bad timestamp', { ...sign('POST', '/v1/payouts', body), 'x-signature-timestamp': 'yesterday' }, body],
    ];
    for (const [name, headers, sent] of cases) {
      const res = await send('POST', '/v1/payouts', { body: sent, headers: { ...headers, 'idempotency-key': name } });
      expect(res.status, name).toBe(401);
      expect(res.body.code, name).toBe('signature_invalid');
      expect(res.body.errors[0].field, name).toMatch(/^X-Signature/);
    }
    // A signature for one page of a list does not open another.
    const page = await send('GET', '/v1/payouts?limit=3', { headers: sign('GET', '/v1/payouts?limit=2', '') });
    expect(page.body.code).toBe('signature_invalid');
    expect(await count(payouts)).toBe(before);
  });

  test('bodies no route reads are verified too: a cancel with an unsigned body is refused', async () => {
    const created = await send('POST', '/v1/payouts', {
      body: JSON.stringify(inrPayout({ reference_id: 'signed-cancel' })),
      headers: {
        ...sign('POST', '/v1/payouts', JSON.stringify(inrPayout({ reference_id: 'signed-cancel' }))),
        'idempotency-key': 'signed-cancel',
      },
    });
    expect(created.status).toBe(202);
    const path = `/v1/payouts/${created.body.id}/cancel`;
    const res = await send('POST', path, {
      body: 'anything',
      contentType: 'text/plain',
      headers: sign('POST', path, 'something else'),
    });
    expect(res.body.code).toBe('signature_invalid');
    // A GET carrying a body it did not sign (fetch cannot send one; node:http can).
    const getPath = `/v1/payouts/${created.body.id}`;
    const get = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        `${system.api.url}${getPath}`,
        {
          method: 'GET',
          headers: {
            authorization: `Bearer ${tenant.key}`,
            'content-type': 'application/json',
            'content-length': '7',
            ...sign('GET', getPath, ''),
          },
        },
        (res) => {
          let text = '';
          res.on('data', (c) => {
            text += c;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on('error', reject);
      req.end('{"x":1}');
    });
    expect(get.status, get.body).toBe(401);
    expect(JSON.parse(get.body).code).toBe('signature_invalid');
    expect((await send('GET', getPath, { headers: sign('GET', getPath, '') })).body.status).toBe('accepted');
  });

  test('JSON and CSV batches are signed over their raw bytes', async () => {
    const json = JSON.stringify({ items: [inrPayout({ reference_id: 'signed-batch-1' })] });
    const ok = await send('POST', '/v1/payout-batches', {
      body: json,
      headers: { ...sign('POST', '/v1/payout-batches', json), 'idempotency-key': 'signed-batch-json' },
    });
    expect(ok.status).toBe(202);

    const csv =
      'amount,currency,method,purpose,beneficiary_name,beneficiary_account_number,beneficiary_bank_code,reference_id\n' +
      '50000,INR,IMPS,payout,Asha Rao,123456789012,HDFC0001234,signed-csv-1\n';
    const path = '/v1/payout-batches?mode=accept_valid';
    const csvOk = await send('POST', path, {
      body: csv,
      contentType: 'text/csv',
      headers: { ...sign('POST', path, csv), 'idempotency-key': 'signed-batch-csv' },
    });
    expect(csvOk.status, JSON.stringify(csvOk.body)).toBe(202);

    const batchesBefore = await count(payoutBatches);
    const csvBad = await send('POST', path, {
      body: csv.replace('50000', '90000'),
      contentType: 'text/csv',
      // Signed afresh (a reused signature is refused as replayed before its body is read).
      headers: {
        ...sign('POST', path, csv, Math.floor(Date.now() / 1000) + 2),
        'idempotency-key': 'signed-batch-csv-bad',
      },
    });
    expect(csvBad.status).toBe(401);
    expect(csvBad.body.code).toBe('signature_invalid');
    const jsonBad = await send('POST', '/v1/payout-batches', {
      body: json,
      headers: { ...sign('POST', '/v1/payout-batches', `${json} `), 'idempotency-key': 'signed-batch-json-bad' },
    });
    expect(jsonBad.body.code).toBe('signature_invalid');
    expect(await count(payoutBatches)).toBe(batchesBefore);
  });

  test('other tenants and operator keys are unaffected; disabling signing takes effect at once', async () => {
    const other = await createFundedTenant(system, 'signing-other');
    expect((await other.api('GET', '/v1/balances')).status).toBe(200);
    const op = client(system.api.url, system.operatorKey);
    const off = await op('POST', `/v1/admin/tenants/${tenant.id}/request-signing`, { enabled: false });
    expect(off.body).toEqual({ tenant_id: tenant.id, enabled: false });
    const row = must((await system.db.db.select().from(tenants).where(eq(tenants.id, tenant.id)))[0], 'the tenant');
    expect(row.requestSigningSecret).toBeNull();
    expect((await send('GET', '/v1/balances')).status).toBe(200);
    const bad = await op('POST', `/v1/admin/tenants/${tenant.id}/request-signing`, { enabled: 'yes' });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].field).toBe('enabled');
  });
});
