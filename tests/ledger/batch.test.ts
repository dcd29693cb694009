import { newId } from '@payouts/core';
import { ledgerEntries, ledgerTransactions, rowsOf, tenants } from '@payouts/db';
import {
  accounts,
  fundingTransaction,
  holdTransaction,
  type PayoutMoney,
  postTransaction,
  postTransactions,
  verifyLedger,
  walletBalances,
} from '@payouts/ledger';
import { createTestDatabase, type TestDatabase } from '@payouts/testing';
import { eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

let db: TestDatabase;
let tenantId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  tenantId = newId('tenant');
  await db.db.insert(tenants).values({ id: tenantId, name: 'ledger batch' });
  await db.db.transaction((tx) => postTransactions(tx, [fundingTransaction(tenantId, 'INR', 10n ** 12n, 'seed')]));
});
afterAll(async () => {
  await db?.drop();
});

const money = (id: string): PayoutMoney => ({
  id,
  tenantId,
  provider: 'razorpayx',
  currency: 'INR',
  amount: 50_000n,
  feeReserve: 3_000n,
});

describe('a group commit of many postings on one hot wallet', () => {
  test('holds and posts of 500 payouts move each balance once, to the unit, and a retry posts nothing again', async () => {
    const ids = Array.from({ length: 500 }, () => newId('payout'));
    const holds = ids.map((id) => holdTransaction(money(id)));
    const posts = ids.map((id) => postTransaction(money(id), 500n, 90n));
    const posted = await db.db.transaction((tx) => postTransactions(tx, [...holds, ...posts]));
    expect(posted.size).toBe(1000);

    const again = await db.db.transaction((tx) => postTransactions(tx, [...posts, ...holds]));
    expect(again.size).toBe(0);

    const w = (await walletBalances(db.db, tenantId)).find((b) => b.currency === 'INR');
    expect(w).toEqual({ currency: 'INR', available: 10n ** 12n - 500n * (50_000n + 590n), held: 0n });
    // hold: 2 entries; post: held, clearing, fees, tax, and the reserve's rest back to available.
    const entries = await db.db
      .select({ n: sql<number>`count(*)::int` })
      .from(ledgerEntries)
      .innerJoin(ledgerTransactions, eq(ledgerTransactions.id, ledgerEntries.transactionId))
      .where(inArray(ledgerTransactions.payoutId, ids));
    expect(entries[0]?.n).toBe(500 * 7);
    expect((await verifyLedger(db.db)).problems).toEqual([]);
  });

  test('batches racing on the same wallet and the same keys post each key once and never deadlock', async () => {
    const ids = Array.from({ length: 200 }, () => newId('payout'));
    const holds = ids.map((id) => holdTransaction(money(id)));
    const before = (await walletBalances(db.db, tenantId)).find((b) => b.currency === 'INR');
    const results = await Promise.all([
      db.db.transaction((tx) => postTransactions(tx, holds)),
      db.db.transaction((tx) => postTransactions(tx, [...holds].reverse())),
      db.db.transaction((tx) => postTransactions(tx, holds.slice(50, 150))),
    ]);
    expect(results.reduce((n, r) => n + r.size, 0)).toBe(200);
    const after = (await walletBalances(db.db, tenantId)).find((b) => b.currency === 'INR');
    expect(after?.held).toBe((before?.held ?? 0n) + 200n * 53_000n);
    expect((await verifyLedger(db.db)).problems).toEqual([]);
  });

  test('an entry naming a transaction or an account that does not exist is reported by verifyLedger', async () => {
    // The entries carry no foreign keys (the schema says why): the check stands in for them.
    const [held] = rowsOf<{ id: string }>(
      await db.db.execute(sql`select id from ledger_accounts where key = ${accounts.held(tenantId, 'INR').key}`),
    );
    await db.db
      .transaction(async (tx) => {
        await tx.insert(ledgerEntries).values({ transactionId: 'ltx_missing', accountId: held?.id ?? '', amount: 0n });
        const report = await verifyLedger(tx);
        expect(report.problems).toEqual([expect.stringMatching(/names transaction ltx_missing and account/)]);
        tx.rollback();
      })
      .catch((e: unknown) => {
        if (!(e instanceof Error && e.message === 'Rollback')) throw e;
      });
    expect((await verifyLedger(db.db)).problems).toEqual([]);
  });
});
