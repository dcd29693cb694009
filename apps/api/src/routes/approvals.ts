import { type Currency, isId, newId } from '@payouts/core';
import {
  type ApprovalPolicy,
  appendOperatorActions,
  approvalDecisions,
  approvalRequests,
  payoutBatches,
  payouts,
  type Transaction,
  tenants,
} from '@payouts/db';
import { walletBalances } from '@payouts/ledger';
import { batchStatusGroups, batchStatusResource } from '@payouts/payouts';
import { ACCEPTED_SLICE, batchSlicePriority, jobIds } from '@payouts/queue';
import { and, asc, desc, eq, sql } from 'drizzle-orm';
import { type Request, Router } from 'express';
import { DEFAULT_APPROVAL_EXPIRY_HOURS } from '../approval-requests.ts';
import { approvalListQuery, approvalPolicySchema, type approvalSchema, rejectBodySchema } from '../approval-schemas.ts';
import { type Authenticator, requireTenant, type TenantCaller } from '../auth.ts';
import type { ApiDeps } from '../deps.ts';
import { HttpProblem, problems } from '../problem.ts';
import type { TenantRoute } from '../roles.ts';
import type { z } from '../schemas.ts';
import { payoutResource } from '../serialize.ts';
import { expectNoBody, parseBody, parseQuery } from '../validation.ts';
import { findPayout } from './payouts.ts';

type RequestRow = typeof approvalRequests.$inferSelect;
type DecisionRow = typeof approvalDecisions.$inferSelect;

/**
 * Approvals, maker-checker (docs/api.md, "Approvals"). A payout or a batch that the tenant's
 * policy caught was created in `pending_approval` with an `approval_requests` row. Here an
 * approver's decision is taken under that row's lock — the maker may not decide (same key or
 * same label), the same person twice counts once — and recorded with its label in
 * `approval_decisions` and the audit log. The payouts follow the decision in the reconciler,
 * which alone changes payout state (`payout.accepted` applies it); if that job is lost, the
 * sweeper finds the decided payouts in Postgres and re-drives them.
 */
