import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { IdGenerator, type PayoutStatus } from '@payouts/core';
import { insertRows, payouts } from '@payouts/db';
import { must } from '@payouts/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EXPORT_COLUMNS, EXPORT_PAGE_ROWS, writePayoutsCsv } from '../../apps/api/src/payout-export.ts';
import { payoutFilterSql } from '../../apps/api/src/payout-filters.ts';
import { createFundedTenant, startTestSystem, type TestSystem } from '../support/system.ts';

/**
 * Finding payouts: every filter of `GET /v1/payouts` narrows the selection exactly as documented
 * (times `from` inclusive and `to` exclusive, amounts inclusive, several states), bad filters are
 * 400 naming the parameter, and `GET /v1/payouts/export.csv` streams the same selection, whatever
 * its size, holding no more than its output buffer.
 */
let system: TestSystem;
type Tenant = Awaited<ReturnType<typeof createFundedTenant>>;
let tenant: Tenant;
let other: Tenant;

type Row = typeof payouts.$inferInsert & {
  id: string;
  createdAt: Date;
  updatedAt: Date;
  amount: bigint;
  status: PayoutStatus;
};
const rows: Row[] = [];
const DAY = 86_400_000;
/** The lower bound of the amount-range case: what payout 10 has. */
const AMOUNT_FROM = BigInt(1_000 + ((10 * 7_919) % 100_000));
const START = Date.parse('2026-03-01T00:00:00Z');
// Final states only: nothing drives them on while the test reads them.
const STATES: PayoutStatus[] = ['processed', 'processed', 'failed', 'cancelled', 'rejected', 'reversed'];

/** Payouts written straight to the table, ids minted at their creation time as the API mints them. */
function payoutAt(tenantId: string, i: number, created: number, overrides: Partial<Row> = {}): Row {
  const ids = new IdGenerator({ now: () => created, random: (n) => randomBytes(n) });
  const thb = i % 5 === 0;
  return {
    id: ids.next('payout'),
    tenantId,
    status: must(STATES[i % STATES.length], 'a state'),
    amount: BigInt(1_000 + ((i * 7_919) % 100_000)),
    currency: thb ? 'THB' : 'INR',
    provider: thb ? 'thai-gateway' : 'razorpayx',
    method: thb ? 'bank_account' : i % 2 === 0 ? 'IMPS' : 'NEFT',
    purpose: 'payout',
    referenceId: `inv-${i}`,
    beneficiary: {
      name: `Payee ${i}`,
      account_number: `50000000${String(i).padStart(4, '0')}`,
      bank_code: 'HDFC0001234',
    },
    providerIdempotencyKey: `k-${tenantId}-${i}`,
    batchId: i % 7 === 0 ? 'bat_01JSEARCHBATCH0000000000000' : null,
    beneficiaryType: i % 3 === 0 ? 'employee' : null,
    createdAt: new Date(created),
    // Changed from a few minutes to two days after creation.
    updatedAt: new Date(created + ((i * 3_607_000) % (2 * DAY))),
    ...overrides,
  };
}

beforeAll(async () => {
  system = await startTestSystem();
  tenant = await createFundedTenant(system, 'search');
  other = await createFundedTenant(system, 'search-other');
  // 10 days of payouts, one every 48 minutes, and the same again for another tenant.
  for (let i = 0; i < 300; i++) rows.push(payoutAt(tenant.id, i, START + i * 48 * 60_000));
  await insertRows(system.db.db, payouts, rows);
  await insertRows(
    system.db.db,
    payouts,
    rows.map((r, i) => payoutAt(other.id, i, r.createdAt.getTime())),
  );
});
afterAll(async () => {
  await system?.stop();
});

