import { openDatabase, payouts, providerDowntimes, tenants } from '@payouts/db';
import { insertAcceptedPayouts, type NewPayout } from '@payouts/payouts';
import { createTestDatabase, type TestDatabase } from '@payouts/testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { countingDatabase } from './counting-database.ts';
import { SharedReads } from './shared-reads.ts';

let database: TestDatabase;
const ids = Array.from({ length: 10 }, (_, i) => `po_shared_${i}`);

beforeAll(async () => {
  database = await createTestDatabase();
  const { db } = database;
  await db.insert(tenants).values({ id: 'ten_shared', name: 'shared reads' });
  const rows: NewPayout[] = ids.map((id, i) => ({
    id,
    tenantId: 'ten_shared',
    status: 'accepted',
    amount: BigInt(100 + i),
    currency: 'INR',
    provider: 'razorpayx',
    method: 'IMPS',
    beneficiary: { name: 'A' },
    providerIdempotencyKey: id,
  }));
  await insertAcceptedPayouts(db, rows, { keyId: 'key_test' });
  const now = Date.now();
  await db.insert(providerDowntimes).values([
    { provider: 'razorpayx', modes: ['IMPS'], startsAt: new Date(now - 60_000), source: 'operator', createdBy: 'op' },
    {
      provider: 'razorpayx',
      modes: ['NEFT'],
      startsAt: new Date(now - 60_000),
      source: 'operator',
      createdBy: 'op',
      resolvedAt: new Date(now - 1_000),
    },
  ]);
});
afterAll(() => database?.drop());

describe('SharedReads', () => {
  test('the payouts asked for in one turn of the event loop are read by one query, each answered with its own row', async () => {
    const { db, calls: selects } = countingDatabase(database.db, 'select');
    const reads = new SharedReads(db, Date.now);
    const asked = [...ids, ids[3] as string, 'po_missing'];
    const rows = await Promise.all(asked.map((id) => reads.payout(id)));
    expect(selects()).toBe(1);
    expect(rows.map((r) => r?.id ?? null)).toEqual([...ids, ids[3], null]);
    expect(rows.map((r) => r?.amount ?? null)).toEqual([...ids.map((_, i) => BigInt(100 + i)), 103n, null]);
  });

  test('nothing is kept between turns: a payout changed after one read is read as it is now', async () => {
    const { db, calls: selects } = countingDatabase(database.db, 'select');
    const reads = new SharedReads(db, Date.now);
    const id = ids[0] as string;
    expect((await reads.payout(id))?.status).toBe('accepted');
    await database.db.update(payouts).set({ status: 'reserved' }).where(eq(payouts.id, id));
    expect((await reads.payout(id))?.status).toBe('reserved');
    expect(selects()).toBe(2);
  });

  test("a provider's active downtimes are read once for the jobs asking together; a resolved one is not active", async () => {
    const { db, calls: selects } = countingDatabase(database.db, 'select');
    const reads = new SharedReads(db, Date.now);
    const [a, b, other] = await Promise.all([
      reads.activeDowntimes('razorpayx'),
      reads.activeDowntimes('razorpayx'),
      reads.activeDowntimes('krayon'),
    ]);
    expect(selects()).toBe(2);
    expect(a?.map((d) => d.modes)).toEqual([['IMPS']]);
    expect(b).toEqual(a);
    expect(other).toEqual([]);
  });

  test('a read that fails fails every job that asked, and the next turn reads again', async () => {
    const closed = await openDatabase(database.url, { max: 1 });
    await closed.close();
    const reads = new SharedReads(closed.db, Date.now);
    const results = await Promise.allSettled([reads.payout(ids[1] as string), reads.payout(ids[2] as string)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);

    const working = new SharedReads(database.db, Date.now);
    expect((await working.payout(ids[1] as string))?.id).toBe(ids[1]);
  });
});