export function approvalRoutes(deps: ApiDeps, auth?: Pick<Authenticator, 'forget'>): Router {
  const router = Router();

  router.get('/approval-policy', async (req, res) => {
    const { tenantId } = requireTenant(req, 'GET /v1/approval-policy');
    const [row] = await deps.db.select().from(tenants).where(eq(tenants.id, tenantId));
    if (!row) throw problems.notFound('The tenant');
    res.json(policyResource(row.approvalPolicy));
  });

  /** Replaces the policy; `{"rules": []}` turns approvals off. Payouts already waiting keep their request. */
  router.put('/approval-policy', async (req, res) => {
    const { tenantId } = requireTenant(req, 'PUT /v1/approval-policy');
    const policy: ApprovalPolicy = parseBody(approvalPolicySchema, req);
    const [row] = await deps.db
      .update(tenants)
      .set({ approvalPolicy: policy.rules.length > 0 ? policy : null })
      .where(eq(tenants.id, tenantId))
      .returning();
    if (!row) throw problems.notFound('The tenant');
    // Cached with the tenant's keys: this instance applies it at once, the others within 10 s.
    auth?.forget({ tenantId });
    res.json(policyResource(row.approvalPolicy));
  });

  router.get('/approvals', async (req, res) => {
    const { tenantId } = requireTenant(req, 'GET /v1/approvals');
    const q = parseQuery(approvalListQuery, req);
    const rows = await deps.db
      .select()
      .from(approvalRequests)
      .where(
        and(
          eq(approvalRequests.tenantId, tenantId),
          eq(approvalRequests.status, q.status),
          // A payout cancelled while it waited is not waiting any more (its request expires unused).
          q.status === 'pending'
            ? sql`not exists (select 1 from ${payouts} where ${payouts.id} = ${approvalRequests.subjectId} and ${payouts.status} <> 'pending_approval')`
            : undefined,
        ),
      )
      .orderBy(desc(approvalRequests.createdAt))
      .limit(q.limit);
    const decisions = await decisionsOf(
      deps,
      rows.map((r) => r.subjectId),
    );
    res.json({ data: rows.map((r) => approvalResource(r, decisions.get(r.subjectId) ?? [])) });
  });

  const payoutDecision = (decision: 'approve' | 'reject', route: TenantRoute) =>
    router.post(`/payouts/:id/${decision}`, async (req, res) => {
      const caller = requireTenant(req, route);
      const reason = readReason(req, decision);
      const payout = await findPayout(deps, caller.tenantId, req.params.id as string);
      const decided = await decide(deps, caller, payout.id, decision, reason, async (request) => {
        if (payout.status !== 'pending_approval') throw notPending(payout.status, request?.status);
        if (payout.batchId) {
          // One decision for the whole run: a payout of a batch is decided with its batch.
          throw new HttpProblem(
            409,
            'decided_with_batch',
            `This payout waits for approval with its batch ${payout.batchId}: approve or reject the batch.`,
            [],
            { current_status: payout.status, batch_id: payout.batchId },
          );
        }
      });
      if (decided.counted || decided.request.status !== 'pending') {
        // The reconciler records the decision in the payout's history and, once decided, moves it
        // (held and sent, or cancelled); if it is slow, it still will, and the answer shows the
        // payout as it is now.
        await deps.reconciler
          .call('payout.accepted', { payoutId: payout.id })
          .catch((error) => req.log.warn({ err: error, payoutId: payout.id }, 'the sweeper will apply the decision'));
      }
      const current = await findPayout(deps, caller.tenantId, payout.id);
      res.json({ approval: approvalResource(decided.request, decided.decisions), payout: payoutResource(current) });
    });
  payoutDecision('approve', 'POST /v1/payouts/:id/approve');
  payoutDecision('reject', 'POST /v1/payouts/:id/reject');

  const batchDecision = (decision: 'approve' | 'reject', route: TenantRoute) =>
    router.post(`/payout-batches/:id/${decision}`, async (req, res) => {
      const caller = requireTenant(req, route);
      const reason = readReason(req, decision);
      const batch = await findBatch(deps, caller.tenantId, req.params.id as string);
      const decided = await decide(
        deps,
        caller,
        batch.id,
        decision,
        reason,
        async (request) => {
          if (!request) throw notPending('processing', undefined);
        },
        // The wallet may have changed since the upload: the pre-flight runs again before the run
        // is released, exactly as at upload.
        (tx) => preflight(tx, batch),
      );
      if (decided.request.status !== 'pending') await releaseBatch(deps, req, batch.id);
      const current = batchStatusResource(batch, await batchStatusGroups(deps.db, batch.id));
      res.json({ approval: approvalResource(decided.request, decided.decisions), batch: current });
    });
  batchDecision('approve', 'POST /v1/payout-batches/:id/approve');
  batchDecision('reject', 'POST /v1/payout-batches/:id/reject');

  return router;
}

function readReason(req: Request, decision: 'approve' | 'reject'): string | null {
  if (decision === 'reject') return parseBody(rejectBodySchema, req).reason;
  expectNoBody(req);
  return null;
}

/**
 * One decision, in one transaction under the request's row lock: checked (`check` may refuse;
 * `beforeRelease`, a batch's pre-flight, runs when this approval would release it), recorded with the
 * key's label, counted, and the request decided when it has enough distinct approvals or any
 * rejection. Recorded in the audit log in the same transaction.
 */
