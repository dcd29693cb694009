import { type RunningApi, readApiEnv, startApi } from '@payouts/api';
import {
  approvalRequests,
  idempotencyKeys,
  payoutEvents,
  payouts,
  webhookDeliveries,
  webhookEvents,
} from '@payouts/db';
import { verifyLedger } from '@payouts/ledger';
import { createLogger } from '@payouts/observability';
import { jobIds } from '@payouts/queue';
import { sweep } from '@payouts/reconciler';
import { must, testRedisUrl, waitFor } from '@payouts/testing';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { client, createFundedTenant, inrPayout, startTestSystem, type TestSystem } from '../support/system.ts';

/**
 * POST /v1/payouts' group commit: concurrent requests share one statement (one commit) and one
 * reconciler job, and each keeps its own answer. The API under test groups by size only: its window is
 * far longer than any test (which the environment would refuse), so a group closes exactly when
 * GROUP requests wait, and every count below is exact, whatever the machine's load.
 */
const GROUP = 6;

let system: TestSystem;
let grouped: RunningApi;
let tenant: Awaited<ReturnType<typeof createFundedTenant>>;
let other: Awaited<ReturnType<typeof createFundedTenant>>;
let post: ReturnType<typeof client>;

beforeAll(async () => {
  system = await startTestSystem();
  tenant = await createFundedTenant(system, 'group-commit');
  other = await createFundedTenant(system, 'group-commit-extras'); // funded by the reconciler, before it stops
  await system.stopProcessing(); // payouts stay as created, their jobs wait in the queue
  grouped = await startApi({
    env: {
      ...readApiEnv({ DATABASE_URL: system.db.url, REDIS_URL: testRedisUrl(), QUEUE_PREFIX: system.prefix, PORT: '0' }),
      PAYOUT_GROUP_COMMIT_WINDOW_MS: 600_000,
      PAYOUT_GROUP_COMMIT_MAX: GROUP,
    },
    db: system.db.db,
    logger: createLogger({ name: 'test', level: 'silent' }),
    host: '127.0.0.1',
  });
  post = client(grouped.url, tenant.key);
});
afterAll(async () => {
  await grouped?.close();
  await system?.stop();
});

/** Statements written (commits), requests they carried, and groups Postgres refused, so far. */
async function commits() {
  const values = async (name: string) => (await grouped.registry.getSingleMetric(name)?.get())?.values ?? [];
  const size = await values('payouts_api_payout_commit_size');
  const of = (suffix: string) =>
    size.find((v) => (v as { metricName?: string }).metricName === `payouts_api_payout_commit_size${suffix}`)?.value ??
    0;
  const fallbacks = (await values('payouts_api_payout_commit_fallbacks_total'))[0]?.value ?? 0;
  return { statements: of('_count'), requests: of('_sum'), fallbacks };
}

function create(body: Record<string, unknown>, key: string) {
  return post('POST', '/v1/payouts', body, { 'idempotency-key': key });
}

async function storedPayouts(ids: string[]) {
  return system.db.db.select().from(payouts).where(inArray(payouts.id, ids));
}

/** The reconciler's jobs waiting that carry any of these payouts (processing is stopped: none runs). */
async function acceptJobsOf(ids: string[]) {
  const jobs = await system.queues.reconciler.getJobs(['wait', 'prioritized', 'delayed']);
  const carried = (data: { payoutId?: string; payoutIds?: string[] }) => data.payoutIds ?? [data.payoutId];
  return jobs.filter((j) => carried(j.data).some((id) => id !== undefined && ids.includes(id)));
}

