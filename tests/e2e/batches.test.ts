import { payoutBatches, payouts } from '@payouts/db';
import { waitFor } from '@payouts/testing';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';

// Runs of a hundred payouts on a busy two-core machine: generous, but every wait still ends.
vi.setConfig({ testTimeout: 120_000 });

import { apiFetch, client, createFundedTenant, startTestSystem, type TestSystem } from '../support/system.ts';

/** Salary and refund runs: JSON or CSV, validated per row, pre-flighted against the wallet, exported per row. */
let system: TestSystem;
let tenant: Awaited<ReturnType<typeof createFundedTenant>>;

beforeAll(async () => {
  system = await startTestSystem();
  tenant = await createFundedTenant(system, 'payroll', { INR: 100_000_000, THB: 100_000_000 });
  // These runs pay the same employees under the same references again and again, as a payroll
  // that reuses its references each month does: such a tenant turns the duplicate guard off (the
  // guard's own tests are tests/api/duplicate-reference.test.ts).
  const off = await tenant.api('PATCH', '/v1/settings', { duplicate_reference_guard: false });
  expect(off.status).toBe(200);
});
afterAll(async () => {
  await system?.stop();
});

const inr = (i: number) => ({
  amount: 10_000 + i,
  currency: 'INR',
  method: 'IMPS',
  purpose: 'salary',
  reference_id: `emp-${i}`,
  narration: 'Salary March',
  // Offset so no account ends in the sandbox's 0001/0002/0003 test endings.
  beneficiary: {
    name: `Employee ${i}`,
    account_number: `5000000${String(i + 10).padStart(5, '0')}`,
    bank_code: 'HDFC0001234',
  },
});

async function upload(body: unknown, key: string, api = tenant.api, contentType?: string) {
  return api('POST', '/v1/payout-batches', body, {
    'idempotency-key': key,
    ...(contentType ? { 'content-type': contentType } : {}),
  });
}

async function completed(id: string, api = tenant.api) {
  return waitFor(
    async () => {
      const res = await api('GET', `/v1/payout-batches/${id}`);
      return res.body.status === 'completed' ? res.body : undefined;
    },
    { message: `batch ${id} to complete` },
  );
}

async function resultsCsv(id: string) {
  const res = await apiFetch(`${system.api.url}/v1/payout-batches/${id}/results.csv`, {
    headers: { authorization: `Bearer ${tenant.key}` },
  });
  expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
  return (await res.text()).trim().split('\n');
}

