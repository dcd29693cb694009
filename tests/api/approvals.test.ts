import { approvalRequests, operatorActions, payouts, webhookEvents } from '@payouts/db';
import { verifyLedger } from '@payouts/ledger';
import { waitFor } from '@payouts/testing';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { client, createFundedTenant, inrPayout, startTestSystem, type TestSystem } from '../support/system.ts';

/**
 * Approvals, maker-checker (docs/api.md, "Approvals"): a payout or batch a tenant's policy catches
 * waits in `pending_approval` with nothing held or sent, until enough distinct approvers (never its
 * maker) approve it, someone rejects it, or it expires.
 */
let system: TestSystem;
let op: ReturnType<typeof client>;
beforeAll(async () => {
  system = await startTestSystem();
  op = client(system.api.url, system.operatorKey);
});
afterAll(async () => {
  await system?.stop();
});

type Tenant = Awaited<ReturnType<typeof createFundedTenant>>;

/** A tenant with a policy, a maker key and approver keys, each labelled as a person. */
async function approvalTenant(name: string, rules: unknown[], funds = 10_000_000, expiresAfterHours = 168) {
  const tenant = await createFundedTenant(system, name, funds);
  const policy = await tenant.api('PUT', '/v1/approval-policy', { rules, expires_after_hours: expiresAfterHours });
  expect(policy.status, JSON.stringify(policy.body)).toBe(200);
  const key = async (role: string, label: string) => {
    const issued = await op('POST', `/v1/admin/tenants/${tenant.id}/api-keys`, { role, label });
    expect(issued.status).toBe(201);
    return { id: issued.body.id as string, api: client(system.api.url, issued.body.key) };
  };
  return {
    tenant,
    maker: await key('maker', 'Asha (payroll)'),
    // The same person with a second key: still the maker.
    makerAsApprover: await key('approver', 'Asha (payroll)'),
    ravi: await key('approver', 'Ravi (finance)'),
    meera: await key('approver', 'Meera (CFO)'),
  };
}

const payoutRule = (min: number, approvals: 1 | 2) => ({
  kind: 'payout',
  min_amount: { INR: min },
  approvals_required: approvals,
});

async function balances(tenant: Tenant) {
  const res = await tenant.api('GET', '/v1/balances');
  return res.body.data.find((b: { currency: string }) => b.currency === 'INR');
}

async function statusOf(tenant: Tenant, id: string): Promise<string> {
  return (await tenant.api('GET', `/v1/payouts/${id}`)).body.status;
}

async function waitForStatus(tenant: Tenant, id: string, status: string) {
  await waitFor(async () => (await statusOf(tenant, id)) === status, { message: `${id} to be ${status}` });
}

