import { newId } from '@payouts/core';
import { appendOperatorActions, auditChainHeads, operatorActions, verifyAuditChains } from '@payouts/db';
import { createTestDatabase, must, type TestDatabase } from '@payouts/testing';
import { asc } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';

/**
 * The operator log is one chain, written by every API instance and every reconciler. Writers that
 * run at the same moment must take turns on its head: two that read the same head would both
 * chain after it, a fork (and, with `chain_seq` unique, one of them would fail).
 */
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

/** A barrier: resolves once `n` callers have arrived. */
function barrier(n: number): () => Promise<void> {
  let arrived = 0;
  let release!: () => void;
  const all = new Promise<void>((r) => {
    release = r;
  });
  return () => {
    if (++arrived === n) release();
    return all;
  };
}

test('writers released together, each with its transaction open, never fork the operator chain', async () => {
  // The pool has 10 connections: 10 transactions, all open before any appends.
  const writers = 10;
  const rounds = 5;
  for (let round = 0; round < rounds; round++) {
    const ready = barrier(writers);
    await Promise.all(
      Array.from({ length: writers }, (_, w) =>
        db.db.transaction(async (tx) => {
          await tx.execute('select 1');
          await ready();
          // One or two rows at a time, as the API (one) and a reconciler batch (several) append.
          const rows = Array.from({ length: 1 + (w % 2) }, (_, i) => ({
            id: newId('operatorAction'),
            actor: `key_w${w}`,
            action: 'race.test',
            target: `round-${round}-${i}`,
            params: { round, writer: w, i },
            result: {},
            createdAt: new Date(),
          }));
          await appendOperatorActions(tx, rows);
        }),
      ),
    );
  }

  const rows = await db.db.select().from(operatorActions).orderBy(asc(operatorActions.chainSeq));
  const expected = rounds * (writers / 2) * 3;
  expect(rows).toHaveLength(expected);
  // One line: places 1..n, each row linked to the one before, no two rows after the same one.
  expect(rows.map((r) => r.chainSeq)).toEqual(Array.from({ length: expected }, (_, i) => i + 1));
  expect(rows.map((r) => r.prevHash)).toEqual([null, ...rows.slice(0, -1).map((r) => r.hash)]);
  expect(new Set(rows.map((r) => r.prevHash)).size).toBe(rows.length);
  const [head] = await db.db.select().from(auditChainHeads);
  expect(head).toEqual({ chain: 'operator_actions', seq: expected, hash: must(rows.at(-1), 'rows.at(-1)').hash });

  const report = await verifyAuditChains(db.db, { pageSize: 7 });
  expect(report.ok).toBe(true);
  expect(report.operatorActions).toMatchObject({ rows: expected, chains: 1, brokenChains: 0 });
});
