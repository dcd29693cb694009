import { newId } from '@payouts/core';
import {
  payoutBatches,
  payouts,
  rowsOf,
  tenants,
  webhookDeliveries,
  webhookEndpoints,
  webhookEvents,
} from '@payouts/db';
import { createTestDatabase, must, type TestDatabase, waitFor } from '@payouts/testing';
import { asc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { applyEvents, type ReconcilerEvent } from '../apply-events.ts';

/**
 * The outbox half of outbound webhooks, at the reconciler's own level: which events and
 * deliveries a transaction writes, and that it writes them only where an endpoint wants them.
 */
let db: TestDatabase;
let tenantId: string;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});
beforeEach(async () => {
  tenantId = newId('tenant');
  await db.db.insert(tenants).values({ id: tenantId, name: 'hooks' });
});

async function fund(currency: string, amount: number) {
  await applyEvents(db.db, [
    {
      name: 'wallet.fund',
      data: { tenantId, currency, amount: String(amount), reference: `f-${Math.random()}`, actor: 't' },
    },
  ]);
}

async function endpoint(extra: Partial<typeof webhookEndpoints.$inferInsert> = {}) {
  const id = newId('webhookEndpoint');
  await db.db.insert(webhookEndpoints).values({
    id,
    tenantId,
    url: 'https://example.com/hooks',
    secret: `whsec_${Buffer.from('s'.repeat(32)).toString('base64')}`,
    ...extra,
  });
  return id;
}

async function newPayout(extra: Partial<typeof payouts.$inferInsert> = {}) {
  const id = newId('payout');
  await db.db.insert(payouts).values({
    id,
    tenantId,
    status: 'accepted',
    amount: 10_000n,
    currency: 'INR',
    provider: 'razorpayx',
    method: 'IMPS',
    beneficiary: { name: 'x', account_number: '123456789012', bank_code: 'HDFC0001234' },
    providerIdempotencyKey: id,
    feeReserve: 1000n,
    ...extra,
  });
  return id;
}

/** A JSON batch of two accepted rows, stored as the API stores one; its payouts are added by the test. */
async function twoRowBatch(): Promise<string> {
  const id = newId('batch');
  await db.db.insert(payoutBatches).values({
    id,
    tenantId,
    mode: 'all_or_nothing',
    onInsufficientFunds: 'refuse',
    source: 'json',
    totalRows: 2,
    acceptedRows: 2,
    rejectedRows: 0,
    rowErrors: [],
    totals: [],
  });
  return id;
}

const accepted = (payoutId: string): ReconcilerEvent => ({ name: 'payout.accepted', data: { payoutId } });
const report = (payoutId: string, outcome: string): ReconcilerEvent =>
  ({
    name: 'payout.report',
    data: {
      payoutId,
      outcome,
      providerPayoutId: 'pout_1',
      rawStatus: outcome,
      fees: null,
      tax: null,
      utr: null,
      failure: outcome === 'failed' ? { code: 'beneficiary_bank_rejected', message: 'no' } : null,
      queuedReason: null,
      source: 'worker',
      observedAt: Date.now(),
    },
  }) as ReconcilerEvent;

function eventsOf(subjectId: string) {
  return db.db
    .select()
    .from(webhookEvents)
    .where(eq(webhookEvents.subjectId, subjectId))
    .orderBy(asc(webhookEvents.subjectVersion));
}