describe('approvals of single payouts', () => {
  test('a payout over the threshold waits with nothing held; the maker may not approve it (same key or same label); another approver releases it to processed, ledger balanced', {
    timeout: 120_000,
  }, async () => {
    const t = await approvalTenant('appr-one', [payoutRule(100_000, 1)]);
    const before = await balances(t.tenant);
    const small = await t.maker.api('POST', '/v1/payouts', inrPayout({ amount: 99_999 }), { 'idempotency-key': 's1' });
    expect(small.body.status).toBe('accepted');
    const created = await t.maker.api('POST', '/v1/payouts', inrPayout({ amount: 100_000 }), {
      'idempotency-key': 'p1',
    });
    expect(created.status).toBe(202);
    expect(created.body.status).toBe('pending_approval');
    const id = created.body.id as string;
    await waitForStatus(t.tenant, small.body.id, 'processed');

    // Nothing held for it, nothing at any provider.
    const held = await balances(t.tenant);
    expect(held.held).toBe(0);
    expect(held.available).toBeLessThan(before.available);
    expect(await statusOf(t.tenant, id)).toBe('pending_approval');
    const listed = await t.tenant.api('GET', '/v1/payouts?status=pending_approval');
    expect(listed.body.data.map((p: { id: string }) => p.id)).toEqual([id]);
    const pending = await t.ravi.api('GET', '/v1/approvals');
    expect(pending.body.data).toMatchObject([
      { subject_id: id, kind: 'payout', status: 'pending', approvals_required: 1, approvals: 0 },
    ]);

    // Maker ≠ checker: not with an approver key of the same label, not as admin with the maker's key either.
    const sameLabel = await t.makerAsApprover.api('POST', `/v1/payouts/${id}/approve`);
    expect(sameLabel.status).toBe(403);
    expect(sameLabel.body.code).toBe('approver_is_maker');
    expect((await t.maker.api('POST', `/v1/payouts/${id}/approve`)).body.code).toBe('role_forbidden');
    expect(await statusOf(t.tenant, id)).toBe('pending_approval');

    const approved = await t.ravi.api('POST', `/v1/payouts/${id}/approve`);
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body.approval).toMatchObject({
      status: 'approved',
      approvals: 1,
      decisions: [{ decision: 'approve', label: 'Ravi (finance)' }],
    });
    await waitForStatus(t.tenant, id, 'processed');

    // The history names the decision and who took it, in the payout's hash chain.
    const events = await t.tenant.api('GET', `/v1/payouts/${id}/events`);
    const path = events.body.data.map((e: { to_status: string }) => e.to_status);
    expect(path.slice(0, 3)).toEqual(['pending_approval', 'accepted', 'reserved']);
    expect(events.body.data[1].detail).toMatchObject({
      approval: 'approved',
      decisions: [{ decision: 'approve', actor: t.ravi.id, actorLabel: 'Ravi (finance)' }],
    });
    const audit = await system.db.db.select().from(operatorActions).where(eq(operatorActions.target, id));
    expect(audit).toMatchObject([
      { actor: t.ravi.id, action: 'approval.approve', params: { label: 'Ravi (finance)' } },
    ]);
    expect((await op('GET', '/v1/admin/audit/verify')).body.ok).toBe(true);

    // Approving what is no longer pending: 409 with its state.
    const again = await t.meera.api('POST', `/v1/payouts/${id}/approve`);
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'not_pending_approval', current_status: 'processed' });
    const notCaught = await t.meera.api('POST', `/v1/payouts/${small.body.id}/approve`);
    expect(notCaught.status).toBe(409);
    expect(notCaught.body).toMatchObject({ code: 'not_pending_approval', current_status: 'processed' });

    expect((await verifyLedger(system.db.db)).problems).toEqual([]);
    expect((await balances(t.tenant)).held).toBe(0);
  });

  test('two approvals required: the same approver twice counts once; a second person releases it', {
    timeout: 120_000,
  }, async () => {
    const t = await approvalTenant('appr-two', [payoutRule(1_000, 1), payoutRule(500_000, 2)]);
    const created = await t.maker.api('POST', '/v1/payouts', inrPayout({ amount: 600_000 }), {
      'idempotency-key': 'p2',
    });
    expect(created.body.status).toBe('pending_approval');
    const id = created.body.id as string;

    const first = await t.ravi.api('POST', `/v1/payouts/${id}/approve`);
    expect(first.status).toBe(200);
    expect(first.body.approval).toMatchObject({ status: 'pending', approvals_required: 2, approvals: 1 });
    expect(first.body.payout.status).toBe('pending_approval');
    // The first approval is in the payout's history already, with who gave it.
    await waitFor(
      async () =>
        (await t.tenant.api('GET', `/v1/payouts/${id}/events`)).body.data.some(
          (e: { to_status: string; detail: { approval?: string } }) =>
            e.to_status === 'pending_approval' && e.detail?.approval === 'pending',
        ),
      { message: 'the first approval in the history' },
    );
    const twice = await t.ravi.api('POST', `/v1/payouts/${id}/approve`);
    expect(twice.status).toBe(200);
    expect(twice.body.approval).toMatchObject({ status: 'pending', approvals: 1 });
    expect(await statusOf(t.tenant, id)).toBe('pending_approval');

    // An admin key counts as an approver too (it is not the maker).
    const second = await t.tenant.api('POST', `/v1/payouts/${id}/approve`);
    expect(second.status).toBe(200);
    expect(second.body.approval).toMatchObject({ status: 'approved', approvals: 2 });
    await waitForStatus(t.tenant, id, 'processed');
    const history = (await t.tenant.api('GET', `/v1/payouts/${id}/events`)).body.data;
    expect(history.slice(0, 3)).toMatchObject([
      { from_status: null, to_status: 'pending_approval' },
      {
        from_status: 'pending_approval',
        to_status: 'pending_approval',
        detail: { approval: 'pending', decisions: [{ actorLabel: 'Ravi (finance)' }] },
      },
      {
        from_status: 'pending_approval',
        to_status: 'accepted',
        detail: { approval: 'approved', decisions: [{ actorLabel: 'Ravi (finance)' }, { decision: 'approve' }] },
      },
    ]);
    expect((await op('GET', '/v1/admin/audit/verify')).body.ok).toBe(true);
    expect((await verifyLedger(system.db.db)).problems).toEqual([]);
  });

  test('a rejection cancels it (approval_rejected) and nothing was ever held; a cancel while pending works too', {
    timeout: 120_000,
  }, async () => {
    const t = await approvalTenant('appr-reject', [payoutRule(1_000, 2)]);
    const create = (key: string) =>
      t.maker.api('POST', '/v1/payouts', inrPayout({ amount: 10_000 }), { 'idempotency-key': key });
    const rejectedId = (await create('r1')).body.id as string;
    const cancelledId = (await create('r2')).body.id as string;

    const noReason = await t.ravi.api('POST', `/v1/payouts/${rejectedId}/reject`, {});
    expect(noReason.status).toBe(422);
    expect(noReason.body.errors).toEqual([{ field: 'reason', message: expect.any(String) }]);
    expect((await t.ravi.api('POST', `/v1/payouts/${rejectedId}/approve`)).status).toBe(200);
    const rejected = await t.meera.api('POST', `/v1/payouts/${rejectedId}/reject`, { reason: 'wrong account' });
    expect(rejected.status).toBe(200);
    expect(rejected.body.approval.status).toBe('rejected');
    await waitForStatus(t.tenant, rejectedId, 'cancelled');
    const payout = (await t.tenant.api('GET', `/v1/payouts/${rejectedId}`)).body;
    expect(payout.failure).toEqual({ code: 'approval_rejected', message: 'Rejected by an approver: wrong account' });
    const late = await t.meera.api('POST', `/v1/payouts/${rejectedId}/approve`);
    expect(late.status).toBe(409);
    expect(late.body.current_status).toBe('cancelled');

    const cancelled = await t.maker.api('POST', `/v1/payouts/${cancelledId}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect((await t.ravi.api('POST', `/v1/payouts/${cancelledId}/approve`)).status).toBe(409);
    // Neither waits any more.
    expect((await t.ravi.api('GET', '/v1/approvals')).body.data).toEqual([]);

    expect(await balances(t.tenant)).toMatchObject({ available: 10_000_000, held: 0 });
    expect((await verifyLedger(system.db.db)).problems).toEqual([]);
  });

  test('expiry is durable: past its time the sweeper, reading Postgres only, cancels it (approval_expired)', {
    timeout: 120_000,
  }, async () => {
    const t = await approvalTenant('appr-expiry', [payoutRule(1_000, 1)], 10_000_000, 1);
    const id = (await t.maker.api('POST', '/v1/payouts', inrPayout({ amount: 10_000 }), { 'idempotency-key': 'e1' }))
      .body.id as string;
    // The clock moves in the database, not on the wall: the request's time has come.
    await system.db.db
      .update(approvalRequests)
      .set({ expiresAt: sql`now() - interval '1 second'` })
      .where(eq(approvalRequests.subjectId, id));
    // This pass, or the reconciler's own timer racing it, decides it: either way Postgres says so.
    await system.reconciler.sweepNow();
    const [request] = await system.db.db.select().from(approvalRequests).where(eq(approvalRequests.subjectId, id));
    expect(request?.status).toBe('expired');
    // A pass re-drives it unless a job for it is still alive (its creation job may not have been
    // removed yet, though applied): the next pass does then, as it would in production.
    await waitFor(
      async () => {
        if ((await statusOf(t.tenant, id)) === 'cancelled') return true;
        await system.reconciler.sweepNow();
        return false;
      },
      { message: 'the expired payout to be cancelled' },
    );
    expect((await t.tenant.api('GET', `/v1/payouts/${id}`)).body.failure.code).toBe('approval_expired');
    const late = await t.ravi.api('POST', `/v1/payouts/${id}/approve`);
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({ current_status: 'cancelled', approval_status: 'expired' });
    expect(await balances(t.tenant)).toMatchObject({ available: 10_000_000, held: 0 });
  });
});

describe('approvals and schedules combine', () => {
  test('approved before its scheduled_for it waits in scheduled with nothing held, then is released at its time; approved after it, it goes at once', {
    timeout: 180_000,
  }, async () => {
    const t = await approvalTenant('appr-sched', [payoutRule(1_000, 1)]);
    const endpoint = await t.tenant.api(
      'POST',
      '/v1/webhook-endpoints',
      { url: 'http://127.0.0.1:9/hooks' },
      { 'idempotency-key': 'sched-endpoint' },
    );
    expect(endpoint.status, JSON.stringify(endpoint.body)).toBe(201);
    const inAnHour = new Date(Date.now() + 3600_000).toISOString();
    const early = await t.maker.api('POST', '/v1/payouts', inrPayout({ amount: 10_000, scheduled_for: inAnHour }), {
      'idempotency-key': 'sch-1',
    });
    const late = await t.maker.api('POST', '/v1/payouts', inrPayout({ amount: 20_000, scheduled_for: inAnHour }), {
      'idempotency-key': 'sch-2',
    });
    expect(early.status, JSON.stringify(early.body)).toBe(202);
    expect(early.body).toMatchObject({ status: 'pending_approval', scheduled_for: inAnHour });
    expect(late.body.status).toBe('pending_approval');
    const earlyId = early.body.id as string;
    const lateId = late.body.id as string;

    // Approved an hour before its time: it waits for it, still with nothing held.
    expect((await t.ravi.api('POST', `/v1/payouts/${earlyId}/approve`)).status).toBe(200);
    await waitForStatus(t.tenant, earlyId, 'scheduled');
    expect((await balances(t.tenant)).held).toBe(0);

    // The other one's time comes (moved in the database, not on the wall) before it is approved:
    // the approval sends it into the flow at once.
    await system.db.db
      .update(payouts)
      .set({ scheduledFor: sql`now() - interval '1 second'` })
      .where(eq(payouts.id, lateId));
    expect((await t.meera.api('POST', `/v1/payouts/${lateId}/approve`)).status).toBe(200);
    await waitForStatus(t.tenant, lateId, 'processed');
    expect(await statusOf(t.tenant, earlyId)).toBe('scheduled');

    // Now the first one's time comes: the release of due payouts takes it on.
    await system.db.db
      .update(payouts)
      .set({ scheduledFor: sql`now() - interval '1 second'` })
      .where(eq(payouts.id, earlyId));
    await waitForStatus(t.tenant, earlyId, 'processed');

    const pathOf = async (id: string) =>
      (await t.tenant.api('GET', `/v1/payouts/${id}/events`)).body.data.map((e: { to_status: string }) => e.to_status);
    expect((await pathOf(earlyId)).slice(0, 4)).toEqual(['pending_approval', 'scheduled', 'accepted', 'reserved']);
    expect((await pathOf(lateId)).slice(0, 3)).toEqual(['pending_approval', 'accepted', 'reserved']);
    // Its approval is told as such (it left pending_approval for scheduled), then its run as usual.
    const sent = await system.db.db
      .select({ type: webhookEvents.type })
      .from(webhookEvents)
      .where(eq(webhookEvents.subjectId, earlyId))
      .orderBy(webhookEvents.subjectVersion);
    expect(sent.map((e) => e.type).slice(0, 3)).toEqual([
      'payout.pending_approval',
      'payout.approved',
      'payout.reserved',
    ]);
    expect((await verifyLedger(system.db.db)).problems).toEqual([]);
    expect((await balances(t.tenant)).held).toBe(0);
  });
});

describe('approvals of batches', () => {
  const items = (n: number, amount: number, prefix: string) =>
    Array.from({ length: n }, (_, i) => inrPayout({ amount, reference_id: `${prefix}-${i}` }));

  test('a run over the threshold waits as a whole; approval after the wallet changed runs the pre-flight again', {
    timeout: 180_000,
  }, async () => {
    const t = await approvalTenant(
      'appr-batch',
      [{ kind: 'batch', min_amount: { INR: 100_000 }, approvals_required: 1 }],
      400_000,
    );
    const upload = await t.maker.api(
      'POST',
      '/v1/payout-batches',
      { items: items(3, 50_000, 'run') },
      {
        'idempotency-key': 'b1',
      },
    );
    expect(upload.status, JSON.stringify(upload.body)).toBe(202);
    expect(upload.body.status).toBe('pending_approval');
    const batchId = upload.body.id as string;
    const view = await t.tenant.api('GET', `/v1/payout-batches/${batchId}`);
    expect(view.body).toMatchObject({ status: 'pending_approval', counts: { pending_approval: 3 } });
    expect((await balances(t.tenant)).held).toBe(0);
    // One decision for the run: not payout by payout.
    const rows = await t.tenant.api('GET', `/v1/payout-batches/${batchId}/payouts`);
    const single = await t.ravi.api('POST', `/v1/payouts/${rows.body.data[0].id}/approve`);
    expect(single.status).toBe(409);
    expect(single.body).toMatchObject({ code: 'decided_with_batch', batch_id: batchId });

    // The wallet is spent meanwhile by a payout below every threshold.
    const spend = await t.maker.api('POST', '/v1/payouts', inrPayout({ amount: 300_000 }), {
      'idempotency-key': 'b-spend',
    });
    await waitForStatus(t.tenant, spend.body.id, 'processed');

    expect((await t.makerAsApprover.api('POST', `/v1/payout-batches/${batchId}/approve`)).body.code).toBe(
      'approver_is_maker',
    );
    const short = await t.ravi.api('POST', `/v1/payout-batches/${batchId}/approve`);
    expect(short.status).toBe(422);
    expect(short.body.code).toBe('insufficient_funds');
    expect(short.body.errors[0]).toMatchObject({ field: 'currency', message: expect.stringContaining('INR') });
    // Not recorded: the run still waits, with no approval counted.
    const still = await t.ravi.api('GET', '/v1/approvals');
    expect(still.body.data).toMatchObject([{ subject_id: batchId, status: 'pending', approvals: 0 }]);

    expect(
      (
        await op('POST', `/v1/admin/tenants/${t.tenant.id}/fundings`, {
          currency: 'INR',
          amount: 1_000_000,
          reference: 'top-up',
        })
      ).status,
    ).toBe(201);
    const approved = await t.ravi.api('POST', `/v1/payout-batches/${batchId}/approve`);
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body.approval).toMatchObject({ status: 'approved', kind: 'batch' });
    await waitFor(
      async () => (await t.tenant.api('GET', `/v1/payout-batches/${batchId}`)).body.status === 'completed',
      { message: 'the approved run to complete' },
    );
    const done = await t.tenant.api('GET', `/v1/payout-batches/${batchId}`);
    expect(done.body.counts).toEqual({ processed: 3 });
    expect((await t.ravi.api('POST', `/v1/payout-batches/${batchId}/approve`)).status).toBe(409);
    expect((await verifyLedger(system.db.db)).problems).toEqual([]);
  });

  test('a rejected run: every payout of it cancelled with approval_rejected', { timeout: 120_000 }, async () => {
    const t = await approvalTenant('appr-batch-reject', [
      { kind: 'batch', min_amount: { INR: 1 }, approvals_required: 2 },
    ]);
    const upload = await t.maker.api(
      'POST',
      '/v1/payout-batches',
      { items: items(2, 10_000, 'rej') },
      {
        'idempotency-key': 'b2',
      },
    );
    expect(upload.body.status).toBe('pending_approval');
    const batchId = upload.body.id as string;
    const rejected = await t.meera.api('POST', `/v1/payout-batches/${batchId}/reject`, { reason: 'duplicate run' });
    expect(rejected.status).toBe(200);
    await waitFor(
      async () => (await t.tenant.api('GET', `/v1/payout-batches/${batchId}`)).body.status === 'completed',
      { message: 'the rejected run to end' },
    );
    const payouts = await t.tenant.api('GET', `/v1/payout-batches/${batchId}/payouts`);
    expect(
      payouts.body.data.map((p: { status: string; failure: { code: string } }) => [p.status, p.failure.code]),
    ).toEqual([
      ['cancelled', 'approval_rejected'],
      ['cancelled', 'approval_rejected'],
    ]);
    expect(await balances(t.tenant)).toMatchObject({ available: 10_000_000, held: 0 });
  });
});

describe('the approval policy', () => {
  test('bad policies are refused naming the field, and nothing is stored', async () => {
    const tenant = await createFundedTenant(system, 'appr-policy');
    for (const [body, field] of [
      [{ rules: [{ kind: 'refund', min_amount: { INR: 1 }, approvals_required: 1 }] }, 'rules.0.kind'],
      [{ rules: [{ kind: 'payout', min_amount: { XYZ: 1 }, approvals_required: 1 }] }, 'rules.0.min_amount.XYZ'],
      [{ rules: [{ kind: 'payout', min_amount: { INR: 0 }, approvals_required: 1 }] }, 'rules.0.min_amount.INR'],
      [{ rules: [{ kind: 'payout', min_amount: {}, approvals_required: 1 }] }, 'rules.0.min_amount'],
      [{ rules: [{ kind: 'payout', min_amount: { INR: 1 }, approvals_required: 3 }] }, 'rules.0.approvals_required'],
      [{ rules: [], expires_after_hours: 0 }, 'expires_after_hours'],
      [{ rules: [], expires_after_hours: 1.5 }, 'expires_after_hours'],
      [{ rules: [], extra: true }, 'extra'],
      [{}, 'rules'],
    ] as const) {
      const res = await tenant.api('PUT', '/v1/approval-policy', body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(
        res.body.errors.map((e: { field: string }) => e.field),
        JSON.stringify(body),
      ).toContain(field);
    }
    expect((await tenant.api('GET', '/v1/approval-policy')).body.rules).toEqual([]);
  });
});

describe('approvals survive Redis and send their webhook events', () => {
  test('a decision whose job Redis lost is applied by the sweeper from Postgres', { timeout: 120_000 }, async () => {
    const t = await approvalTenant('appr-flush', [payoutRule(1_000, 1)]);
    const id = (await t.maker.api('POST', '/v1/payouts', inrPayout({ amount: 10_000 }), { 'idempotency-key': 'f1' }))
      .body.id as string;
    await system.stopProcessing();
    try {
      // The decision commits; the job that would apply it waits in Redis, which then loses it.
      const approved = await t.ravi.api('POST', `/v1/payouts/${id}/approve`);
      expect(approved.status).toBe(200);
      expect(approved.body.approval.status).toBe('approved');
      expect(approved.body.payout.status).toBe('pending_approval');
      await system.flushQueues();
    } finally {
      system.startProcessing();
    }
    await waitFor(
      async () => {
        if ((await statusOf(t.tenant, id)) !== 'pending_approval') return true;
        await system.reconciler.sweepNow();
        return false;
      },
      { message: 'the sweeper to apply the approval' },
    );
    await waitForStatus(t.tenant, id, 'processed');
    expect((await verifyLedger(system.db.db)).problems).toEqual([]);
  });

  test('payout.pending_approval, payout.approved, payout.approval_rejected, and the batch events, once each', {
    timeout: 120_000,
  }, async () => {
    const t = await approvalTenant('appr-hooks', [
      payoutRule(1_000, 1),
      { kind: 'batch', min_amount: { INR: 1_000 }, approvals_required: 1 },
    ]);
    const endpoint = await t.tenant.api(
      'POST',
      '/v1/webhook-endpoints',
      { url: 'http://127.0.0.1:9/hooks' },
      { 'idempotency-key': 'hooks-endpoint' },
    );
    expect(endpoint.status, JSON.stringify(endpoint.body)).toBe(201);
    const create = (key: string) =>
      t.maker.api('POST', '/v1/payouts', inrPayout({ amount: 10_000 }), { 'idempotency-key': key });
    const approvedId = (await create('h1')).body.id as string;
    const rejectedId = (await create('h2')).body.id as string;
    const batchId = (
      await t.maker.api(
        'POST',
        '/v1/payout-batches',
        { items: [inrPayout({ amount: 10_000, reference_id: 'hooks-b1' })] },
        { 'idempotency-key': 'h3' },
      )
    ).body.id as string;
    const typesOf = async (subject: string) =>
      (
        await system.db.db
          .select({ type: webhookEvents.type })
          .from(webhookEvents)
          .where(eq(webhookEvents.subjectId, subject))
          .orderBy(webhookEvents.subjectVersion)
      ).map((e) => e.type);
    await waitFor(async () => (await typesOf(approvedId)).length === 1 && (await typesOf(batchId)).length === 1, {
      message: 'the pending notices',
    });
    expect(await typesOf(approvedId)).toEqual(['payout.pending_approval']);
    expect(await typesOf(batchId)).toEqual(['batch.pending_approval']);

    expect((await t.ravi.api('POST', `/v1/payouts/${approvedId}/approve`)).status).toBe(200);
    expect((await t.ravi.api('POST', `/v1/payouts/${rejectedId}/reject`, { reason: 'no' })).status).toBe(200);
    expect((await t.ravi.api('POST', `/v1/payout-batches/${batchId}/approve`)).status).toBe(200);
    await waitForStatus(t.tenant, approvedId, 'processed');
    await waitForStatus(t.tenant, rejectedId, 'cancelled');
    await waitFor(async () => (await typesOf(batchId)).includes('batch.completed'), { message: 'the run to end' });

    const approvedTypes = await typesOf(approvedId);
    expect(approvedTypes.slice(0, 3)).toEqual(['payout.pending_approval', 'payout.approved', 'payout.reserved']);
    expect(approvedTypes.at(-1)).toBe('payout.processed');
    expect(await typesOf(rejectedId)).toEqual(['payout.pending_approval', 'payout.approval_rejected']);
    expect((await typesOf(batchId)).sort()).toEqual(['batch.approved', 'batch.completed', 'batch.pending_approval']);
  });
});

describe('cooling-off: payouts to a beneficiary whose bank details just changed wait for an approval', () => {
  test('single and batch payouts wait with reason beneficiary_cooling_off; the maker may not approve; an approver releases one to processed through the sandbox; a rejection cancels another', {
    timeout: 180_000,
  }, async () => {
    // No approval policy at all: the cooling-off alone holds the payouts, for the default expiry.
    const t = await approvalTenant('appr-cool', []);
    expect((await t.tenant.api('PATCH', '/v1/settings', { beneficiary_cooling_off_hours: 24 })).status).toBe(200);
    const saved = await t.maker.api(
      'POST',
      '/v1/beneficiaries',
      {
        type: 'employee',
        name: 'Kiran Das',
        bank_account: { account_number: '123456789012', bank_code: 'HDFC0001234' },
      },
      { 'idempotency-key': 'cool-ben' },
    );
    expect(saved.status, JSON.stringify(saved.body)).toBe(201);
    const benId = saved.body.id as string;
    const pay = (key: string) =>
      t.maker.api(
        'POST',
        '/v1/payouts',
        { amount: 10_000, currency: 'INR', method: 'IMPS', purpose: 'salary', beneficiary_id: benId },
        { 'idempotency-key': key },
      );
    // The account given at creation is no change: paid at once.
    const first = await pay('cool-v1');
    expect(first.body.status).toBe('accepted');
    await waitForStatus(t.tenant, first.body.id, 'processed');

    const moved = await t.maker.api('PATCH', `/v1/beneficiaries/${benId}`, {
      bank_account: { account_number: '998877665544', bank_code: 'ICIC0000001' },
    });
    expect(moved.body.version, JSON.stringify(moved.body)).toBe(2);

    const waiting = await pay('cool-v2');
    expect(waiting.status, JSON.stringify(waiting.body)).toBe(202);
    expect(waiting.body).toMatchObject({ status: 'pending_approval', beneficiary_id: benId, beneficiary_version: 2 });
    const id = waiting.body.id as string;
    const rejectedId = (await pay('cool-v2-b')).body.id as string;
    const pending = await t.ravi.api('GET', '/v1/approvals');
    const request = pending.body.data.find((a: { subject_id: string }) => a.subject_id === id);
    expect(request).toMatchObject({
      kind: 'payout',
      status: 'pending',
      approvals_required: 1,
      reasons: ['beneficiary_cooling_off'],
      maker: { label: 'Asha (payroll)' },
    });
    expect(Date.parse(request.expires_at) - Date.parse(request.created_at)).toBe(168 * 3_600_000);
    // Nothing held for the waiting payouts (the first one has settled).
    expect((await balances(t.tenant)).held).toBe(0);

    // Maker ≠ checker, as for any approval.
    const sameLabel = await t.makerAsApprover.api('POST', `/v1/payouts/${id}/approve`);
    expect(sameLabel.status).toBe(403);
    expect(sameLabel.body.code).toBe('approver_is_maker');
    expect((await t.maker.api('POST', `/v1/payouts/${id}/approve`)).body.code).toBe('role_forbidden');

    const approved = await t.ravi.api('POST', `/v1/payouts/${id}/approve`);
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body.approval).toMatchObject({ status: 'approved', reasons: ['beneficiary_cooling_off'] });
    await waitForStatus(t.tenant, id, 'processed');
    // Paid at the new account, through the sandbox.
    const paid = (await t.tenant.api('GET', `/v1/payouts/${id}`)).body;
    expect(paid).toMatchObject({ beneficiary_version: 2, provider_payout_id: expect.any(String) });

    const rejected = await t.meera.api('POST', `/v1/payouts/${rejectedId}/reject`, { reason: 'did not change it' });
    expect(rejected.status).toBe(200);
    await waitForStatus(t.tenant, rejectedId, 'cancelled');
    expect((await t.tenant.api('GET', `/v1/payouts/${rejectedId}`)).body.failure).toEqual({
      code: 'approval_rejected',
      message: 'Rejected by an approver: did not change it',
    });

    // A run with one such row waits as a whole, for one decision.
    const upload = await t.maker.api(
      'POST',
      '/v1/payout-batches',
      {
        items: [
          inrPayout({ amount: 1_000, reference_id: 'cool-run-0' }),
          { amount: 2_000, currency: 'INR', method: 'IMPS', purpose: 'salary', beneficiary_id: benId },
        ],
      },
      { 'idempotency-key': 'cool-run' },
    );
    expect(upload.status, JSON.stringify(upload.body)).toBe(202);
    expect(upload.body.status).toBe('pending_approval');
    const batchId = upload.body.id as string;
    const runRequest = (await t.ravi.api('GET', '/v1/approvals')).body.data.find(
      (a: { subject_id: string }) => a.subject_id === batchId,
    );
    expect(runRequest).toMatchObject({ kind: 'batch', approvals_required: 1, reasons: ['beneficiary_cooling_off'] });
    expect((await t.makerAsApprover.api('POST', `/v1/payout-batches/${batchId}/approve`)).body.code).toBe(
      'approver_is_maker',
    );
    expect((await t.meera.api('POST', `/v1/payout-batches/${batchId}/approve`)).status).toBe(200);
    const rows = (await t.tenant.api('GET', `/v1/payout-batches/${batchId}/payouts`)).body.data as { id: string }[];
    for (const row of rows) await waitForStatus(t.tenant, row.id, 'processed');

    // With a policy that catches the amount too: one request, both reasons, the policy's count and expiry.
    await t.tenant.api('PUT', '/v1/approval-policy', { rules: [payoutRule(1_000, 2)], expires_after_hours: 48 });
    const both = await pay('cool-v2-c');
    const bothRequest = (await t.ravi.api('GET', '/v1/approvals')).body.data.find(
      (a: { subject_id: string }) => a.subject_id === both.body.id,
    );
    expect(bothRequest).toMatchObject({
      approvals_required: 2,
      reasons: ['approval_policy', 'beneficiary_cooling_off'],
    });
    expect(Date.parse(bothRequest.expires_at) - Date.parse(bothRequest.created_at)).toBe(48 * 3_600_000);

    expect((await verifyLedger(system.db.db)).problems).toEqual([]);
  });
});
