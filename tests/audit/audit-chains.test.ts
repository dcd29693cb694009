import { operatorActions, payoutEventHash, payoutEvents, payouts } from '@payouts/db';
import { must, waitFor } from '@payouts/testing';
import { asc, count, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { client, createFundedTenant, inrPayout, startTestSystem, type TestSystem } from '../support/system.ts';

/**
 * The payout history and the operator log are hash-chained: a clean system verifies after real
 * traffic, and a row edited or deleted behind the engine's back (straight in SQL) is named, with
 * what its link should have been and what it is.
 */
let system: TestSystem;
let tenant: Awaited<ReturnType<typeof createFundedTenant>>;
let op: ReturnType<typeof client>;
const paid: string[] = [];
/** The operator action edited below, as it was. */
let editedAction: typeof operatorActions.$inferSelect;

beforeAll(async () => {
  system = await startTestSystem();
  tenant = await createFundedTenant(system, 'audit', 2_000_000);
  op = client(system.api.url, system.operatorKey);
});
afterAll(async () => {
  await system?.stop();
});

async function settled(id: string, want: string) {
  return waitFor(
    async () => {
      const res = await tenant.api('GET', `/v1/payouts/${id}`);
      return res.body.status === want ? res.body : undefined;
    },
    { message: `${id} → ${want}` },
  );
}

async function history(payoutId: string) {
  return system.db.db
    .select()
    .from(payoutEvents)
    .where(eq(payoutEvents.payoutId, payoutId))
    .orderBy(asc(payoutEvents.id));
}

async function verify() {
  return op('GET', '/v1/admin/audit/verify');
}

describe('a clean system', () => {
  test('single payouts, a batch run, a tenant cancel, an operator replay and cancel: every chain verifies', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await tenant.api('POST', '/v1/payouts', inrPayout(), { 'idempotency-key': `audit-single-${i}` });
      expect(res.status).toBe(202);
      paid.push(res.body.id);
    }
    const items = Array.from({ length: 5 }, (_, i) => inrPayout({ amount: 10_000 + i, reference_id: `audit-${i}` }));
    const batch = await tenant.api('POST', '/v1/payout-batches', { items }, { 'idempotency-key': 'audit-batch' });
    expect(batch.status).toBe(202);
    for (const id of paid) await settled(id, 'processed');
    await waitFor(
      async () => {
        const res = await tenant.api('GET', `/v1/payout-batches/${batch.body.id}`);
        return res.body.status === 'completed' || undefined;
      },
      { message: 'the batch run to complete' },
    );

    // Two payouts the wallet cannot cover wait for it: one cancelled by the tenant, one replayed
    // and then cancelled by an operator (both operator actions go on the operator chain).
    const waiting: string[] = [];
    for (const key of ['audit-wait-1', 'audit-wait-2']) {
      const res = await tenant.api(
        'POST',
        '/v1/payouts',
        inrPayout({ amount: 5_000_000, queue_if_low_balance: true }),
        {
          'idempotency-key': key,
        },
      );
      expect(res.status).toBe(202);
      waiting.push(res.body.id);
    }
    for (const id of waiting) await settled(id, 'queued');
    expect((await tenant.api('POST', `/v1/payouts/${waiting[0]}/cancel`)).status).toBe(200);
    expect((await op('POST', `/v1/admin/payouts/${waiting[1]}/replay`)).status).toBe(200);
    expect((await op('POST', `/v1/admin/payouts/${waiting[1]}/cancel`)).status).toBe(200);

    const res = await verify();
    expect(res.status).toBe(200);
    const [events] = await system.db.db.select({ n: count() }).from(payoutEvents);
    const [chains] = await system.db.db.select({ n: count() }).from(payouts);
    const [actions] = await system.db.db.select({ n: count() }).from(operatorActions);
    expect(res.body).toEqual({
      ok: true,
      payout_events: {
        rows: must(events, 'events').n,
        chains: must(chains, 'chains').n,
        legacy_rows: 0,
        broken_chains: 0,
        broken: [],
      },
      operator_actions: { rows: must(actions, 'actions').n, chains: 1, legacy_rows: 0, broken_chains: 0, broken: [] },
    });
    // tenant.create, api_key.issue, wallet.fund, payout.replay, payout.cancel at least.
    expect(must(actions, 'actions').n).toBeGreaterThanOrEqual(5);
    // Every payout's head is its last row's hash.
    for (const id of [...paid, ...waiting]) {
      const rows = await history(id);
      const [p] = await system.db.db.select({ head: payouts.historyHash }).from(payouts).where(eq(payouts.id, id));
      expect(must(p, 'p').head).toBe(must(rows.at(-1), 'rows.at(-1)').hash);
    }
  });
});

