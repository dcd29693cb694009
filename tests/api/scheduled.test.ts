import { ledgerTransactions, payoutBatches, payoutEvents, payouts, webhookEvents } from '@payouts/db';
import { verifyLedger } from '@payouts/ledger';
import { jobIds } from '@payouts/queue';
import { must, waitFor } from '@payouts/testing';
import { asc, eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ScheduledRelease } from '../../apps/reconciler/src/scheduled-release.ts';
import {
  apiFetch,
  client,
  createFundedTenant,
  inrPayout,
  startTestSystem,
  type TestSystem,
} from '../support/system.ts';

/**
 * Scheduled payouts (docs/api.md#scheduled-payouts): created `scheduled` with nothing held and
 * nothing sent, cancellable while they wait, released into the normal flow once due, by the
 * reconciler's scan of Postgres. To make a payout due, a test schedules it a few seconds ahead and
 * waits for the outcome, or moves its `scheduled_for` into the past in the database: no sleeps.
 */
let system: TestSystem;

beforeAll(async () => {
  system = await startTestSystem();
});
afterAll(async () => {
  await system?.stop();
});

type Tenant = Awaited<ReturnType<typeof createFundedTenant>>;
const DAY_MS = 24 * 3600_000;
const ahead = (ms: number) => new Date(Date.now() + ms).toISOString();
let keys = 0;
const key = () => ({ 'idempotency-key': `sched-${++keys}-${Date.now()}` });

async function schedule(tenant: Tenant, overrides: Record<string, unknown> = {}) {
  const res = await tenant.api('POST', '/v1/payouts', inrPayout({ scheduled_for: ahead(DAY_MS), ...overrides }), key());
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body;
}

/** Moves payouts' time into the past, as if it had come: the reconciler's next pass releases them. */
async function makeDue(where: ReturnType<typeof eq>) {
  await system.db.db.update(payouts).set({ scheduledFor: sql`now() - interval '1 second'` }).where(where);
}

async function statusOf(id: string) {
  const [row] = await system.db.db.select({ status: payouts.status }).from(payouts).where(eq(payouts.id, id));
  return row?.status;
}

async function history(id: string) {
  return system.db.db.select().from(payoutEvents).where(eq(payoutEvents.payoutId, id)).orderBy(asc(payoutEvents.id));
}

async function balance(tenant: Tenant) {
  const res = await tenant.api('GET', '/v1/balances');
  expect(res.status).toBe(200);
  return must(
    (res.body.data as { currency: string; available: number; held: number }[]).find((b) => b.currency === 'INR'),
    'the INR balance',
  );
}

async function ledgerOf(ids: string[]) {
  return system.db.db.select().from(ledgerTransactions).where(inArray(ledgerTransactions.payoutId, ids));
}

describe('scheduled_for is validated, and nothing is written when it is wrong', () => {
  test.each([
    ['in the past', () => ahead(-60_000), 'must be in the future'],
    ['now, to the second (not strictly in the future)', () => ahead(-1), 'must be in the future'],
    ['more than 90 days ahead', () => ahead(91 * DAY_MS), 'at most 90 days ahead'],
    ['without a time zone', () => '2030-01-01T09:00:00', 'RFC 3339'],
    ['a date only', () => '2030-01-01', 'RFC 3339'],
    ['words', () => 'next friday', 'RFC 3339'],
    ['an impossible date', () => '2030-02-30T09:00:00Z', 'RFC 3339'],
    ['a number', () => Date.now() + DAY_MS, 'RFC 3339'],
    ['null', () => null, 'RFC 3339'],
  ])('%s: 422 naming scheduled_for', async (_what, value, message) => {
    const tenant = await createFundedTenant(system, `sched-invalid-${keys}-${Date.now()}`, 1_000_000);
    const res = await tenant.api('POST', '/v1/payouts', inrPayout({ scheduled_for: value() }), key());
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const errors = res.body.errors as { field: string; message: string }[];
    expect(errors.map((e) => e.field)).toEqual(['scheduled_for']);
    expect(errors[0]?.message).toContain(message);
    const stored = await system.db.db.select().from(payouts).where(eq(payouts.tenantId, tenant.id));
    expect(stored).toEqual([]);
  });

  test('90 days ahead, less a minute, is accepted; an offset other than Z is read as the instant it names', async () => {
    const tenant = await createFundedTenant(system, `sched-edge-${Date.now()}`, 1_000_000);
    const far = await schedule(tenant, { scheduled_for: ahead(90 * DAY_MS - 60_000) });
    expect(far.status).toBe('scheduled');
    const at = new Date(Date.now() + 2 * DAY_MS);
    at.setUTCMilliseconds(0);
    const ist = new Date(at.getTime() + 5.5 * 3600_000).toISOString().replace('.000Z', '+05:30');
    const local = await schedule(tenant, { scheduled_for: ist });
    expect(local.scheduled_for).toBe(at.toISOString());
  });
});