describe('a JSON run', () => {
  test('accept_valid: valid rows go ahead, invalid rows come back with row, field and message; the export has every row', async () => {
    const items: Record<string, unknown>[] = Array.from({ length: 40 }, (_, i) => inr(i + 1));
    items[4] = { ...inr(5), amount: 50 }; // under RazorpayX's 100 paise
    items[9] = { ...inr(10), narration: 'Salary, March!' };
    items[19] = { ...inr(20), currency: 'XYZ' };
    // Refused rows echo the reference they gave, whatever it was: none, too long, a formula.
    const { reference_id: _, ...unreferenced } = inr(25);
    items[24] = { ...unreferenced, amount: 50 };
    items[29] = { ...inr(30), reference_id: `r${'x'.repeat(299)}` };
    items[34] = { ...inr(35), reference_id: '=HYPERLINK("x")', amount: 50 };
    const res = await upload({ items, mode: 'accept_valid' }, 'run-1');
    expect(res.status).toBe(202);
    expect(res.body.rows).toEqual({ total: 40, accepted: 34, rejected: 6 });
    expect(res.body.errors).toEqual([
      { row: 5, field: 'amount', message: expect.any(String), reference_id: 'emp-5' },
      { row: 10, field: 'narration', message: expect.any(String), reference_id: 'emp-10' },
      { row: 20, field: 'currency', message: expect.any(String), reference_id: 'emp-20' },
      { row: 25, field: 'amount', message: expect.any(String) },
      { row: 30, field: 'reference_id', message: expect.any(String), reference_id: `r${'x'.repeat(254)}` },
      { row: 35, field: 'amount', message: expect.any(String), reference_id: '=HYPERLINK("x")' },
    ]);
    expect(res.body.totals).toEqual([
      { currency: 'INR', provider: 'razorpayx', count: 34, amount: expect.any(Number) },
    ]);

    const done = await completed(res.body.id);
    expect(done.counts).toEqual({ processed: 34 });
    expect(done.progress).toEqual({ final: 34, total: 34, percent: 100 });
    expect(done.completed_at).toEqual(expect.any(String));

    const lines = await resultsCsv(res.body.id);
    expect(lines[0]).toBe(
      'row,reference_id,payout_id,status,amount,currency,provider,fees,tax,failure_code,failure_message,utr',
    );
    expect(lines).toHaveLength(41);
    expect(lines[5]).toMatch(/^5,emp-5,,invalid,/);
    expect(lines[10]).toMatch(/^10,emp-10,,invalid,/);
    expect(lines[25]).toMatch(/^25,,,invalid,/);
    expect(lines[30]).toMatch(new RegExp(`^30,r${'x'.repeat(254)},,invalid,`));
    expect(lines[35]).toMatch(/^35,"'=HYPERLINK\(""x""\)",,invalid,/);
    expect(lines[1]).toMatch(/^1,emp-1,po_[0-9A-Z]{26},processed,10001,INR,razorpayx,500,90,,,\S+$/);

    const page = await tenant.api('GET', `/v1/payout-batches/${res.body.id}/payouts?limit=10`);
    expect(page.body.data).toHaveLength(10);
    expect(page.body.data[0]).toMatchObject({
      row: 1,
      reference_id: 'emp-1',
      status: 'processed',
      batch_id: res.body.id,
    });
    expect(page.body.has_more).toBe(true);
  });

  test('all_or_nothing: one invalid row refuses the whole run and nothing is written', async () => {
    const before = (await system.db.db.select().from(payouts)).length;
    const items = [inr(1), { ...inr(2), beneficiary: { name: 'x', account_number: '12', bank_code: 'HDFC0001234' } }];
    const res = await upload({ items }, 'run-2');
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('batch_invalid');
    expect(res.body.row_errors).toEqual([
      { row: 2, field: 'beneficiary.account_number', message: expect.any(String), reference_id: 'emp-2' },
    ]);
    expect(res.body.errors[0].field).toBe('rows[2].beneficiary.account_number');
    expect((await system.db.db.select().from(payouts)).length).toBe(before);
  });

  test('results.csv and the payouts show fees and tax as charged: 0 for a payout the bank failed or reversed', async () => {
    const items = [
      inr(201),
      { ...inr(202), beneficiary: { name: 'Fail Case', account_number: '999900010001', bank_code: 'HDFC0001234' } },
      { ...inr(203), beneficiary: { name: 'Reversal Case', account_number: '999900020002', bank_code: 'HDFC0001234' } },
    ];
    const res = await upload({ items }, 'charged-1');
    expect(res.status).toBe(202);
    await waitFor(
      async () => {
        const b = await tenant.api('GET', `/v1/payout-batches/${res.body.id}`);
        return b.body.counts.reversed === 1 && b.body.counts.failed === 1 && b.body.counts.processed === 1
          ? b
          : undefined;
      },
      { timeoutMs: 90_000, message: 'one processed, one failed, one reversed' },
    );
    const lines = await resultsCsv(res.body.id);
    expect(lines.slice(1).map((l) => l.split(',').slice(3, 9))).toEqual([
      ['processed', '10201', 'INR', 'razorpayx', '500', '90'],
      ['failed', '10202', 'INR', 'razorpayx', '0', '0'],
      ['reversed', '10203', 'INR', 'razorpayx', '0', '0'],
    ]);
    const page = await tenant.api('GET', `/v1/payout-batches/${res.body.id}/payouts`);
    expect(page.body.data.map((p: { status: string; fees: number; tax: number }) => [p.status, p.fees, p.tax])).toEqual(
      [
        ['processed', 500, 90],
        ['failed', 0, 0],
        ['reversed', 0, 0],
      ],
    );
  });

  test('the same upload with the same Idempotency-Key is recognised: one batch, no second payouts', async () => {
    const body = { items: [inr(101), inr(102)] };
    const first = await upload(body, 'run-3');
    const again = await upload(body, 'run-3');
    expect(again.status).toBe(202);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const batches = await system.db.db.select().from(payoutBatches);
    expect(batches.filter((b) => b.id === first.body.id)).toHaveLength(1);
    await completed(first.body.id);
  });
});

