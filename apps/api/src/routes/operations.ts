import {
  FINAL_STATUSES,
  isId,
  isProviderId,
  PAYOUT_STATUSES,
  type PayoutStatus,
  PROVIDER_IDS,
  type ProviderId,
} from '@payouts/core';
import { operatorActions, parkedPayouts, payouts, providerSubmissions } from '@payouts/db';
import { ProviderGate, type RedriveTarget, redrive, redriveJob, releaseParked } from '@payouts/queue';
import { and, desc, eq, inArray, lt, notInArray, or, type SQL } from 'drizzle-orm';
import { Router } from 'express';
import { requireOperator } from '../auth.ts';
import type { ApiDeps } from '../deps.ts';
import { recordOperatorAction } from '../operator-log.ts';
import { problems } from '../problem.ts';
import type { ReconcilerReply } from '../reconciler-client.ts';
import { z } from '../schemas.ts';
import { payoutResource } from '../serialize.ts';
import { parseBody, parseQuery } from '../validation.ts';
import { cancelOutcome } from './payouts.ts';

/**
 * What operators need when things go wrong (issue: never lost, never paid twice): the payouts that
 * are stuck or need a person, with the reason; replays, which re-drive a payout from its recorded
 * state and so can never create a second payout at a provider (every provider call carries the
 * payout's own idempotency key, and providers without one are looked up first); operator cancels;
 * and releasing a provider's parked payouts once its float is funded. Every action is recorded.
 */
const FINAL = [...FINAL_STATUSES];