describe('a scheduled payout', () => {
  test('is created scheduled: nothing held, nothing in the ledger, no job; listed by status=scheduled', async () => {
    const tenant = await createFundedTenant(system, `sched-create-${Date.now()}`, 1_000_000);
    const when = ahead(DAY_MS);
    const payout = await schedule(tenant, { scheduled_for: when });
    expect(payout).toMatchObject({ status: 'scheduled', scheduled_for: new Date(when).toISOString(), version: 0 });
    expect(await balance(tenant)).toMatchObject({ available: 1_000_000, held: 0 });
    expect(await ledgerOf([payout.id])).toEqual([]);
    expect(
      await system.queues.jobStates(system.queues.reconciler, [
        jobIds.accepted(payout.id),
        jobIds.acceptedGroup(payout.id),
      ]),
    ).toEqual(new Map());

    const listed = await tenant.api('GET', '/v1/payouts?status=scheduled');
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((p: { id: string }) => p.id)).toEqual([payout.id]);
    const got = await tenant.api('GET', `/v1/payouts/${payout.id}`);
    expect(got.body).toEqual(payout);

    const events = await tenant.api('GET', `/v1/payouts/${payout.id}/events`);
    expect(events.body.data).toEqual([
      expect.objectContaining({
        from_status: null,
        to_status: 'scheduled',
        source: 'api',
        detail: expect.objectContaining({ scheduledFor: new Date(when).toISOString() }),
      }),
    ]);

    // A pass of the release leaves a payout whose time has not come alone.
    await system.reconciler.releaseDueNow();
    expect(await statusOf(payout.id)).toBe('scheduled');
  });

  test('a retry of the create replays its answer, even once its time has passed', async () => {
    const tenant = await createFundedTenant(system, `sched-replay-${Date.now()}`, 1_000_000);
    const body = inrPayout({ scheduled_for: ahead(DAY_MS) });
    const headers = key();
    const first = await tenant.api('POST', '/v1/payouts', body, headers);
    expect(first.status).toBe(202);
    await system.db.db
      .update(payouts)
      .set({ scheduledFor: sql`now() + interval '1 hour'` })
      .where(eq(payouts.id, first.body.id));
    const tooLate = { ...body, scheduled_for: ahead(-DAY_MS) };
    // The time is judged for a new request, not for a replay of one already answered.
    const replay = await tenant.api('POST', '/v1/payouts', body, headers);
    expect(replay.status).toBe(202);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(first.body);
    const fresh = await tenant.api('POST', '/v1/payouts', tooLate, key());
    expect(fresh.status).toBe(422);
  });

  test('can be cancelled while it waits: no ledger effect, and it is never released', async () => {
    const tenant = await createFundedTenant(system, `sched-cancel-${Date.now()}`, 1_000_000);
    const payout = await schedule(tenant);
    const cancelled = await tenant.api('POST', `/v1/payouts/${payout.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', failure: { code: 'cancelled' } });
    expect(await ledgerOf([payout.id])).toEqual([]);
    expect(await balance(tenant)).toMatchObject({ available: 1_000_000, held: 0 });
    expect((await history(payout.id)).map((e) => [e.fromStatus, e.toStatus, e.applied])).toEqual([
      [null, 'scheduled', true],
      ['scheduled', 'cancelled', true],
    ]);

    await makeDue(eq(payouts.id, payout.id));
    await system.reconciler.releaseDueNow();
    expect(await statusOf(payout.id)).toBe('cancelled');
    expect((await verifyLedger(system.db.db)).problems).toEqual([]);
  });

  test('scheduled a few seconds ahead, it is released at its time, not before, and paid through the sandbox', async () => {
    const tenant = await createFundedTenant(system, `sched-release-${Date.now()}`, 1_000_000);
    const when = ahead(3000);
    const payout = await schedule(tenant, { amount: 40_000, scheduled_for: when });
    await waitFor(async () => (await statusOf(payout.id)) === 'processed', { message: 'the payout to be paid' });
    const events = await history(payout.id);
    expect(events.map((e) => e.toStatus).slice(0, 3)).toEqual(['scheduled', 'accepted', 'reserved']);
    const released = must(events[1], 'the release');
    expect(released).toMatchObject({ fromStatus: 'scheduled', source: 'reconciler', applied: true });
    expect(released.detail).toMatchObject({ reason: 'due', scheduledFor: new Date(when).toISOString() });
    // Never before its time (the database's clock decides, and the history is written with ours).
    expect(released.createdAt.getTime()).toBeGreaterThanOrEqual(new Date(when).getTime() - 1000);
    const ledger = await ledgerOf([payout.id]);
    expect(ledger.map((t) => t.kind).sort()).toEqual(['hold', 'post']);
    expect((await balance(tenant)).held).toBe(0);
    expect((await verifyLedger(system.db.db)).problems).toEqual([]);
  });

  test('is released once, however many times it is handed over at once', async () => {
    const tenant = await createFundedTenant(system, `sched-once-${Date.now()}`, 1_000_000);
    const payout = await schedule(tenant);
    await makeDue(eq(payouts.id, payout.id));
    await Promise.all([
      system.reconciler.releaseDueNow(),
      ...Array.from({ length: 6 }, () =>
        system.queues.toReconcilerBulk('payouts.accepted', [{ data: { payoutIds: [payout.id] } }]),
      ),
      system.queues.toReconciler('payout.accepted', { payoutId: payout.id }),
    ]);
    await waitFor(async () => (await statusOf(payout.id)) === 'processed', { message: 'the payout to be paid' });
    const events = await history(payout.id);
    expect(events.filter((e) => e.toStatus === 'accepted' && e.applied)).toHaveLength(1);
    expect(events.filter((e) => e.toStatus === 'reserved' && e.applied)).toHaveLength(1);
    expect((await ledgerOf([payout.id])).map((t) => t.kind).sort()).toEqual(['hold', 'post']);
    expect((await verifyLedger(system.db.db)).problems).toEqual([]);
  });

  test('due payouts are handed over oldest time first', async () => {
    const tenant = await createFundedTenant(system, `sched-order-${Date.now()}`, 10_000_000);
    const made: { id: string }[] = [];
    for (let i = 0; i < 5; i++) made.push(await schedule(tenant, { amount: 1000 + i }));
    // Times in the past in an order that is neither creation nor id order.
    const offsets = [30, 10, 50, 20, 40];
    await system.stopProcessing();
    try {
      for (const [i, p] of made.entries())
        await system.db.db
          .update(payouts)
          .set({ scheduledFor: sql`now() - make_interval(secs => ${offsets[i]})` })
          .where(eq(payouts.id, p.id));
      await system.queues.reconciler.drain(true);
      const handedOver = await new ScheduledRelease(system.db.db, system.queues, {
        resendAfterMs: 60_000,
      }).releaseDue();
      expect(handedOver.handedOver).toBeGreaterThanOrEqual(5);
      const jobs = await system.queues.reconciler.getJobs(['prioritized', 'wait']);
      const order = jobs.flatMap((j) => (j.data as { payoutIds: string[] }).payoutIds);
      const ours = order.filter((id) => made.some((p) => p.id === id));
      const byTime = [...made.keys()].sort((a, b) => (offsets[b] ?? 0) - (offsets[a] ?? 0)).map((i) => made[i]?.id);
      expect(ours).toEqual(byTime);
    } finally {
      system.startProcessing();
    }
    await waitFor(
      async () => {
        const rows = await system.db.db
          .select({ status: payouts.status })
          .from(payouts)
          .where(
            inArray(
              payouts.id,
              made.map((p) => p.id),
            ),
          );
        return rows.every((r) => r.status === 'processed');
      },
      { message: 'the five payouts to be paid' },
    );
  });
});

describe('a scheduled run', () => {
  const items = (n: number, amount = 10_000) =>
    Array.from({ length: n }, (_, i) => inrPayout({ amount, reference_id: `run-${Date.now()}-${i}` }));

  test('reports a shortfall at upload instead of refusing it, and is paid once funded by its time', async () => {
    const tenant = await createFundedTenant(system, `sched-run-${Date.now()}`, 10_000);
    const when = ahead(DAY_MS);
    const res = await tenant.api('POST', '/v1/payout-batches', { items: items(5), scheduled_for: when }, key());
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body).toMatchObject({
      status: 'scheduled',
      scheduled_for: new Date(when).toISOString(),
      preflight: { shortfalls_at_upload: [{ currency: 'INR', available: 10_000 }], due: null },
    });
    expect(res.body.preflight.shortfalls_at_upload[0].needed).toBeGreaterThanOrEqual(50_000);
    const view = await tenant.api('GET', `/v1/payout-batches/${res.body.id}`);
    expect(view.body).toMatchObject({
      status: 'scheduled',
      counts: { scheduled: 5 },
      scheduled_for: res.body.scheduled_for,
    });
    expect(await balance(tenant)).toMatchObject({ available: 10_000, held: 0 });

    const op = client(system.api.url, system.operatorKey);
    const funded = await op('POST', `/v1/admin/tenants/${tenant.id}/fundings`, {
      currency: 'INR',
      amount: 1_000_000,
      reference: `top-up-${res.body.id}`,
    });
    expect(funded.status).toBe(201);
    await makeDue(eq(payouts.batchId, res.body.id));
    await waitFor(
      async () => {
        const v = await tenant.api('GET', `/v1/payout-batches/${res.body.id}`);
        return v.body.status === 'completed' && v.body.counts.processed === 5 ? v.body : undefined;
      },
      { message: 'the run to be paid' },
    );
    const done = await tenant.api('GET', `/v1/payout-batches/${res.body.id}`);
    expect(done.body.preflight.due).toMatchObject({ shortfalls: [] });
    expect((await verifyLedger(system.db.db)).problems).toEqual([]);
  });

  test('found short when due with on_insufficient_funds=refuse: the whole run fails, nothing held or sent', async () => {
    const tenant = await createFundedTenant(system, `sched-short-${Date.now()}`, 25_000);
    const res = await tenant.api(
      'POST',
      '/v1/payout-batches',
      { items: items(3), scheduled_for: ahead(DAY_MS) },
      key(),
    );
    expect(res.status).toBe(202);
    await makeDue(eq(payouts.batchId, res.body.id));
    await waitFor(
      async () => {
        const v = await tenant.api('GET', `/v1/payout-batches/${res.body.id}`);
        return v.body.counts.failed === 3 || undefined;
      },
      { message: 'the run to fail' },
    );
    const rows = await system.db.db.select().from(payouts).where(eq(payouts.batchId, res.body.id));
    expect(rows.map((r) => r.failureCode)).toEqual(['insufficient_funds', 'insufficient_funds', 'insufficient_funds']);
    expect(
      await ledgerOf(rows.map((r) => r.id)),
      'one payout would have fitted: a run is paid whole or not at all',
    ).toEqual([]);
    const [run] = await system.db.db.select().from(payoutBatches).where(eq(payoutBatches.id, res.body.id));
    expect(run?.schedulePreflight?.due?.shortfalls).toEqual([expect.objectContaining({ currency: 'INR' })]);
    expect(await balance(tenant)).toMatchObject({ available: 25_000, held: 0 });
  });

  test('found short when due with on_insufficient_funds=queue: its payouts wait for funds', async () => {
    const tenant = await createFundedTenant(system, `sched-queue-${Date.now()}`, 25_000);
    const res = await tenant.api(
      'POST',
      '/v1/payout-batches',
      { items: items(3), scheduled_for: ahead(DAY_MS), on_insufficient_funds: 'queue' },
      key(),
    );
    expect(res.status).toBe(202);
    await makeDue(eq(payouts.batchId, res.body.id));
    await waitFor(
      async () => {
        const v = await tenant.api('GET', `/v1/payout-batches/${res.body.id}`);
        return (v.body.counts.queued ?? 0) + (v.body.counts.processed ?? 0) === 3 && v.body.counts.queued > 0
          ? true
          : undefined;
      },
      { message: 'the run to wait for funds' },
    );
  });

  test('a row may not carry its own scheduled_for; a CSV run is scheduled by its query string', async () => {
    const tenant = await createFundedTenant(system, `sched-rows-${Date.now()}`, 1_000_000);
    const refused = await tenant.api(
      'POST',
      '/v1/payout-batches',
      { items: [inrPayout({ scheduled_for: ahead(DAY_MS) })], scheduled_for: ahead(DAY_MS) },
      key(),
    );
    expect(refused.status).toBe(422);
    expect(refused.body.errors.map((e: { field: string }) => e.field)).toEqual(['rows[1].scheduled_for']);

    const past = await tenant.api(
      'POST',
      '/v1/payout-batches',
      { items: items(1), scheduled_for: ahead(-1000) },
      key(),
    );
    expect(past.status).toBe(422);
    expect(past.body.errors.map((e: { field: string }) => e.field)).toEqual(['scheduled_for']);

    const when = ahead(DAY_MS);
    const csv =
      'amount,currency,method,purpose,beneficiary_name,beneficiary_account_number,beneficiary_bank_code\n'.concat(
        '10000,INR,IMPS,salary,Asha Rao,123456789012,HDFC0001234\n',
        '20000,INR,IMPS,salary,Ravi Rao,123456789013,HDFC0001234\n',
      );
    const res = await apiFetch(`${system.api.url}/v1/payout-batches?scheduled_for=${encodeURIComponent(when)}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tenant.key}`, 'content-type': 'text/csv', ...key() },
      body: csv,
    });
    const body = (await res.json()) as { id: string; status: string; scheduled_for: string };
    expect(res.status, JSON.stringify(body)).toBe(202);
    expect(body).toMatchObject({ status: 'scheduled', scheduled_for: new Date(when).toISOString() });
    const listed = await tenant.api('GET', `/v1/payout-batches/${body.id}/payouts`);
    expect(listed.body.data.map((p: { status: string; scheduled_for: string }) => [p.status, p.scheduled_for])).toEqual(
      [
        ['scheduled', body.scheduled_for],
        ['scheduled', body.scheduled_for],
      ],
    );
    const badCsv = await apiFetch(`${system.api.url}/v1/payout-batches?scheduled_for=soon`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tenant.key}`, 'content-type': 'text/csv', ...key() },
      body: csv,
    });
    expect(badCsv.status).toBe(422);
    expect(((await badCsv.json()) as { errors: { field: string }[] }).errors.map((e) => e.field)).toEqual([
      'scheduled_for',
    ]);
  });
});

