import { isId, must } from '@payouts/core';
import { payouts, providerSubmissions } from '@payouts/db';
import { acceptedRecord, approvalsRequired, cancellable, creationWebhooks } from '@payouts/payouts';
import { jobContext } from '@payouts/queue';
import { and, desc, eq, lt } from 'drizzle-orm';
import { Router } from 'express';
import { approvalRequestFor } from '../approval-requests.ts';
import { requireTenant } from '../auth.ts';
import { askProviderToCancel, queuedAtProvider } from '../cancel-at-provider.ts';
import type { ApiDeps } from '../deps.ts';
import { findReplay, fingerprint, readIdempotencyKey } from '../idempotency.ts';
import { writePayoutsCsv } from '../payout-export.ts';
import { payoutFilterSql } from '../payout-filters.ts';
import type { PayoutGroupCommit } from '../payout-group-commit.ts';
import { payoutHistory } from '../payout-history.ts';
import { acceptedDetail, beneficiaryIdOf, payoutRow, preparePayout } from '../payout-input.ts';
import { problems } from '../problem.ts';
import type { ReconcilerReply } from '../reconciler-client.ts';
import { loadSavedBeneficiaries } from '../saved-beneficiaries.ts';
import { listPayoutsQuery, payoutFiltersQuery, scheduleTimeIssue, z } from '../schemas.ts';
import { payoutResource } from '../serialize.ts';
import { expectNoBody, parseBody, parseQuery } from '../validation.ts';

/** Any JSON object: parseBody's checks alone (built once, not per request). */
const ANY_OBJECT = z.unknown();

export function payoutRoutes(deps: ApiDeps, commits: PayoutGroupCommit): Router {
  const router = Router();

  router.post('/payouts', async (req, res) => {
    const { tenantId, keyId, label, duplicateReferenceGuard, approvalPolicy, payoutPurposes, routingRules } =
      requireTenant(req, 'POST /v1/payouts');
    const key = readIdempotencyKey(req);
    parseBody(ANY_OBJECT, req); // a JSON object of the right content type; the rest is preparePayout's
    const beneficiaryId = beneficiaryIdOf(req.body);
    const saved = beneficiaryId ? await loadSavedBeneficiaries(deps.db, tenantId, [beneficiaryId]) : undefined;
    const prepared = preparePayout(deps, req.body, saved, new Date(), payoutPurposes, routingRules);
    if (!prepared.ok) throw problems.invalid(prepared.issues);
    const { id } = prepared.payout;
    const print = fingerprint(req, req.body);
    const scheduledFor = prepared.payout.body.scheduled_for;
    if (scheduledFor) {
      // A retry of a scheduled create replays its first answer before the time is judged: by now
      // the time it named may have come, which must not turn the replay into a 422.
      const earlier = await findReplay(deps.db, tenantId, key, print);
      if (earlier) {
        res.status(earlier.status).set('Idempotent-Replayed', 'true').json(earlier.body);
        return;
      }
      const issue = scheduleTimeIssue(scheduledFor);
      if (issue) throw problems.invalid([{ path: 'scheduled_for', message: issue }]);
    }

    const now = new Date();
    // Caught by the tenant's approval policy, or paying a saved beneficiary in cooling-off: created
    // waiting for approvals, nothing held or sent.
    const approval = approvalRequestFor(
      approvalPolicy,
      {
        required: approvalsRequired(
          approvalPolicy,
          'payout',
          new Map([[prepared.payout.body.currency, prepared.payout.canonical.amount]]),
        ),
        coolingOff: prepared.payout.coolingOffEndsAt !== null,
      },
      { id, kind: 'payout', tenantId },
      { keyId, label },
      now,
    );
    const record = acceptedRecord(
      {
        ...payoutRow(prepared.payout, tenantId, { referenceGuarded: duplicateReferenceGuard }),
        ...(approval ? { status: 'pending_approval' as const } : {}),
      },
      now,
    );
    const scheduled = record.status === 'scheduled';
    const detail = {
      keyId,
      ...(label ? { keyLabel: label } : {}),
      ...acceptedDetail(prepared.payout),
      ...(record.scheduledFor ? { scheduledFor: record.scheduledFor.toISOString() } : {}),
    };
    const body = payoutResource(record);
    // `payout.scheduled` goes out with the create, in its statement (no transition reaches `scheduled`).
    const webhooks = scheduled
      ? await creationWebhooks(deps.db, tenantId, 'payout.scheduled', [{ id, data: body }], record.createdAt)
      : null;
    // Written with the requests that arrive beside it, in one statement, then enqueued (unless
    // scheduled: the reconciler's release finds it when due), and only then answered.
    const { response, replayed } = await commits.write({
      tenantId,
      key,
      print,
      record,
      detail,
      response: { status: 202, body },
      approval,
      webhooks,
      trace: jobContext.getStore(),
    });
    res.status(response.status).set('Idempotent-Replayed', String(replayed)).json(response.body);
  });

  router.get('/payouts', async (req, res) => {
    const { tenantId } = requireTenant(req, 'GET /v1/payouts');
    res.json(await payoutPage(deps, tenantId, parseQuery(listPayoutsQuery, req)));
  });

  /** The list's selection as CSV, streamed (any size, memory of one page): docs/api.md. */
  router.get('/payouts/export.csv', async (req, res) => {
    const { tenantId } = requireTenant(req, 'GET /v1/payouts/export.csv');
    const q = parseQuery(payoutFiltersQuery, req);
    res
      .type('text/csv')
      .set('Content-Disposition', 'attachment; filename="payouts.csv"')
      .set('Cache-Control', 'no-store');
    try {
      await writePayoutsCsv(deps.db, payoutFilterSql(tenantId, q), res);
    } catch (error) {
      if (!res.headersSent) throw error;
      // The header is sent: a problem answer is no longer possible, so the response is cut short
      // (no final chunk) and the client sees a broken download instead of a truncated file.
      req.log.error({ err: error }, 'payout export failed after it started');
      res.destroy(error as Error);
      return;
    }
    res.end();
  });

  router.get('/payouts/:id', async (req, res) => {
    const { tenantId } = requireTenant(req, 'GET /v1/payouts/:id');
    res.json(payoutResource(await findPayout(deps, tenantId, req.params.id)));
  });

  router.get('/payouts/:id/events', async (req, res) => {
    const { tenantId } = requireTenant(req, 'GET /v1/payouts/:id/events');
    const payout = await findPayout(deps, tenantId, req.params.id);
    res.json({ data: await payoutHistory(deps.db, payout.id) });
  });

  router.post('/payouts/:id/cancel', async (req, res) => {
    const { tenantId, keyId, label } = requireTenant(req, 'POST /v1/payouts/:id/cancel');
    expectNoBody(req);
    const payout = await findPayout(deps, tenantId, req.params.id);
    // A retry of a cancel that took effect answers what happened, as the first one did.
    if (payout.status === 'cancelled') {
      res.json(payoutResource(payout));
      return;
    }
    if (queuedAtProvider(deps, payout)) {
      // Queued at the provider: its cancel decides; the answer comes as the payout's next state.
      await askProviderToCancel(deps, payout);
      res.status(202).json(payoutResource(payout));
      return;
    }
    if (!cancellable(payout, false)) throw notCancellable(payout.status);
    const reply = await deps.reconciler.call('payout.cancel', {
      payoutId: payout.id,
      tenantId,
      source: 'api',
      actor: keyId,
      actorLabel: label,
    });
    const current = await findPayout(deps, tenantId, payout.id);
    const outcome = await cancelOutcome(deps, current, reply);
    if (outcome === 'refused') throw notCancellable(current.status);
    res.status(outcome === 'pending' ? 202 : 200).json(payoutResource(current));
  });

  return router;
}

