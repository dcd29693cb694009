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
 * Account numbers are masked in every response that shows a beneficiary (docs/security.md#account-numbers): a payout
 * with a distinctive number is created singly and in batches, then every route that returns it —
 * tenant and operator, JSON and CSV, fresh and replayed — is read, and the raw response text must
 * never hold the number.
 */
const ACCOUNT = '9876ZQXW54321987';
const MASKED = '9876****1987';
let system: TestSystem;
let tenant: Awaited<ReturnType<typeof createFundedTenant>>;

beforeAll(async () => {
  system = await startTestSystem();
  tenant = await createFundedTenant(system, 'masking');
});
afterAll(async () => {
  await system?.stop();
});

async function rawGet(path: string, key: string) {
  const res = await apiFetch(`${system.api.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
  return { status: res.status, text: await res.text() };
}

describe('account numbers in responses', () => {
  test('never appear unmasked, on any route that returns the payout', async () => {
    const beneficiary = { name: 'Mask Test', account_number: ACCOUNT, bank_code: 'HDFC0001234' };
    const texts: [string, string][] = [];
    const keep = (name: string, body: unknown) =>
      texts.push([name, typeof body === 'string' ? body : JSON.stringify(body)]);

    const created = await tenant.api('POST', '/v1/payouts', inrPayout({ beneficiary, reference_id: 'mask-1' }), {
      'idempotency-key': 'mask-1',
    });
    expect(created.status).toBe(202);
    expect(created.body.beneficiary.account_number).toBe(MASKED);
    keep('POST /v1/payouts', created.body);
    const replayed = await tenant.api('POST', '/v1/payouts', inrPayout({ beneficiary, reference_id: 'mask-1' }), {
      'idempotency-key': 'mask-1',
    });
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    keep('POST /v1/payouts (replayed)', replayed.body);
    const id = created.body.id as string;

    const batch = await tenant.api(
      'POST',
      '/v1/payout-batches',
      {
        items: [inrPayout({ beneficiary, reference_id: 'mask-b1' }), inrPayout({ amount: -1, beneficiary })],
        mode: 'accept_valid',
      },
      { 'idempotency-key': 'mask-batch' },
    );
    expect(batch.status).toBe(202);
    keep('POST /v1/payout-batches', batch.body);
    const csv =
      'amount,currency,method,purpose,beneficiary_name,beneficiary_account_number,beneficiary_bank_code,reference_id\n' +
      `50000,INR,IMPS,payout,Mask Test,${ACCOUNT},HDFC0001234,mask-c1\n` +
      `-5,INR,IMPS,payout,Mask Test,${ACCOUNT},HDFC0001234,mask-c2\n`;
    const csvRes = await apiFetch(`${system.api.url}/v1/payout-batches?mode=accept_valid`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tenant.key}`, 'content-type': 'text/csv', 'idempotency-key': 'mask-csv' },
      body: csv,
    });
    expect(csvRes.status).toBe(202);
    const csvBody = await csvRes.text();
    keep('POST /v1/payout-batches (CSV)', csvBody);
    const csvBatchId = JSON.parse(csvBody).id as string;

    const refused = await tenant.api('POST', '/v1/payouts', inrPayout({ beneficiary, amount: 1 }), {
      'idempotency-key': 'mask-refused',
    });
    expect(refused.status).toBe(422);
    keep('POST /v1/payouts (refused)', refused.body);

    for (const path of [
      `/v1/payouts/${id}`,
      '/v1/payouts',
      '/v1/payouts?reference_id=mask-1',
      `/v1/payouts/${id}/events`,
      `/v1/payout-batches/${batch.body.id}`,
      `/v1/payout-batches/${batch.body.id}/payouts`,
      `/v1/payout-batches/${batch.body.id}/results.csv`,
      `/v1/payout-batches/${csvBatchId}/payouts`,
      `/v1/payout-batches/${csvBatchId}/results.csv`,
    ]) {
      const res = await rawGet(path, tenant.key);
      expect(res.status, path).toBe(200);
      keep(path, res.text);
    }

    const op = client(system.api.url, system.operatorKey);
    const cancelled = await op('POST', `/v1/admin/payouts/${id}/cancel`);
    keep('POST /v1/admin/payouts/:id/cancel', cancelled.body);
    for (const path of [
      '/v1/admin/dead-letters?older_than=0',
      '/v1/admin/operator-actions',
      `/v1/admin/tenants/${tenant.id}/api-keys`,
    ]) {
      const res = await rawGet(path, system.operatorKey);
      expect(res.status, path).toBe(200);
      keep(path, res.text);
    }
    const replays = await op('POST', '/v1/admin/replays', { dry_run: true, filters: { older_than: 0 } });
    keep('POST /v1/admin/replays', replays.body);

    // The payout lists did show these payouts, masked: the check below looks at real content.
    const shown = texts.filter(([, t]) => t.includes(MASKED)).map(([n]) => n);
    expect(shown).toEqual(expect.arrayContaining(['POST /v1/payouts', `/v1/payouts/${id}`, '/v1/payouts']));
    expect(shown.length).toBeGreaterThanOrEqual(6);
    for (const [name, text] of texts) expect(text, name).not.toContain(ACCOUNT);
  });
});