describe('group commit of POST /v1/payouts', () => {
  test('concurrent requests share one statement and one reconciler job; each is answered with its own payout', async () => {
    const before = await commits();
    const answers = await Promise.all(
      Array.from({ length: GROUP }, (_, i) =>
        create(inrPayout({ amount: 1_000 + i, reference_id: `gc-many-${i}` }), `gc-many-${i}`),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(GROUP).fill(202));
    expect(answers.map((a) => a.headers.get('idempotent-replayed'))).toEqual(Array(GROUP).fill('false'));
    expect(answers.map((a) => a.body.reference_id)).toEqual(Array.from({ length: GROUP }, (_, i) => `gc-many-${i}`));
    const after = await commits();
    expect(after.statements - before.statements).toBe(1);
    expect(after.requests - before.requests).toBe(GROUP);

    // Answered means committed: every payout, its first event and its key record are there, and
    // each has its reconciler job.
    const ids = answers.map((a) => a.body.id as string);
    const rows = await storedPayouts(ids);
    expect(rows).toHaveLength(GROUP);
    for (const a of answers) {
      const got = await tenant.api('GET', `/v1/payouts/${a.body.id}`);
      expect(got.body).toEqual(a.body);
    }
    const events = await system.db.db.select().from(payoutEvents).where(inArray(payoutEvents.payoutId, ids));
    expect(events.map((e) => e.toStatus)).toEqual(Array(GROUP).fill('accepted'));
    // Each first event has its own payout's time, as when written alone.
    for (const e of events) expect(e.createdAt).toEqual(rows.find((r) => r.id === e.payoutId)?.createdAt);
    const keys = await system.db.db
      .select()
      .from(idempotencyKeys)
      .where(and(eq(idempotencyKeys.scope, tenant.id), sql`${idempotencyKeys.key} like 'gc-many-%'`));
    expect(keys).toHaveLength(GROUP);
    // One job for the group, named by its first payout, carrying every payout with its own
    // request's id (so that id still follows each payout through the reconciler and the worker).
    const jobs = await acceptJobsOf(ids);
    expect(jobs).toHaveLength(1);
    const [job] = jobs;
    expect(job?.name).toBe('payouts.accepted');
    expect([...(job?.data.payoutIds ?? [])].sort()).toEqual([...ids].sort());
    expect(job?.id).toBe(jobIds.acceptedGroup(job?.data.payoutIds[0]));
    expect(job?.data.requestId).toBeUndefined();
    for (const a of answers) expect(job?.data.traces[a.body.id].requestId).toBe(a.headers.get('x-request-id'));
    expect(new Set(answers.map((a) => a.headers.get('x-request-id'))).size).toBe(GROUP);

    // Every audit chain verifies (each first event's hash was made for its own time).
    const audit = await client(system.api.url, system.operatorKey)('GET', '/v1/admin/audit/verify');
    expect(audit.body).toMatchObject({ ok: true, payout_events: { broken_chains: 0 } });
  });

  test('the same key twice beside each other: one payout, and the twin gets its answer replayed', async () => {
    const body = inrPayout({ amount: 4_242, reference_id: 'gc-twin' });
    const others = Array.from({ length: GROUP - 2 }, (_, i) =>
      create(inrPayout({ amount: 2_000 + i, reference_id: `gc-twin-other-${i}` }), `gc-twin-other-${i}`),
    );
    const answers = await Promise.all([create(body, 'gc-twin'), create(body, 'gc-twin'), ...others]);
    const [first, second] = answers;
    for (const a of answers) expect(a.status).toBe(202);
    expect(second?.body).toEqual(first?.body);
    expect([first, second].map((a) => a?.headers.get('idempotent-replayed')).sort()).toEqual(['false', 'true']);
    const rows = await system.db.db
      .select()
      .from(payouts)
      .where(and(eq(payouts.tenantId, tenant.id), eq(payouts.referenceId, 'gc-twin')));
    expect(rows).toHaveLength(1);
  });

  test('the same key with another body beside the first: 422, and only the first is created', async () => {
    const others = Array.from({ length: GROUP - 2 }, (_, i) =>
      create(inrPayout({ amount: 3_000 + i, reference_id: `gc-reused-other-${i}` }), `gc-reused-other-${i}`),
    );
    const [first, second] = await Promise.all([
      create(inrPayout({ amount: 5_000, reference_id: 'gc-reused' }), 'gc-reused'),
      create(inrPayout({ amount: 6_000, reference_id: 'gc-reused-2' }), 'gc-reused'),
      ...others,
    ]);
    // Whichever was written first is the key's request; the other is refused as another request.
    const statuses = [first?.status, second?.status].sort();
    expect(statuses).toEqual([202, 422]);
    const refused = first?.status === 422 ? first : second;
    expect(refused?.body.code).toBe('idempotency_key_reused');
    const rows = await system.db.db
      .select()
      .from(payouts)
      .where(and(eq(payouts.tenantId, tenant.id), inArray(payouts.referenceId, ['gc-reused', 'gc-reused-2'])));
    expect(rows).toHaveLength(1);
  });

  test('a request Postgres refuses fails alone: the others of its group are created', async () => {
    // Created through the other API (its default window): this one's groups close at GROUP only.
    const held = await tenant.api('POST', '/v1/payouts', inrPayout({ reference_id: 'gc-held' }), {
      'idempotency-key': 'gc-held',
    });
    expect(held.status).toBe(202);
    const before = await commits();
    const answers = await Promise.all([
      // Its reference is held by a live payout: the duplicate guard's unique index refuses the row.
      create(inrPayout({ reference_id: 'gc-held' }), 'gc-held-again'),
      ...Array.from({ length: GROUP - 1 }, (_, i) =>
        create(inrPayout({ amount: 7_000 + i, reference_id: `gc-bad-other-${i}` }), `gc-bad-other-${i}`),
      ),
    ]);
    const [duplicate, ...rest] = answers;
    expect(duplicate?.status).toBe(409);
    expect(duplicate?.body).toMatchObject({ code: 'duplicate_reference', existing_payout_id: held.body.id });
    for (const a of rest) expect(a.status).toBe(202);
    const after = await commits();
    expect(after.fallbacks - before.fallbacks).toBe(1);
    expect(await storedPayouts(rest.map((a) => a.body.id))).toHaveLength(GROUP - 1);
    // Nothing of the refused request is kept, not even its key: a retry is judged again.
    const key = await system.db.db
      .select()
      .from(idempotencyKeys)
      .where(and(eq(idempotencyKeys.scope, tenant.id), eq(idempotencyKeys.key, 'gc-held-again')));
    expect(key).toHaveLength(0);
  }, 30_000);

  test('answered means committed: a request whose insert fails gets an error and leaves nothing; the others are answered after their commit', async () => {
    // A fault in Postgres itself for one row (this test's own database): the statement fails.
    await system.db.db.execute(sql`
      create or replace function gc_explode() returns trigger language plpgsql as $$
      begin raise exception 'injected failure for %', new.reference_id; end $$`);
    await system.db.db.execute(sql`
      create trigger gc_explode before insert on payouts for each row
      when (new.reference_id = 'gc-explode') execute function gc_explode()`);
    try {
      const before = await commits();
      const [exploded, ...rest] = await Promise.all([
        create(inrPayout({ reference_id: 'gc-explode' }), 'gc-explode'),
        ...Array.from({ length: GROUP - 1 }, (_, i) =>
          create(inrPayout({ amount: 8_000 + i, reference_id: `gc-fault-other-${i}` }), `gc-fault-other-${i}`),
        ),
      ]);
      expect(exploded?.status).toBe(500);
      for (const a of rest) expect(a.status).toBe(202);
      expect((await commits()).fallbacks - before.fallbacks).toBe(1);
      expect(await storedPayouts(rest.map((a) => a.body.id))).toHaveLength(GROUP - 1);
      const left = await system.db.db
        .select()
        .from(payouts)
        .where(and(eq(payouts.tenantId, tenant.id), eq(payouts.referenceId, 'gc-explode')));
      expect(left).toHaveLength(0);
      const key = await system.db.db
        .select()
        .from(idempotencyKeys)
        .where(and(eq(idempotencyKeys.scope, tenant.id), eq(idempotencyKeys.key, 'gc-explode')));
      expect(key).toHaveLength(0);
    } finally {
      await system.db.db.execute(sql`drop trigger gc_explode on payouts`);
    }
  }, 30_000);

  test('what a create writes beside its payout is written for each in the group: approval requests, payout.scheduled webhooks', async () => {
    const t = other;
    const policy = await t.api('PUT', '/v1/approval-policy', {
      rules: [{ kind: 'payout', min_amount: { INR: 100_000 }, approvals_required: 1 }],
    });
    expect(policy.status, JSON.stringify(policy.body)).toBe(200);
    const endpoint = await t.api(
      'POST',
      '/v1/webhook-endpoints',
      { url: 'http://127.0.0.1:9/hooks' },
      { 'idempotency-key': 'gc-endpoint' },
    );
    expect(endpoint.status, JSON.stringify(endpoint.body)).toBe(201);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
    const kinds = ['approval', 'approval', 'scheduled', 'scheduled', ...Array(GROUP - 4).fill('plain')] as const;
    const extras = client(grouped.url, t.key);
    const before = await commits();
    const answers = await Promise.all(
      kinds.map((kind, i) =>
        extras(
          'POST',
          '/v1/payouts',
          inrPayout({
            amount: kind === 'approval' ? 200_000 + i : 1_000 + i,
            reference_id: `gc-extras-${i}`,
            ...(kind === 'scheduled' ? { scheduled_for: tomorrow } : {}),
          }),
          { 'idempotency-key': `gc-extras-${i}` },
        ),
      ),
    );
    for (const a of answers) expect(a.status, JSON.stringify(a.body)).toBe(202);
    expect(answers.map((a) => a.body.status)).toEqual(
      kinds.map((k) => (k === 'approval' ? 'pending_approval' : k === 'scheduled' ? 'scheduled' : 'accepted')),
    );
    expect((await commits()).statements - before.statements).toBe(1);
    const ids = answers.map((a) => a.body.id as string);
    const idsOf = (kind: string) => ids.filter((_, i) => kinds[i] === kind).sort();

    const requests = await system.db.db.select().from(approvalRequests).where(inArray(approvalRequests.subjectId, ids));
    expect(requests.map((r) => r.subjectId).sort()).toEqual(idsOf('approval'));
    for (const r of requests)
      expect(r).toMatchObject({ status: 'pending', reasons: ['approval_policy'], approvalsRequired: 1 });

    const events = await system.db.db.select().from(webhookEvents).where(inArray(webhookEvents.subjectId, ids));
    expect(events.map((e) => [e.type, e.subjectId]).sort()).toEqual(
      idsOf('scheduled').map((id) => ['payout.scheduled', id]),
    );
    const deliveries = await system.db.db
      .select()
      .from(webhookDeliveries)
      .where(inArray(webhookDeliveries.subjectId, ids));
    expect(deliveries.map((d) => d.subjectId).sort()).toEqual(idsOf('scheduled'));

    // A scheduled payout has no job until it is due; the others share the group's.
    const jobs = await acceptJobsOf(ids);
    expect(jobs).toHaveLength(1);
    expect([...(jobs[0]?.data.payoutIds ?? [])].sort()).toEqual([...idsOf('approval'), ...idsOf('plain')].sort());
  });

  test("a group's job lost with Redis: the sweeper re-drives each of its payouts; then every payout is reserved and sent once", async () => {
    const answers = await Promise.all(
      Array.from({ length: GROUP }, (_, i) =>
        create(inrPayout({ amount: 9_000 + i, reference_id: `gc-lost-${i}` }), `gc-lost-${i}`),
      ),
    );
    for (const a of answers) expect(a.status).toBe(202);
    const lost = answers.map((a) => a.body.id as string);
    const [job] = await acceptJobsOf(lost);
    expect(job?.data.payoutIds).toHaveLength(GROUP);
    await system.queues.reconciler.remove(must(job?.id, 'the group job id'));

    // Every payout of this file is untouched since it was created: with no wait, the sweeper looks
    // at all of them. Those of the lost group get a job each, as a payout whose own job was lost
    // always did; the others' group jobs are alive and get one too (the sweeper cannot tell a
    // group's job from a payout's id; acceptance is idempotent, which the end of this test shows).
    const swept = await sweep(system.db.db, system.queues, { sweepAfterMs: 0 });
    for (const id of lost) {
      const [redriven, ...more] = await acceptJobsOf([id]);
      expect(more).toEqual([]);
      expect(redriven).toMatchObject({ name: 'payout.accepted', id: jobIds.accepted(id), data: { payoutId: id } });
    }
    const accepted = await system.db.db
      .select({ id: payouts.id })
      .from(payouts)
      .where(and(inArray(payouts.tenantId, [tenant.id, other.id]), eq(payouts.status, 'accepted')));
    expect(accepted.map((r) => r.id)).toEqual(expect.arrayContaining(lost));
    expect(swept.redriven).toBe(accepted.length);
    // A second pass finds every job alive: nothing is added.
    expect((await sweep(system.db.db, system.queues, { sweepAfterMs: 0 })).redriven).toBe(0);

    // Now run them: payouts with two jobs (their group's and the sweeper's) and payouts with one.
    system.startProcessing();
    const ids = accepted.map((r) => r.id);
    await waitFor(async () => (await storedPayouts(ids)).every((p) => p.status === 'processed') || undefined, {
      message: 'every accepted payout processed',
    });
    const reserved = await system.db.db
      .select({ id: payoutEvents.payoutId })
      .from(payoutEvents)
      .where(
        and(inArray(payoutEvents.payoutId, ids), eq(payoutEvents.toStatus, 'reserved'), eq(payoutEvents.applied, true)),
      );
    expect(reserved.map((r) => r.id).sort()).toEqual([...ids].sort());
    const atProvider = (await fetch(`${system.sandbox.url}/_admin/razorpayx/payouts`).then((r) => r.json())) as {
      data: { idempotency_key: string }[];
    };
    const sent = atProvider.data.map((p) => p.idempotency_key).filter((k) => ids.includes(k));
    expect(sent.sort()).toEqual([...ids].sort());
    expect((await verifyLedger(system.db.db)).problems).toEqual([]);
  }, 60_000);
});