async function decide(
  deps: ApiDeps,
  caller: TenantCaller,
  subjectId: string,
  decision: 'approve' | 'reject',
  reason: string | null,
  check: (request: RequestRow | undefined) => Promise<void>,
  beforeRelease?: (tx: Transaction) => Promise<void>,
): Promise<{ request: RequestRow; decisions: DecisionRow[]; counted: boolean }> {
  return deps.db.transaction(async (tx) => {
    const [locked] = await tx
      .select()
      .from(approvalRequests)
      .where(and(eq(approvalRequests.subjectId, subjectId), eq(approvalRequests.tenantId, caller.tenantId)))
      .for('update');
    const now = new Date();
    // Past its time and not yet swept: it expired all the same.
    const request = locked?.status === 'pending' && locked.expiresAt <= now ? await expireNow(tx, locked, now) : locked;
    const earlier = request ? await decisionsIn(tx, subjectId) : [];
    const approvals = earlier.filter((d) => d.decision === 'approve');
    const same = (d: { keyId: string; keyLabel: string | null }) =>
      d.keyId === caller.keyId || (caller.label !== null && d.keyLabel === caller.label);
    const repeated = earlier.some(same);
    const releases =
      decision === 'approve' && !repeated && request !== undefined && approvals.length + 1 >= request.approvalsRequired;
    await check(request);
    if (!request) throw notPending('accepted', undefined);
    if (request.status !== 'pending') throw notPending(request.status, request.status);
    if (request.makerKeyId === caller.keyId || (caller.label !== null && request.makerLabel === caller.label)) {
      throw new HttpProblem(
        403,
        'approver_is_maker',
        'Whoever created a payout or batch may not decide on it (the same key or the same label): another approver must.',
      );
    }
    // The same person twice counts once: the second call changes nothing and says so.
    if (repeated) return { request, decisions: earlier, counted: false };
    if (releases && beforeRelease) await beforeRelease(tx);

    const row: DecisionRow = {
      subjectId,
      keyId: caller.keyId,
      keyLabel: caller.label,
      decision,
      reason,
      createdAt: now,
    };
    await tx.insert(approvalDecisions).values(row);
    const status = decision === 'reject' ? 'rejected' : releases ? 'approved' : 'pending';
    let current = request;
    if (status !== 'pending') {
      const [updated] = await tx
        .update(approvalRequests)
        .set({ status, decidedAt: now })
        .where(eq(approvalRequests.subjectId, subjectId))
        .returning();
      if (updated) current = updated;
    }
    // Last: the audit chain's head lock is the last lock a transaction takes.
    await appendOperatorActions(tx, [
      {
        id: newId('operatorAction'),
        actor: caller.keyId,
        action: `approval.${decision}`,
        target: subjectId,
        params: { tenant_id: caller.tenantId, label: caller.label, ...(reason ? { reason } : {}) },
        result: { status, approvals: approvals.length + (decision === 'approve' ? 1 : 0) },
        createdAt: now,
      },
    ]);
    return { request: current, decisions: [...earlier, row], counted: true };
  });
}

async function expireNow(tx: Transaction, request: RequestRow, now: Date): Promise<RequestRow> {
  const [updated] = await tx
    .update(approvalRequests)
    .set({ status: 'expired', decidedAt: now })
    .where(eq(approvalRequests.subjectId, request.subjectId))
    .returning();
  return updated ?? request;
}

function notPending(status: string, approval: string | undefined): HttpProblem {
  return new HttpProblem(
    409,
    'not_pending_approval',
    `This is not waiting for approval any more: it is ${status}.`,
    [],
    { current_status: status, ...(approval ? { approval_status: approval } : {}) },
  );
}

type BatchRow = typeof payoutBatches.$inferSelect;

async function findBatch(deps: ApiDeps, tenantId: string, id: string): Promise<BatchRow> {
  if (!isId(id, 'batch')) throw problems.notFound('The batch');
  const [row] = await deps.db
    .select()
    .from(payoutBatches)
    .where(and(eq(payoutBatches.id, id), eq(payoutBatches.tenantId, tenantId)));
  if (!row) throw problems.notFound('The batch');
  return row;
}

/**
 * The upload's pre-flight, again, on the payouts still waiting: can the wallet cover each
 * currency's amounts plus the fee reserves held with them? A run uploaded with
 * `on_insufficient_funds=refuse` is refused (422, the approval not recorded: fund the wallet and
 * approve again); with `queue`, its payouts will wait in `queued` for the funds.
 */