describe('history rewritten in SQL is found', () => {
  test('an edited payout_events row: hash_mismatch on that row, the hash it now has vs the stored one', async () => {
    const id = must(paid[0], 'paid[0]');
    const rows = await history(id);
    expect(rows.length).toBeGreaterThanOrEqual(3);
    const target = must(rows[1], 'rows[1]');
    await system.db.db.execute(
      sql`update payout_events set detail = jsonb_set(detail, '{rawStatus}', '"processed"') where id = ${target.id}`,
    );
    const [edited] = await system.db.db.select().from(payoutEvents).where(eq(payoutEvents.id, target.id));
    const res = await verify();
    expect(res.status).toBe(500);
    expect(res.body.ok).toBe(false);
    expect(res.body.payout_events.broken).toContainEqual({
      chain: id,
      row: String(target.id),
      reason: 'hash_mismatch',
      expected: payoutEventHash(must(edited, 'edited'), must(edited, 'edited').prevHash),
      found: target.hash,
    });
    expect(payoutEventHash(must(edited, 'edited'), must(edited, 'edited').prevHash)).not.toBe(target.hash);
  });

  test('a deleted row in the middle: link_broken on the row after it', async () => {
    const id = must(paid[1], 'paid[1]');
    const rows = await history(id);
    const [before, deleted, after] = rows;
    await system.db.db.delete(payoutEvents).where(eq(payoutEvents.id, must(deleted, 'deleted').id));
    const res = await verify();
    expect(res.status).toBe(500);
    expect(res.body.payout_events.broken).toContainEqual({
      chain: id,
      row: String(must(after, 'after').id),
      reason: 'link_broken',
      expected: must(before, 'before').hash,
      found: must(deleted, 'deleted').hash,
    });
  });

  test('the last row deleted: head_mismatch, the payout head against the new last row', async () => {
    const id = must(paid[2], 'paid[2]');
    const rows = await history(id);
    const last = must(rows.at(-1), 'rows.at(-1)');
    const newLast = must(rows.at(-2), 'rows.at(-2)');
    await system.db.db.delete(payoutEvents).where(eq(payoutEvents.id, last.id));
    const res = await verify();
    expect(res.body.payout_events.broken).toContainEqual({
      chain: id,
      row: String(newLast.id),
      reason: 'head_mismatch',
      expected: newLast.hash,
      found: last.hash,
    });
    expect(res.body.payout_events.broken_chains).toBe(3);
    // Only the operator chain is untouched so far.
    expect(res.body.operator_actions.broken).toEqual([]);
  });

  test('an edited operator_actions row: hash_mismatch on that row', async () => {
    const [first] = await system.db.db.select().from(operatorActions).orderBy(asc(operatorActions.chainSeq)).limit(1);
    editedAction = must(first, 'first');
    await system.db.db
      .update(operatorActions)
      .set({ actor: 'key_someone_else' })
      .where(eq(operatorActions.id, must(first, 'first').id));
    const res = await verify();
    expect(res.status).toBe(500);
    expect(res.body.operator_actions).toMatchObject({ broken_chains: 1 });
    expect(res.body.operator_actions.broken).toEqual([
      {
        chain: 'operator_actions',
        row: must(first, 'first').id,
        reason: 'hash_mismatch',
        expected: expect.any(String),
        found: must(first, 'first').hash,
      },
    ]);
    expect(res.body.operator_actions.broken[0].expected).not.toBe(must(first, 'first').hash);
  });

  test('an operator_actions row deleted: the chain breaks at the row after it', async () => {
    // The edit above undone (the chain verifies again), then the third row deleted.
    await system.db.db
      .update(operatorActions)
      .set({ actor: editedAction.actor })
      .where(eq(operatorActions.id, editedAction.id));
    const rows = await system.db.db.select().from(operatorActions).orderBy(asc(operatorActions.chainSeq));
    expect(rows.length).toBeGreaterThanOrEqual(4);
    expect((await verify()).body.operator_actions.broken).toEqual([]);
    await system.db.db.delete(operatorActions).where(eq(operatorActions.id, must(rows[2], 'rows[2]').id));
    const res = await verify();
    expect(res.body.operator_actions.broken).toEqual([
      {
        chain: 'operator_actions',
        row: must(rows[3], 'rows[3]').id,
        reason: 'link_broken',
        expected: must(rows[1], 'rows[1]').hash,
        found: must(rows[2], 'rows[2]').hash,
      },
    ]);
  });
});
