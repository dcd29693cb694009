import { payouts, tenants, updateRows } from '@payouts/db';
import { insertAcceptedPayouts, type NewPayout } from '@payouts/payouts';
import { createTestDatabase, type TestDatabase } from '@payouts/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { countingDatabase } from './counting-database.ts';
import { claimSubmission, SubmissionClaims } from './payout-record.ts';

let database: TestDatabase;
const reserved = Array.from({ length: 5 }, (_, i) => `po_claim_${i}`);

beforeAll(async () => {
  database = await createTestDatabase();
  const { db } = database;
  await db.insert(tenants).values({ id: 'ten_claims', name: 'claims' });
  const row = (id: string, provider: NewPayout['provider']): NewPayout => ({
    id,
    tenantId: 'ten_claims',
    status: 'accepted',
    amount: 100n,
    currency: 'INR',
    provider,
    method: 'IMPS',
    beneficiary: { name: 'A' },
    providerIdempotencyKey: id,
  });
  await insertAcceptedPayouts(
    db,
    [
      ...reserved.map((id) => row(id, 'razorpayx')),
      row('po_claim_cancelled', 'razorpayx'),
      row('po_claim_moved', 'krayon'),
      row('po_claim_twice', 'razorpayx'),
    ],
    { keyId: 'key_test' },
  );
  await updateRows(db, payouts, 'id', [
    ...[...reserved, 'po_claim_moved', 'po_claim_twice'].map((id) => ({ id, status: 'reserved' as const })),
    { id: 'po_claim_cancelled', status: 'cancelled' as const },
  ]);
});
afterAll(() => database?.drop());

describe('SubmissionClaims', () => {
  test('the claims asked for in one turn are one statement; each answers as its own claim would', async () => {
    const { db, calls: statements } = countingDatabase(database.db, 'execute');
    const claims = new SubmissionClaims(db);
    const answers = await Promise.all([
      ...reserved.map((id) => claims.claim(id, 'razorpayx')),
      claims.claim('po_claim_cancelled', 'razorpayx'),
      // The reconciler moved it to another provider: not claimed for this one.
      claims.claim('po_claim_moved', 'razorpayx'),
    ]);
    expect(statements()).toBe(1);
    expect(answers).toEqual([1, 1, 1, 1, 1, null, null]);

    // A second submission of the same payouts counts a second attempt (the lookup before resending).
    expect(await Promise.all(reserved.map((id) => claims.claim(id, 'razorpayx')))).toEqual([2, 2, 2, 2, 2]);
    expect(await claimSubmission(database.db, reserved[0] as string, 'razorpayx')).toBe(3);
  });

  test('a payout asked for three times at once is claimed three times, one after the other: three attempt numbers', async () => {
    const { db, calls: statements } = countingDatabase(database.db, 'execute');
    const claims = new SubmissionClaims(db);
    const answers = await Promise.all([1, 2, 3].map(() => claims.claim('po_claim_twice', 'razorpayx')));
    expect([...answers].sort()).toEqual([1, 2, 3]);
    expect(statements()).toBe(3);
  });

  test('a failed statement fails every claim in it, and claims nothing', async () => {
    const claims = new SubmissionClaims(database.db);
    // An id of the wrong type makes the statement fail as a whole (a text[] of one null is fine;
    // a nested array is not an array of text).
    const bad = claims.claim([['x']] as unknown as string, 'razorpayx');
    const good = claims.claim('po_claim_4', 'razorpayx');
    const settled = await Promise.allSettled([bad, good]);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
    // po_claim_4 was claimed twice in the first test: the failed statement added no third.
    expect(await claimSubmission(database.db, 'po_claim_4', 'razorpayx')).toBe(3);
  });
});