describe('webhook events', () => {
  test('payout.scheduled and batch.scheduled are written with the create, for endpoints that want them', async () => {
    const tenant = await createFundedTenant(system, `sched-hooks-${Date.now()}`, 1_000_000);
    const endpoint = await tenant.api(
      'POST',
      '/v1/webhook-endpoints',
      { url: 'http://127.0.0.1:9/hooks', enabled_events: ['payout.scheduled', 'batch.scheduled', 'payout.cancelled'] },
      key(),
    );
    expect(endpoint.status).toBe(201);
    const payout = await schedule(tenant);
    const run = await tenant.api(
      'POST',
      '/v1/payout-batches',
      { items: [inrPayout({ amount: 1000 }), inrPayout({ amount: 2000 })], scheduled_for: ahead(DAY_MS) },
      key(),
    );
    expect(run.status).toBe(202);
    await tenant.api('POST', `/v1/payouts/${payout.id}/cancel`);
    const events = await system.db.db
      .select()
      .from(webhookEvents)
      .where(eq(webhookEvents.tenantId, tenant.id))
      .orderBy(asc(webhookEvents.createdAt), asc(webhookEvents.id));
    const runPayouts = (await tenant.api('GET', `/v1/payout-batches/${run.body.id}/payouts`)).body.data.map(
      (p: { id: string }) => p.id,
    );
    expect(events.map((e) => [e.type, e.subjectId, e.subjectVersion]).sort()).toEqual(
      [
        ['payout.scheduled', payout.id, 0],
        ['payout.cancelled', payout.id, 1],
        ['batch.scheduled', run.body.id, 0],
        ...runPayouts.map((id: string) => ['payout.scheduled', id, 0]),
      ].sort(),
    );
    const scheduledEvent = must(
      events.find((e) => e.type === 'payout.scheduled' && e.subjectId === payout.id),
      'payout.scheduled',
    );
    expect(scheduledEvent.payload).toMatchObject({ type: 'payout.scheduled', data: payout });
    const runEvent = must(
      events.find((e) => e.type === 'batch.scheduled'),
      'batch.scheduled',
    );
    expect(runEvent.payload).toMatchObject({ data: { id: run.body.id, status: 'scheduled' } });
    // Each payout's event says exactly what GET answers.
    for (const id of runPayouts) {
      const event = must(
        events.find((e) => e.type === 'payout.scheduled' && e.subjectId === id),
        `payout.scheduled of ${id}`,
      );
      expect(event.payload.data).toEqual((await tenant.api('GET', `/v1/payouts/${id}`)).body);
    }
  });
});