async function preflight(tx: Transaction, batch: BatchRow): Promise<void> {
  const needs = await tx
    .select({
      currency: payouts.currency,
      needed: sql<string>`sum(${payouts.amount} + ${payouts.feeReserve})::text`,
    })
    .from(payouts)
    .where(and(eq(payouts.batchId, batch.id), eq(payouts.status, 'pending_approval')))
    .groupBy(payouts.currency);
  const wallets = new Map((await walletBalances(tx, batch.tenantId)).map((w) => [w.currency, w.available]));
  const short = needs.flatMap(({ currency, needed }) => {
    const available = wallets.get(currency as Currency) ?? 0n;
    return BigInt(needed) > available ? [{ currency, needed, available: available.toString() }] : [];
  });
  if (short.length === 0) return;
  if (batch.onInsufficientFunds === 'queue') {
    // Not payout state: how the reconciler is to treat a shortfall when it releases them.
    await tx
      .update(payouts)
      .set({ queueIfLowBalance: true })
      .where(and(eq(payouts.batchId, batch.id), eq(payouts.status, 'pending_approval')));
    return;
  }
  throw new HttpProblem(
    422,
    'insufficient_funds',
    'The wallet cannot cover this run any more (amounts plus fee reserves): fund it and approve again. The approval was not recorded; the run still waits.',
    short.map((s) => ({ path: 'currency', message: `${s.currency}: needs ${s.needed}, available ${s.available}` })),
  );
}

/**
 * Hands a decided run's waiting payouts to the reconciler in slices, as an upload does (the same
 * job, `payouts.accepted`, applies the decision). If this is lost, the sweeper does it.
 */
async function releaseBatch(deps: ApiDeps, req: Request, batchId: string): Promise<void> {
  try {
    const waiting = await deps.db
      .select({ id: payouts.id })
      .from(payouts)
      .where(and(eq(payouts.batchId, batchId), eq(payouts.status, 'pending_approval')))
      .orderBy(asc(payouts.batchRow));
    const slices = [];
    for (let i = 0; i < waiting.length; i += ACCEPTED_SLICE) {
      slices.push({
        data: { payoutIds: waiting.slice(i, i + ACCEPTED_SLICE).map((r) => r.id) },
        opts: {
          jobId: jobIds.decidedSlice(batchId, i / ACCEPTED_SLICE),
          priority: batchSlicePriority(i / ACCEPTED_SLICE),
        },
      });
    }
    await deps.queues.toReconcilerBulk('payouts.accepted', slices);
  } catch (error) {
    req.log.warn({ err: error, batchId }, 'enqueue of a decided batch failed; the sweeper will apply the decision');
  }
}

async function decisionsIn(tx: Transaction, subjectId: string): Promise<DecisionRow[]> {
  return tx
    .select()
    .from(approvalDecisions)
    .where(eq(approvalDecisions.subjectId, subjectId))
    .orderBy(asc(approvalDecisions.createdAt));
}

async function decisionsOf(deps: ApiDeps, subjectIds: string[]): Promise<Map<string, DecisionRow[]>> {
  const out = new Map<string, DecisionRow[]>();
  if (subjectIds.length === 0) return out;
  const rows = await deps.db
    .select()
    .from(approvalDecisions)
    .where(sql`${approvalDecisions.subjectId} in ${subjectIds}`)
    .orderBy(asc(approvalDecisions.createdAt));
  for (const r of rows) out.set(r.subjectId, [...(out.get(r.subjectId) ?? []), r]);
  return out;
}

function approvalResource(r: RequestRow, decisions: DecisionRow[]): z.infer<typeof approvalSchema> {
  return {
    object: 'approval',
    subject_id: r.subjectId,
    kind: r.kind,
    status: r.status,
    approvals_required: r.approvalsRequired,
    reasons: r.reasons,
    approvals: decisions.filter((d) => d.decision === 'approve').length,
    maker: { key_id: r.makerKeyId, label: r.makerLabel },
    decisions: decisions.map((d) => ({
      decision: d.decision,
      key_id: d.keyId,
      label: d.keyLabel,
      reason: d.reason,
      created_at: d.createdAt.toISOString(),
    })),
    expires_at: r.expiresAt.toISOString(),
    created_at: r.createdAt.toISOString(),
    decided_at: r.decidedAt?.toISOString() ?? null,
  };
}

function policyResource(policy: ApprovalPolicy | null) {
  return {
    object: 'approval_policy' as const,
    rules: policy?.rules ?? [],
    expires_after_hours: policy?.expires_after_hours ?? DEFAULT_APPROVAL_EXPIRY_HOURS,
  };
}