describe('the webhook outbox', () => {
  test('a tenant without endpoints gets no events at all', async () => {
    await fund('INR', 100_000);
    const id = await newPayout();
    const out = await applyEvents(db.db, [accepted(id), report(id, 'processing'), report(id, 'processed')]);
    expect(out.webhookDeliveries).toBe(0);
    expect(await eventsOf(id)).toEqual([]);
  });

  test('one event per transition, each with the state at its version, even within one transaction', async () => {
    await fund('INR', 100_000);
    const all = await endpoint();
    const processedOnly = await endpoint({ enabledEvents: ['payout.processed'] });
    await endpoint({ disabled: true });
    const id = await newPayout();
    const out = await applyEvents(db.db, [accepted(id), report(id, 'processing'), report(id, 'processed')]);
    const events = await eventsOf(id);
    expect(events.map((e) => [e.type, e.subjectVersion])).toEqual([
      ['payout.reserved', 1],
      ['payout.processing', 2],
      ['payout.processed', 3],
    ]);
    const data = events.map((e) => (e.payload as { data: { status: string; version: number } }).data);
    expect(data.map((d) => [d.status, d.version])).toEqual([
      ['reserved', 1],
      ['processing', 2],
      ['processed', 3],
    ]);
    expect(events.every((e) => e.id.startsWith('msg_') && e.tenantId === tenantId)).toBe(true);

    const deliveries = await db.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.tenantId, tenantId));
    expect(out.webhookDeliveries).toBe(4);
    expect(deliveries.filter((d) => d.endpointId === all)).toHaveLength(3);
    expect(deliveries.filter((d) => d.endpointId === processedOnly).map((d) => d.eventId)).toEqual([
      must(events[2], 'events[2]').id,
    ]);
    expect(deliveries.every((d) => d.status === 'pending' && d.attempts === 0)).toBe(true);
    // Version order: to `all`, only version 1 has a time; 2 and 3 wait behind it. The one
    // delivery to `processedOnly` has nothing before it.
    const timed = (d: (typeof deliveries)[number]) => d.nextAttemptAt !== null;
    const toAll = new Map(deliveries.filter((d) => d.endpointId === all).map((d) => [d.eventId, d]));
    expect(events.map((e) => timed(must(toAll.get(e.id), 'toAll.get(e.id)')))).toEqual([true, false, false]);
    expect(deliveries.filter((d) => d.endpointId === processedOnly).every(timed)).toBe(true);
  });

  test('a later transaction writes a version to wait while an earlier one is pending, and not once it is done', async () => {
    await fund('INR', 100_000);
    const target = await endpoint();
    const id = await newPayout();
    await applyEvents(db.db, [accepted(id)]);
    await applyEvents(db.db, [report(id, 'processing')]);
    const rows = async () => {
      const list = await db.db
        .select({ delivery: webhookDeliveries, version: webhookEvents.subjectVersion })
        .from(webhookDeliveries)
        .innerJoin(webhookEvents, eq(webhookEvents.id, webhookDeliveries.eventId))
        .where(eq(webhookDeliveries.endpointId, target))
        .orderBy(asc(webhookEvents.subjectVersion));
      return list.map((r) => ({
        version: r.version,
        status: r.delivery.status,
        timed: r.delivery.nextAttemptAt !== null,
      }));
    };
    expect(await rows()).toEqual([
      { version: 1, status: 'pending', timed: true },
      { version: 2, status: 'pending', timed: false },
    ]);

    // Versions 1 and 2 delivered (as the deliverer records them), then version 3 is written.
    await db.db
      .update(webhookDeliveries)
      .set({ status: 'succeeded', nextAttemptAt: null })
      .where(eq(webhookDeliveries.endpointId, target));
    await applyEvents(db.db, [report(id, 'processed')]);
    expect((await rows()).at(-1)).toEqual({ version: 3, status: 'pending', timed: true });
  });

  test('a UTR, fees or tax reported after processed: payout.updated at the next version; a repeat of it, nothing', async () => {
    await fund('INR', 100_000);
    await endpoint();
    const id = await newPayout();
    await applyEvents(db.db, [accepted(id), report(id, 'processed')]);
    const late = (extra: Record<string, unknown>) =>
      ({ ...report(id, 'processed'), data: { ...report(id, 'processed').data, ...extra } }) as ReconcilerEvent;
    await applyEvents(db.db, [late({ utr: 'UTR-LATE-1' })]);
    // The same news again (a webhook and a poll both saw it) tells nothing new.
    await applyEvents(db.db, [late({ utr: 'UTR-LATE-1' })]);
    await applyEvents(db.db, [late({ utr: 'UTR-LATE-1', fees: '500', tax: '90' })]);
    const events = await eventsOf(id);
    expect(events.map((e) => [e.type, e.subjectVersion])).toEqual([
      ['payout.reserved', 1],
      ['payout.processed', 2],
      ['payout.updated', 3],
      ['payout.updated', 4],
    ]);
    const data = events.map((e) => (e.payload as { data: { utr: string | null; fees: number; version: number } }).data);
    expect(data[2]).toMatchObject({ status: 'processed', utr: 'UTR-LATE-1', version: 3 });
    // What the wallet was charged stays what processed posted: the late fees are history, not a charge.
    expect(data[3]).toMatchObject({ status: 'processed', utr: 'UTR-LATE-1', fees: 0, tax: 0, version: 4 });
  });

  test('an endpoint that wants only payout.updated gets only those', async () => {
    await fund('INR', 100_000);
    await endpoint({ enabledEvents: ['payout.updated'] });
    const id = await newPayout();
    await applyEvents(db.db, [accepted(id), report(id, 'processed')]);
    await applyEvents(db.db, [
      { ...report(id, 'processed'), data: { ...report(id, 'processed').data, utr: 'U2' } } as ReconcilerEvent,
    ]);
    const deliveries = await db.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.subjectId, id));
    expect(deliveries.map((d) => d.subjectVersion)).toEqual([3]);
  });

  test('an ignored transition writes no event', async () => {
    await fund('INR', 100_000);
    await endpoint();
    const id = await newPayout();
    await applyEvents(db.db, [accepted(id), report(id, 'processed')]);
    const out = await applyEvents(db.db, [report(id, 'processing'), report(id, 'processed')]);
    expect(out.webhookDeliveries).toBe(0);
    expect((await eventsOf(id)).map((e) => e.type)).toEqual(['payout.reserved', 'payout.processed']);
  });

  test('batch.completed is written once, when two transactions finish the last payouts at the same time', async () => {
    await fund('INR', 100_000);
    await fund('THB', 100_000);
    await endpoint({ enabledEvents: ['batch.completed'] });
    const batchId = await twoRowBatch();
    // Two currencies: two wallets, so nothing but the batch row orders the two transactions.
    const inr = await newPayout({ batchId, batchRow: 1 });
    const thb = await newPayout({ batchId, batchRow: 2, currency: 'THB', provider: 'thai-gateway' });
    await applyEvents(db.db, [accepted(inr), accepted(thb)]);
    expect(await eventsOf(batchId)).toEqual([]);

    // The worst interleaving, made certain: the batch row is held here until both transactions
    // have written their payout and wait for it, each with the other's change uncommitted.
    let both!: Promise<Awaited<ReturnType<typeof applyEvents>>[]>;
    await db.db.transaction(async (tx) => {
      await tx.select().from(payoutBatches).where(eq(payoutBatches.id, batchId)).for('update');
      both = Promise.all([applyEvents(db.db, [report(inr, 'processed')]), applyEvents(db.db, [report(thb, 'failed')])]);
      await waitFor(async () => {
        const [row] = rowsOf<{ n: number }>(
          await db.db.execute(sql`select count(*)::int as n from pg_stat_activity
            where datname = current_database() and wait_event_type = 'Lock'`),
        );
        return must(row, 'row').n >= 2;
      });
    });
    const [a, b] = await both;
    const events = await eventsOf(batchId);
    expect(events.map((e) => [e.type, e.subjectVersion])).toEqual([['batch.completed', 1]]);
    expect(must(a, 'a').webhookDeliveries + must(b, 'b').webhookDeliveries).toBe(1);
    const data = (must(events[0], 'events[0]').payload as { data: Record<string, unknown> }).data;
    expect(data).toMatchObject({ id: batchId, status: 'completed', counts: { processed: 1, failed: 1 } });

    // A reversal after processed keeps the batch final: no second completion.
    await applyEvents(db.db, [report(inr, 'reversed')]);
    expect(await eventsOf(batchId)).toHaveLength(1);
  });

  test('a batch reopened by a replay completes again: a second batch.completed, with a higher version', async () => {
    await fund('INR', 100_000);
    await endpoint({ enabledEvents: ['batch.completed'] });
    const batchId = await twoRowBatch();
    const paid = await newPayout({ batchId, batchRow: 1 });
    const refused = await newPayout({ batchId, batchRow: 2 });
    await applyEvents(db.db, [accepted(paid), accepted(refused), report(paid, 'processed'), report(refused, 'failed')]);
    expect((await eventsOf(batchId)).map((e) => [e.type, e.subjectVersion])).toEqual([['batch.completed', 1]]);

    const replay: ReconcilerEvent = {
      name: 'payout.replay',
      data: { payoutId: refused, failureCode: 'beneficiary_bank_rejected', actor: 'op_1', lookup: 'not found' },
    } as ReconcilerEvent;
    await applyEvents(db.db, [replay]);
    // Processing again: no completion while the replayed payout is in flight.
    expect(await eventsOf(batchId)).toHaveLength(1);

    await applyEvents(db.db, [report(refused, 'processed')]);
    const events = await eventsOf(batchId);
    expect(events.map((e) => [e.type, e.subjectVersion])).toEqual([
      ['batch.completed', 1],
      ['batch.completed', 2],
    ]);
    const data = (must(events[1], 'events[1]').payload as { data: Record<string, unknown> }).data;
    expect(data).toMatchObject({ id: batchId, status: 'completed', counts: { processed: 2 } });

    // Applying the same report again changes nothing and writes no third completion.
    await applyEvents(db.db, [report(refused, 'processed')]);
    expect(await eventsOf(batchId)).toHaveLength(2);
  });
});