describe('a CSV run', () => {
  const header =
    'amount,currency,method,purpose,reference_id,narration,beneficiary_name,beneficiary_account_number,beneficiary_bank_code,metadata_employee';

  test('is streamed, validated per row (errors name the column), and settles', async () => {
    const rows = Array.from(
      { length: 120 },
      (_, i) =>
        `${20_000 + i},INR,IMPS,salary,csv-${i + 1},Salary March,"Rao, Asha ${i}",6000000${String(i + 10).padStart(5, '0')},HDFC0001234,E${i}`,
    );
    rows[6] = `12.5,INR,IMPS,salary,csv-7,Salary March,Asha,600000000007,HDFC0001234,E6`;
    rows.push('100000,THB,bank_account,,csv-thb,,John Doe,1234567890,004,');
    const csv = `${header}\n${rows.join('\n')}\n`;
    const res = await upload(`${csv}`, 'csv-1', tenant.api, 'text/csv').then((r) => r);
    // mode defaults to all_or_nothing: the CSV had one bad row.
    expect(res.status).toBe(422);
    expect(res.body.row_errors).toEqual([
      { row: 7, field: 'amount', message: expect.any(String), reference_id: 'csv-7' },
    ]);

    const ok = await apiFetch(`${system.api.url}/v1/payout-batches?mode=accept_valid`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tenant.key}`, 'content-type': 'text/csv', 'idempotency-key': 'csv-2' },
      body: csv,
    }).then(async (r) => ({
      status: r.status,
      body: (await r.json()) as { id: string; rows: unknown; totals: unknown[] },
    }));
    expect(ok.status).toBe(202);
    expect(ok.body.rows).toEqual({ total: 121, accepted: 120, rejected: 1 });
    expect(ok.body.totals).toHaveLength(2);
    const done = await completed(ok.body.id);
    expect(done.counts).toEqual({ processed: 120 });
    const lines = await resultsCsv(ok.body.id);
    expect(lines).toHaveLength(122);
    expect(lines[7]).toMatch(/^7,csv-7,,invalid,.*amount/);
    expect(lines[121]).toMatch(/^121,csv-thb,po_\w+,processed,100000,THB,thai-gateway/);
  });

  test('an unknown column or a malformed file is refused before anything is stored', async () => {
    const unknown = await upload('amount,currency,colour\n100,INR,red\n', 'csv-3', tenant.api, 'text/csv');
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors[0].field).toBe('colour');
    const malformed = await upload(`${header}\n"unclosed,INR\n`, 'csv-4', tenant.api, 'text/csv');
    expect(malformed.status).toBe(400);
    expect(malformed.body.code).toBe('malformed_csv');
  });
});

describe('the amount limit (10^15 minor units)', () => {
  test('a row over it is a row error naming amount, in JSON and CSV; nothing is stored', async () => {
    const before = (await system.db.db.select().from(payouts)).length;
    const json = await upload({ items: [inr(1), { ...inr(2), amount: Number.MAX_SAFE_INTEGER }] }, 'limit-1');
    expect(json.status).toBe(422);
    expect(json.body.code).toBe('batch_invalid');
    // A refused row echoes the reference it gave.
    expect(json.body.row_errors).toEqual([
      { row: 2, field: 'amount', message: 'must be at most 1000000000000000 minor units', reference_id: 'emp-2' },
    ]);
    expect(json.body.errors[0].field).toBe('rows[2].amount');

    const header =
      'amount,currency,method,purpose,reference_id,narration,beneficiary_name,beneficiary_account_number,beneficiary_bank_code';
    const csv = [
      header,
      '10000,INR,IMPS,salary,l-1,Salary March,Asha,600000000101,HDFC0001234',
      '1000000000000001,INR,IMPS,salary,l-2,Salary March,Asha,600000000102,HDFC0001234',
      '99999999999999999999,INR,IMPS,salary,l-3,Salary March,Asha,600000000103,HDFC0001234',
    ].join('\n');
    const res = await upload(csv, 'limit-2', tenant.api, 'text/csv');
    expect(res.status).toBe(422);
    expect(res.body.row_errors).toEqual([
      { row: 2, field: 'amount', message: 'must be at most 1000000000000000 minor units', reference_id: 'l-2' },
      { row: 3, field: 'amount', message: 'must be at most 1000000000000000 minor units', reference_id: 'l-3' },
    ]);
    expect((await system.db.db.select().from(payouts)).length).toBe(before);
  });

  test('a run totalling more than a wallet may hold in one currency is refused, even to be queued', async () => {
    const before = (await system.db.db.select().from(payouts)).length;
    const items = [
      // NEFT: no rail limit, so the wallet limit is what refuses the run (IMPS stops at ₹5,00,000).
      { ...inr(1), method: 'NEFT', amount: 600_000_000_000_000 },
      { ...inr(2), method: 'NEFT', amount: 400_000_000_000_000 },
      { ...inr(3), amount: 1 * 100 },
    ];
    for (const mode of ['all_or_nothing', 'accept_valid']) {
      const res = await upload({ items, mode, on_insufficient_funds: 'queue' }, `limit-total-${mode}`);
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('batch_total_too_large');
      expect(res.body.errors).toEqual([
        { field: 'currency', message: 'INR: the rows total 1000000000000100, more than 1000000000000000' },
      ]);
    }
    expect((await system.db.db.select().from(payouts)).length).toBe(before);
  });
});

