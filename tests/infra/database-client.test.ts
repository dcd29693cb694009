import { openDatabase, PREPARE_MAX_PARAMETERS, payouts, rowsOf } from '@payouts/db';
import { createTestDatabase, type TestDatabase } from '@payouts/testing';
import { eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

/**
 * The Postgres handle prepares the statements of up to PREPARE_MAX_PARAMETERS parameters once per
 * connection (one round trip a query from then on), outside transactions and inside them, and
 * leaves larger ones unnamed (so a connection keeps a bounded number of statements).
 */
let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database?.drop());

/** The statements prepared on the connection that runs this query (a pool of one: that one). */
const PREPARED = sql`select statement from pg_prepared_statements`;

describe('prepared statements', () => {
  test('a lookup is prepared on its connection and answers the same rows the second time', async () => {
    const handle = await openDatabase(database.url, { max: 1 });
    try {
      const lookup = () => handle.db.select({ id: payouts.id }).from(payouts).where(eq(payouts.id, 'po_none'));
      expect(await lookup()).toEqual([]);
      expect(await lookup()).toEqual([]);
      const statements = rowsOf<{ statement: string }>(await handle.db.execute(PREPARED)).map((r) => r.statement);
      expect(statements.filter((s) => s.includes('from "payouts" where "payouts"."id" = $1'))).toHaveLength(1);
    } finally {
      await handle.close();
    }
  });

  test('inside a transaction too; a statement above the bound stays unnamed', async () => {
    const handle = await openDatabase(database.url, { max: 1 });
    try {
      const many = Array.from({ length: PREPARE_MAX_PARAMETERS + 1 }, (_, i) => `po_many_${i}`);
      const statements = await handle.db.transaction(async (tx) => {
        await tx.select({ id: payouts.id }).from(payouts).where(eq(payouts.currency, 'THB'));
        await tx.select({ id: payouts.id }).from(payouts).where(inArray(payouts.id, many));
        return rowsOf<{ statement: string }>(await tx.execute(PREPARED)).map((r) => r.statement);
      });
      expect(statements.some((s) => s.includes('where "payouts"."currency" = $1'))).toBe(true);
      expect(statements.some((s) => s.includes(`$${PREPARE_MAX_PARAMETERS + 1}`))).toBe(false);
    } finally {
      await handle.close();
    }
  });
});