/**
 * What a cancel did, from the payout as Postgres has it after the reconciler's turn (the source of
 * truth, whatever became of the job): `cancelled` (by this call or an earlier one), `refused` (the
 * payout had moved on, or a worker had claimed it), or `pending` (the reconciler has not applied it
 * within the wait; it still will).
 */
export async function cancelOutcome(
  deps: ApiDeps,
  payout: typeof payouts.$inferSelect,
  reply: ReconcilerReply,
): Promise<'cancelled' | 'refused' | 'pending'> {
  if (payout.status === 'cancelled') return 'cancelled';
  if (reply.state === 'pending') return 'pending';
  if (reply.state === 'answered') return 'refused';
  const [claim] = await deps.db
    .select({ payoutId: providerSubmissions.payoutId })
    .from(providerSubmissions)
    .where(eq(providerSubmissions.payoutId, payout.id))
    .limit(1);
  if (!cancellable(payout, claim !== undefined)) return 'refused';
  // The job is gone and the payout could still be cancelled: Redis lost the job before it ran.
  throw problems.unavailable('The cancel was lost before it could be applied, and nothing changed: retry it.');
}

function notCancellable(status: string) {
  return problems.conflict(
    'payout_not_cancellable',
    `A payout can be cancelled only before it is sent to the provider, or while it waits for funds; this one is ${status}.`,
  );
}

export async function findPayout(deps: ApiDeps, tenantId: string, id: string) {
  // Another tenant's payout is a 404, exactly like one that does not exist.
  if (!isId(id, 'payout')) throw problems.notFound('The payout');
  const [row] = await deps.db
    .select()
    .from(payouts)
    .where(and(eq(payouts.id, id), eq(payouts.tenantId, tenantId)));
  if (!row) throw problems.notFound('The payout');
  return row;
}

/**
 * One page of a tenant's payouts, newest first, filtered: `GET /v1/payouts` for the tenant, and
 * `GET /v1/admin/tenants/{id}/payouts` for an operator.
 */
export async function payoutPage(deps: ApiDeps, tenantId: string, q: z.infer<typeof listPayoutsQuery>) {
  const filters = payoutFilterSql(tenantId, q);
  if (q.cursor) filters.push(lt(payouts.id, decodeCursor(q.cursor)));
  const rows = await deps.db
    .select()
    .from(payouts)
    .where(and(...filters))
    .orderBy(desc(payouts.id))
    .limit(q.limit + 1);
  const page = rows.slice(0, q.limit);
  const hasMore = rows.length > q.limit;
  return {
    data: page.map(payoutResource),
    has_more: hasMore,
    next_cursor: hasMore ? encodeCursor(must(page.at(-1), 'the last row of a full page').id) : null,
  };
}

function encodeCursor(id: string): string {
  return Buffer.from(id).toString('base64url');
}

function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString();
  if (!isId(id, 'payout')) {
    throw problems.badRequest('invalid_cursor', 'The cursor is not one this API returned.', 'cursor');
  }
  return id;
}