describe('pre-flight against the wallet', () => {
  test('a run the wallet cannot cover is refused, or queued when asked, and released by a funding', async () => {
    const small = await createFundedTenant(system, 'small-payroll', 30_000);
    const items = [inr(1), inr(2), inr(3)];
    const refused = await upload({ items }, 'short-1', small.api);
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('insufficient_funds');
    expect(refused.body.errors[0]).toMatchObject({ field: 'currency', message: expect.stringContaining('INR') });

    const queued = await upload({ items, on_insufficient_funds: 'queue' }, 'short-2', small.api);
    expect(queued.status).toBe(202);
    await waitFor(async () => {
      const b = await small.api('GET', `/v1/payout-batches/${queued.body.id}`);
      return (b.body.counts.queued ?? 0) >= 1 || undefined;
    });
    const op = client(system.api.url, system.operatorKey);
    await op('POST', `/v1/admin/tenants/${small.id}/fundings`, {
      currency: 'INR',
      amount: 1_000_000,
      reference: 'payroll-topup',
    });
    const done = await completed(queued.body.id, small.api);
    expect(done.counts).toEqual({ processed: 3 });

    // The wallet is spent now; the same upload under the same key still replays its first answer.
    const retry = await upload({ items, on_insufficient_funds: 'queue' }, 'short-2', small.api);
    expect(retry.status).toBe(202);
    expect(retry.body.id).toBe(queued.body.id);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
  });

  test('a retry of an upload that spent the wallet replays its answer instead of failing the pre-flight', async () => {
    // Enough for one run of these two payouts (amounts plus RazorpayX's ₹30 fee reserve each).
    const exact = await createFundedTenant(system, 'exact-payroll', 10_001 + 10_002 + 2 * 3_000);
    const items = [inr(1), inr(2)];
    const first = await upload({ items }, 'exact-1', exact.api);
    expect(first.status).toBe(202);
    await completed(first.body.id, exact.api);
    const retry = await upload({ items }, 'exact-1', exact.api);
    expect(retry.status).toBe(202);
    expect(retry.body.id).toBe(first.body.id);
    // A new key is a new run (of other payouts: the same references would be duplicates), and
    // that one the wallet cannot cover.
    const next = items.map((item) => ({ ...item, reference_id: `${item.reference_id}-next` }));
    expect((await upload({ items: next }, 'exact-2', exact.api)).body.code).toBe('insufficient_funds');
  });

  test('another tenant cannot see the run', async () => {
    const mine = await upload({ items: [inr(300)] }, 'mine-1');
    const other = await createFundedTenant(system, 'nosy', 0);
    expect((await other.api('GET', `/v1/payout-batches/${mine.body.id}`)).status).toBe(404);
    expect((await other.api('GET', `/v1/payout-batches/${mine.body.id}/results.csv`)).status).toBe(404);
    await completed(mine.body.id);
  });
});