/** Every page of the list for a query, ids in answer order. */
async function listAll(api: Tenant['api'], query: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const res = await api('GET', `/v1/payouts?${query}&limit=100${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    ids.push(...res.body.data.map((p: { id: string }) => p.id));
    cursor = res.body.next_cursor;
  } while (cursor);
  return ids;
}

const newestFirst = (selected: Row[]) => selected.map((r) => r.id).sort((a, b) => (a < b ? 1 : -1));
const iso = (t: number) => new Date(t).toISOString();

describe('GET /v1/payouts filters', () => {
  const cases: [string, () => string, (r: Row) => boolean][] = [
    [
      'created_from (inclusive) and created_to (exclusive)',
      () => `created_from=${iso(START + 2 * DAY)}&created_to=${iso(START + 3 * DAY)}`,
      (r) => r.createdAt.getTime() >= START + 2 * DAY && r.createdAt.getTime() < START + 3 * DAY,
    ],
    [
      'created_from alone, in another time zone',
      () => `created_from=${encodeURIComponent('2026-03-08T05:30:00+05:30')}`,
      (r) => r.createdAt.getTime() >= Date.parse('2026-03-08T00:00:00Z'),
    ],
    [
      'updated_from and updated_to',
      () => `updated_from=${iso(START + 4 * DAY)}&updated_to=${iso(START + 5 * DAY)}`,
      (r) => r.updatedAt.getTime() >= START + 4 * DAY && r.updatedAt.getTime() < START + 5 * DAY,
    ],
    [
      'amount_min and amount_max (inclusive)',
      () => `amount_min=${AMOUNT_FROM}&amount_max=${AMOUNT_FROM + 40_000n}`,
      (r) => r.amount >= AMOUNT_FROM && r.amount <= AMOUNT_FROM + 40_000n,
    ],
    ['currency', () => 'currency=THB', (r) => r.currency === 'THB'],
    ['provider', () => 'provider=razorpayx', (r) => r.provider === 'razorpayx'],
    ['method', () => 'method=NEFT', (r) => r.method === 'NEFT'],
    ['batch_id', () => 'batch_id=bat_01JSEARCHBATCH0000000000000', (r) => r.batchId !== null],
    ['reference_id', () => 'reference_id=inv-42', (r) => r.referenceId === 'inv-42'],
    ['one status', () => 'status=failed', (r) => r.status === 'failed'],
    [
      'several statuses, comma-separated',
      () => 'status=failed,rejected,cancelled',
      (r) => ['failed', 'rejected', 'cancelled'].includes(r.status),
    ],
    [
      'every filter at once',
      () =>
        `status=processed,reversed&currency=INR&method=IMPS&created_from=${iso(START + DAY)}&created_to=${iso(START + 8 * DAY)}&amount_min=20000`,
      (r) =>
        ['processed', 'reversed'].includes(r.status) &&
        r.currency === 'INR' &&
        r.method === 'IMPS' &&
        r.createdAt.getTime() >= START + DAY &&
        r.createdAt.getTime() < START + 8 * DAY &&
        r.amount >= 20_000n,
    ],
  ];

  test.each(cases)('%s: exactly the payouts it selects, newest first', async (_name, query, keep) => {
    const expected = newestFirst(rows.filter(keep));
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(rows.length);
    expect(await listAll(tenant.api, query())).toEqual(expected);
  });

  test("another tenant's payouts never match", async () => {
    const all = await listAll(other.api, 'reference_id=inv-42');
    expect(all).toHaveLength(1);
    expect(all).not.toContain(must(rows[42], 'payout 42').id);
  });

  test.each([
    ['an unknown filter', 'colour=red', 'colour'],
    ['a date without a time zone', 'created_from=2026-03-01T00:00:00', 'created_from'],
    ['a date that is not one', 'updated_to=yesterday', 'updated_to'],
    ['a state that is not one', 'status=processed,paid', 'status'],
    ['an empty state in the list', 'status=processed,', 'status'],
    ['a negative amount', 'amount_min=-1', 'amount_min'],
    ['a fractional amount', 'amount_max=1.5', 'amount_max'],
    ['an amount over the limit', 'amount_max=1000000000000001', 'amount_max'],
    ['amount_min above amount_max', 'amount_min=500&amount_max=100', 'amount_max'],
    ['an unknown currency', 'currency=EUR', 'currency'],
    ['a repeated filter', 'method=IMPS&method=NEFT', 'method'],
  ])('%s → 400 invalid_query naming it', async (_name, query, field) => {
    for (const path of ['/v1/payouts', '/v1/payouts/export.csv']) {
      const res = await tenant.api('GET', `${path}?${query}`);
      expect(res.status, `${path}?${query}`).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.body.code).toBe('invalid_query');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
  });
});

/** The export's lines, parsed only as far as these rows need (no field here holds a comma). */
async function exportLines(api: Tenant['api'], query: string) {
  const res = await api('GET', `/v1/payouts/export.csv?${query}`);
  expect(res.status, String(res.body).slice(0, 500)).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
  const [header, ...lines] = (res.body as string).trimEnd().split('\n');
  return { header: must(header, 'the header line').split(','), lines: lines.map((l) => l.split(',')) };
}

describe('GET /v1/payouts/export.csv', () => {
  test('the same selection as the list, with the documented columns', async () => {
    const query = `status=failed,processed&created_from=${iso(START + DAY)}`;
    const { header, lines } = await exportLines(tenant.api, query);
    expect(header).toEqual([...EXPORT_COLUMNS]);
    expect(lines.map((l) => l[0])).toEqual(await listAll(tenant.api, query));
    const col = (name: (typeof EXPORT_COLUMNS)[number]) => header.indexOf(name);
    const first = must(lines[0], 'a line');
    const row = must(
      rows.find((r) => r.id === first[0]),
      'its payout',
    );
    expect(first[col('amount')]).toBe(String(row.amount));
    expect(first[col('created_at')]).toBe(row.createdAt.toISOString());
    expect(first[col('reference_id')]).toBe(row.referenceId);
    // Account numbers masked, as everywhere in the API.
    expect(first[col('beneficiary_account_number')]).toMatch(/^\d{4}\*+\d{4}$/);
    // The beneficiary's type as the payout keeps it, empty where it has none.
    for (const l of lines) {
      const r = must(
        rows.find((x) => x.id === l[0]),
        'its payout',
      );
      expect(l[col('beneficiary_type')]).toBe(r.beneficiaryType ?? '');
    }
    expect(lines.some((l) => l[col('beneficiary_type')] === 'employee')).toBe(true);
    // A failed payout charged nothing.
    const failed = must(
      lines.find((l) => l[col('status')] === 'failed'),
      'a failed line',
    );
    expect([failed[col('fees')], failed[col('tax')]]).toEqual(['0', '0']);
  });

  test('an empty selection is the header alone', async () => {
    const { header, lines } = await exportLines(tenant.api, 'reference_id=nothing-has-this');
    expect(header).toEqual([...EXPORT_COLUMNS]);
    expect(lines).toEqual([]);
  });

  test('the list-only parameters are not filters here', async () => {
    const res = await tenant.api('GET', '/v1/payouts/export.csv?limit=10');
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ field: 'limit', message: 'is not a known field' }]);
  });

  test('a few thousand payouts, over several pages: every one once, newest first', async () => {
    const big = await createFundedTenant(system, 'search-big');
    const many = Array.from({ length: 3 * EXPORT_PAGE_ROWS + 17 }, (_, i) => payoutAt(big.id, i, START + i * 60_000));
    for (let i = 0; i < many.length; i += 1000) await insertRows(system.db.db, payouts, many.slice(i, i + 1000));
    const { lines } = await exportLines(big.api, '');
    expect(lines.map((l) => l[0])).toEqual(newestFirst(many));
  });

  test('streamed with backpressure: it never buffers more than the output takes', async () => {
    const big = await createFundedTenant(system, 'search-stream');
    const many = Array.from({ length: 2 * EXPORT_PAGE_ROWS + 500 }, (_, i) => payoutAt(big.id, i, START + i * 60_000));
    for (let i = 0; i < many.length; i += 1000) await insertRows(system.db.db, payouts, many.slice(i, i + 1000));

    // A slow reader with a 4 KB buffer: an export that ignored backpressure would queue the whole
    // file (several hundred KB) in it at once.
    const highWaterMark = 4 * 1024;
    let maxBuffered = 0;
    let longestLine = 0;
    let received = '';
    const out = new Writable({
      highWaterMark,
      write(chunk: Buffer, _encoding, callback) {
        maxBuffered = Math.max(maxBuffered, this.writableLength);
        longestLine = Math.max(longestLine, chunk.length);
        received += chunk.toString();
        setImmediate(callback);
      },
    });
    await writePayoutsCsv(system.db.db, payoutFilterSql(big.id, {}), out);
    // What the export wrote last may still wait in the stream's buffer for the slow reader: read
    // it all before counting (the count once depended on how much the buffer held at the end).
    out.end();
    await finished(out);
    const lines = received.trimEnd().split('\n');
    expect(lines).toHaveLength(many.length + 1);
    expect(received.length).toBeGreaterThan(20 * highWaterMark);
    expect(maxBuffered).toBeLessThanOrEqual(highWaterMark + longestLine);
  });
});