const deadLetterFilters = z.strictObject({
  provider: z.enum(PROVIDER_IDS).optional(),
  state: z.enum(PAYOUT_STATUSES).optional(),
  reason: z
    .string()
    .min(1)
    .max(100)
    .refine((s) => !s.includes('\u0000'), 'must not contain NUL (U+0000) characters')
    .optional(),
  /** Seconds since the payout last moved (default 300); `needs_attention` is listed at any age. */
  older_than: z.coerce
    .number()
    .int()
    .min(0)
    .max(365 * 86400)
    .default(300),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
type DeadLetterFilters = z.infer<typeof deadLetterFilters>;

const replaysBody = z.strictObject({
  filters: deadLetterFilters.omit({ limit: true }).partial().default({}),
  dry_run: z.boolean().default(false),
  /** At most this many payouts per call (the rest on the next call). */
  limit: z.number().int().min(1).max(10_000).default(1000),
});

export function operationRoutes(deps: ApiDeps): Router {
  const router = Router();
  router.use((req, _res, next) => {
    requireOperator(req);
    next();
  });

  const record = (
    actor: string,
    action: string,
    target: string | null,
    params: Record<string, unknown>,
    result: Record<string, unknown>,
  ) => recordOperatorAction(deps.db, { actor, action, target, params, result });

  function where(f: Partial<DeadLetterFilters>): SQL {
    const cutoff = new Date(Date.now() - (f.older_than ?? 300) * 1000);
    const filters: SQL[] = [];
    if (f.state) filters.push(eq(payouts.status, f.state));
    else
      filters.push(
        or(
          eq(payouts.status, 'needs_attention'),
          and(notInArray(payouts.status, FINAL), lt(payouts.updatedAt, cutoff)),
        )!,
      );
    if (f.state && f.state !== 'needs_attention') filters.push(lt(payouts.updatedAt, cutoff));
    if (f.provider) filters.push(eq(payouts.provider, f.provider));
    if (f.reason) filters.push(or(eq(payouts.failureCode, f.reason), eq(payouts.queuedReason, f.reason))!);
    return and(...filters)!;
  }

  router.get('/dead-letters', async (req, res) => {
    const f = parseQuery(deadLetterFilters, req);
    const rows = await deps.db.select().from(payouts).where(where(f)).orderBy(payouts.updatedAt).limit(f.limit);
    const attempts = new Map(
      rows.length === 0
        ? []
        : (
            await deps.db
              .select({ id: providerSubmissions.payoutId, attempts: providerSubmissions.attempts })
              .from(providerSubmissions)
              .where(
                inArray(
                  providerSubmissions.payoutId,
                  rows.map((r) => r.id),
                ),
              )
          ).map((a) => [a.id, a.attempts]),
    );
    const data = [];
    for (const row of rows) {
      const job = await jobFor(deps, row);
      data.push({
        payout_id: row.id,
        tenant_id: row.tenantId,
        provider: row.provider,
        status: row.status,
        reason: reasonOf(row, job),
        failure: row.failureCode ? { code: row.failureCode, message: row.failureMessage ?? '' } : null,
        queued_reason: row.queuedReason,
        provider_payout_id: row.providerPayoutId,
        submission_attempts: attempts.get(row.id) ?? 0,
        job,
        age_seconds: Math.round((Date.now() - row.updatedAt.getTime()) / 1000),
        created_at: row.createdAt.toISOString(),
        updated_at: row.updatedAt.toISOString(),
      });
    }
    res.json({ data, count: data.length });
  });

  router.post('/payouts/:id/replay', async (req, res) => {
    const operator = requireOperator(req);
    const row = await findAnyPayout(deps, req.params.id);
    if (FINAL_STATUSES.has(row.status as PayoutStatus)) {
      throw problems.conflict(
        'payout_not_replayable',
        `The payout is ${row.status}: final. A replay re-drives unfinished payouts only; pay again with a new payout.`,
      );
    }
    const replayed = await replay(deps, [row]);
    await record(operator.keyId, 'payout.replay', row.id, {}, { status: row.status, replayed: replayed.length });
    res.json({ payout_id: row.id, status: row.status, replayed: replayed.length === 1 });
  });

  router.post('/replays', async (req, res) => {
    const operator = requireOperator(req);
    const body = parseBody(replaysBody, req);
    const rows = await deps.db.select().from(payouts).where(where(body.filters)).orderBy(payouts.id).limit(body.limit);
    const replayed = body.dry_run ? [] : await replay(deps, rows);
    const result = {
      dry_run: body.dry_run,
      matched: rows.length,
      replayed: replayed.length,
      payouts: rows.slice(0, 1000).map((r) => ({ payout_id: r.id, status: r.status, provider: r.provider })),
    };
    if (!body.dry_run)
      await record(operator.keyId, 'payouts.replay', null, body, { matched: rows.length, replayed: replayed.length });
    res.json(result);
  });

  router.post('/payouts/:id/cancel', async (req, res) => {
    const operator = requireOperator(req);
    const row = await findAnyPayout(deps, req.params.id);
    // A retry of a cancel that took effect answers what happened, as the first one did.
    const reply: ReconcilerReply | null =
      row.status === 'cancelled'
        ? null
        : await deps.reconciler.call('payout.cancel', {
            payoutId: row.id,
            tenantId: null,
            source: 'operator',
            actor: operator.keyId,
          });
    const current = reply ? await findAnyPayout(deps, row.id) : row;
    const outcome = reply ? await cancelOutcome(deps, current, reply) : 'cancelled';
    const said = reply?.state === 'answered' ? reply.answer.outcome : null;
    await record(
      operator.keyId,
      'payout.cancel',
      row.id,
      {},
      {
        outcome: said ?? (reply === null ? 'unchanged' : outcome === 'cancelled' ? 'applied' : outcome),
        status: current.status,
      },
    );
    if (outcome === 'refused') {
      throw problems.conflict(
        'payout_not_cancellable',
        `The payout is ${current.status} and may already be at its provider: it can no longer be cancelled here.`,
      );
    }
    res.status(outcome === 'pending' ? 202 : 200).json(payoutResource(current));
  });

  router.post('/providers/:provider/funded', async (req, res) => {
    const operator = requireOperator(req);
    const provider = req.params.provider;
    if (!isProviderId(provider)) throw problems.notFound(`The provider ${provider}`);
    const gate = new ProviderGate(deps.queues.connection, deps.queues.prefix, provider);
    const wasLow = await gate.clearLowBalance();
    const released = await releaseParked(deps.queues, provider, await parkedPayouts(deps.db, provider));
    await record(operator.keyId, 'provider.funded', provider, {}, { was_low: wasLow, released });
    res.json({ provider, was_low: wasLow, released });
  });

  router.get('/operator-actions', async (req, res) => {
    const q = parseQuery(
      z.strictObject({ target: z.string().optional(), limit: z.coerce.number().int().min(1).max(500).default(100) }),
      req,
    );
    const rows = await deps.db
      .select()
      .from(operatorActions)
      .where(q.target ? eq(operatorActions.target, q.target) : undefined)
      .orderBy(desc(operatorActions.id))
      .limit(q.limit);
    res.json({
      data: rows.map((r) => ({
        id: r.id,
        actor: r.actor,
        action: r.action,
        target: r.target,
        params: r.params,
        result: r.result,
        created_at: r.createdAt.toISOString(),
      })),
    });
  });

  return router;
}

type PayoutRow = typeof payouts.$inferSelect;
type JobInfo = { id: string; state: string; failed_reason: string | null; attempts: number } | null;

async function jobFor(deps: ApiDeps, row: PayoutRow): Promise<JobInfo> {
  const target = redriveJob(row);
  if (!target) return null;
  const queue =
    target.queue === 'reconciler' ? deps.queues.reconciler : deps.queues.provider(target.queue as ProviderId);
  const job = await queue.getJob(target.jobId);
  if (!job) return { id: target.jobId, state: 'missing', failed_reason: null, attempts: 0 };
  return {
    id: target.jobId,
    state: await job.getState(),
    failed_reason: job.failedReason ?? null,
    attempts: job.attemptsMade,
  };
}

function reasonOf(row: PayoutRow, job: JobInfo): string {
  if (row.status === 'needs_attention') return 'needs_attention: polling passed the provider deadline';
  if (row.failureCode) return row.failureCode;
  if (job?.state === 'failed') return `job_failed: ${job.failed_reason ?? 'unknown error'}`;
  if (row.queuedReason) return row.queuedReason;
  if (job?.state === 'missing') return 'no_live_job: the sweeper will re-drive it';
  return `waiting: ${job?.state ?? 'no job'}`;
}

/** Re-drives now: a dead job is replaced, a delayed one is promoted, a wallet queue is released. */
async function replay(deps: ApiDeps, rows: PayoutRow[]): Promise<string[]> {
  const targets: RedriveTarget[] = rows.filter((r) => !FINAL_STATUSES.has(r.status as PayoutStatus));
  const driven = new Set(await redrive(deps.queues, targets));
  for (const t of targets) {
    if (driven.has(t.id)) continue;
    if (t.status === 'queued' && t.queuedReason === 'wallet_low_balance') {
      const row = rows.find((r) => r.id === t.id)!;
      await deps.queues.toReconciler('wallet.release', { tenantId: row.tenantId, currency: row.currency });
      driven.add(t.id);
      continue;
    }
    const job = redriveJob(t);
    if (!job) continue;
    const queue = job.queue === 'reconciler' ? deps.queues.reconciler : deps.queues.provider(job.queue as ProviderId);
    const existing = await queue.getJob(job.jobId);
    if (existing && (await existing.isDelayed())) await existing.promote();
    driven.add(t.id);
  }
  return [...driven];
}

async function findAnyPayout(deps: ApiDeps, id: string): Promise<PayoutRow> {
  if (!isId(id, 'payout')) throw problems.notFound('The payout');
  const [row] = await deps.db.select().from(payouts).where(eq(payouts.id, id));
  if (!row) throw problems.notFound('The payout');
  return row;
}
