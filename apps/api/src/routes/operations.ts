import type { OpenAPIRegistry, ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { isId, isProviderId, isQueuedReason, must, newId, PAYOUT_STATUSES, PROVIDER_IDS } from '@payouts/core';
import { operatorActions, payouts, providerSubmissions, replayRequests } from '@payouts/db';
import { maskText } from '@payouts/observability';
import { isFinal, parkedPayouts, unfinishedSql, waitsForWallet } from '@payouts/payouts';
import { ProviderGate, type RedriveTarget, redrive, redriveJob, releaseParked } from '@payouts/queue';
import { and, desc, eq, inArray, lt, ne, or, type SQL } from 'drizzle-orm';
import { Router } from 'express';
import { requireOperator } from '../auth.ts';
import { askProviderToCancel, queuedAtProvider } from '../cancel-at-provider.ts';
import type { ApiDeps } from '../deps.ts';
import { recordOperatorAction } from '../operator-log.ts';
import { payoutHistory } from '../payout-history.ts';
import { HttpProblem, problems } from '../problem.ts';
import { fundProvider, providerFundingResult, providerFundingSchema } from '../provider-funding.ts';
import type { ReconcilerReply } from '../reconciler-client.ts';
import { payoutEventSchema, payoutSchema, z } from '../schemas.ts';
import { payoutResource } from '../serialize.ts';
import { expectNoBody, parseBody, parseQuery } from '../validation.ts';
import { cancelOutcome } from './payouts.ts';
import { judgeFailedReplay, replayFailed } from './systemic-replay.ts';

/**
 * What operators need when things go wrong (issue: never lost, never paid twice): the payouts that
 * are stuck or need a person, with the reason; replays, which re-drive a payout from its recorded
 * state and so can never create a second payout at a provider (every provider call carries the
 * payout's own idempotency key, and providers without one are looked up first); operator cancels;
 * and releasing a provider's parked payouts once its float is funded. Every action is recorded.
 */

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

const operatorActionsQuery = z.strictObject({
  target: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

const replayRequestSchema = z
  .object({
    id: z.string().openapi({ example: 'rpl_01JDA8Z6B9Y4X3W2V1T0S9R8Q7' }),
    object: z.literal('replay_request'),
    status: z.literal('pending_approval'),
    dry_run: z.literal(false),
  })
  .openapi('ReplayRequestPending');

const replayOneQuery = z.strictObject({
  dry_run: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true')
    .openapi({
      description:
        'true: say whether the payout would be replayed, and why not, changing nothing (a failed payout’s provider is still asked, read-only)',
    }),
});

const replayDryRunSchema = z
  .object({
    payout_id: z.string(),
    status: z.enum(PAYOUT_STATUSES),
    dry_run: z.literal(true),
    would_replay: z.boolean().openapi({
      description:
        'true: a replay now would re-drive it (an unfinished payout whose job is live is left alone), or replay it (a failed payout: systemic code, absence proven; the wallet’s cover for a new hold is judged only by the replay)',
    }),
    reason: z
      .enum(['payout_not_replayable', 'failure_not_systemic', 'payout_at_provider', 'absence_not_proven'])
      .nullable()
      .openapi({ description: 'Why not: the error code the replay would answer with' }),
    detail: z.string().nullable(),
  })
  .openapi('PayoutReplayDryRun');

export const replaysBody = z
  .strictObject({
    filters: deadLetterFilters
      .omit({ limit: true })
      .partial()
      .optional()
      .openapi({ description: 'Which payouts: the dead-letter filters. Without any, `all: true` is required.' }),
    all: z
      .boolean()
      .optional()
      .openapi({ description: 'true: every replayable payout (within `limit`), when no filter is given.' }),
    dry_run: z
      .boolean()
      .default(true)
      .openapi({ description: 'Default true: list what would be replayed and change nothing.' }),
    /** At most this many payouts per call (the rest on the next call). */
    limit: z.number().int().min(1).max(10_000).default(1000),
  })
  .openapi('ReplayRequest');

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
        must(
          // A scheduled payout sits still on purpose until its time: not a dead letter.
          or(
            eq(payouts.status, 'needs_attention'),
            and(unfinishedSql, ne(payouts.status, 'scheduled'), lt(payouts.updatedAt, cutoff)),
          ),
          'the stuck-payout condition',
        ),
      );
    if (f.state && f.state !== 'needs_attention') filters.push(lt(payouts.updatedAt, cutoff));
    if (f.provider) filters.push(eq(payouts.provider, f.provider));
    if (f.reason) {
      const reason = f.reason;
      filters.push(
        must(
          or(eq(payouts.failureCode, reason), isQueuedReason(reason) ? eq(payouts.queuedReason, reason) : undefined),
          'the reason condition',
        ),
      );
    }
    return must(and(...filters), 'the dead-letter condition');
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

  // Any tenant's payout and its history, for the operator looking at a dead letter (the console's payout page).
  router.get('/payouts/:id', async (req, res) => {
    res.json(payoutResource(await findAnyPayout(deps, req.params.id)));
  });
  router.get('/payouts/:id/events', async (req, res) => {
    const row = await findAnyPayout(deps, req.params.id);
    res.json({ data: await payoutHistory(deps.db, row.id) });
  });

  router.post('/payouts/:id/replay', async (req, res) => {
    const operator = requireOperator(req);
    const { dry_run: dryRun } = parseQuery(replayOneQuery, req);
    const row = await findAnyPayout(deps, req.params.id);
    if (dryRun) {
      // What the replay would do, judged as it judges, and nothing changed, written or recorded.
      res.json(await replayDryRun(row));
      return;
    }
    if (row.status === 'failed') {
      // Only a systemic failure, proven absent at the provider, is replayed (systemic-replay.ts).
      const result = await replayFailed(deps, operator.keyId, row);
      res.status(result.pending ? 202 : 200).json(result);
      return;
    }
    if (isFinal(row)) {
      throw problems.conflict(
        'payout_not_replayable',
        `The payout is ${row.status}: final. A replay re-drives unfinished payouts only (and a payout failed for a systemic reason); pay again with a new payout.`,
      );
    }
    const replayed = await replay(deps, [row]);
    await record(operator.keyId, 'payout.replay', row.id, {}, { status: row.status, replayed: replayed.length });
    res.json({ payout_id: row.id, status: row.status, replayed: replayed.length === 1, pending: false });
  });

  async function replayDryRun(row: PayoutRow): Promise<z.infer<typeof replayDryRunSchema>> {
    const base = { payout_id: row.id, status: row.status, dry_run: true as const };
    if (row.status === 'failed') {
      const verdict = await judgeFailedReplay(deps, row);
      if (verdict.kind === 'replayable') return { ...base, would_replay: true, reason: null, detail: null };
      return {
        ...base,
        would_replay: false,
        reason:
          verdict.kind === 'not_systemic'
            ? 'failure_not_systemic'
            : verdict.kind === 'at_provider'
              ? 'payout_at_provider'
              : 'absence_not_proven',
        detail: verdict.detail,
      };
    }
    if (isFinal(row)) {
      return {
        ...base,
        would_replay: false,
        reason: 'payout_not_replayable',
        detail: `The payout is ${row.status}: final.`,
      };
    }
    return { ...base, would_replay: true, reason: null, detail: null };
  }

  router.post('/replays', async (req, res) => {
    const operator = requireOperator(req);
    const body = parseBody(replaysBody, req);
    // An empty body once meant "everything replayable": a bulk replay now says what it means.
    const named = Object.keys((req.body as { filters?: object }).filters ?? {});
    if (named.length === 0 && body.all !== true) {
      throw problems.badRequest(
        'replay_filters_missing',
        'Name the payouts to replay with at least one filter, or send "all": true to replay every replayable payout.',
        'filters',
      );
    }
    if (!body.dry_run && deps.operatorApprovals) {
      // Four eyes: stored, run only when another operator key approves it.
      const id = newId('replayRequest');
      await deps.db.transaction(async (tx) => {
        await tx.insert(replayRequests).values({ id, requestedBy: operator.keyId, body, status: 'pending' });
        await recordOperatorAction(tx, {
          actor: operator.keyId,
          action: 'payouts.replay.requested',
          target: id,
          params: body,
          result: { status: 'pending_approval' },
        });
      });
      res.status(202).json({ id, object: 'replay_request', status: 'pending_approval', dry_run: false });
      return;
    }
    res.json(await runReplay(operator.keyId, body));
  });

  /** A second operator approves a stored bulk replay (OPERATOR_APPROVALS=on): it runs now, once. */
  router.post('/replays/:id/approve', async (req, res) => {
    const operator = requireOperator(req);
    expectNoBody(req);
    const id = req.params.id;
    if (!isId(id, 'replayRequest')) throw problems.notFound('The replay request');
    const claimed = await deps.db.transaction(async (tx) => {
      const [row] = await tx.select().from(replayRequests).where(eq(replayRequests.id, id)).for('update');
      if (!row) throw problems.notFound('The replay request');
      if (row.status !== 'pending') {
        throw new HttpProblem(409, 'not_pending_approval', 'This replay was approved and ran already.', [], {
          current_status: row.status,
        });
      }
      if (row.requestedBy === operator.keyId) {
        throw new HttpProblem(
          403,
          'approver_is_maker',
          'The operator who asked for a bulk replay may not approve it: another operator key must.',
        );
      }
      await tx
        .update(replayRequests)
        .set({ status: 'approved', approvedBy: operator.keyId, decidedAt: new Date() })
        .where(eq(replayRequests.id, id));
      return row;
    });
    const result = await runReplay(operator.keyId, replaysBody.parse(claimed.body), {
      request_id: id,
      requested_by: claimed.requestedBy,
    });
    await deps.db
      .update(replayRequests)
      .set({ result: { matched: result.matched, replayed: result.replayed } })
      .where(eq(replayRequests.id, id));
    res.json({ ...result, request_id: id });
  });

  async function runReplay(actor: string, body: z.infer<typeof replaysBody>, approval: Record<string, unknown> = {}) {
    const filters = body.filters ?? {};
    const rows = await deps.db.select().from(payouts).where(where(filters)).orderBy(payouts.id).limit(body.limit);
    const replayed = body.dry_run ? [] : await replay(deps, rows);
    const result = {
      dry_run: body.dry_run,
      matched: rows.length,
      replayed: replayed.length,
      payouts: rows.slice(0, 1000).map((r) => ({ payout_id: r.id, status: r.status, provider: r.provider })),
    };
    if (!body.dry_run)
      await record(actor, 'payouts.replay', null, body, {
        matched: rows.length,
        replayed: replayed.length,
        ...approval,
      });
    return result;
  }

  router.post('/payouts/:id/cancel', async (req, res) => {
    const operator = requireOperator(req);
    const row = await findAnyPayout(deps, req.params.id);
    if (queuedAtProvider(deps, row)) {
      // Queued at the provider: its cancel decides; the answer comes as the payout's next state.
      await askProviderToCancel(deps, row);
      await record(operator.keyId, 'payout.cancel', row.id, {}, { outcome: 'asked_provider', status: row.status });
      res.status(202).json(payoutResource(row));
      return;
    }
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
    // The reconciler records the operator's cancel in the transaction that applies (or refuses)
    // it; a retry of one already applied reaches no reconciler, so it is recorded here.
    if (reply === null) {
      await record(operator.keyId, 'payout.cancel', row.id, {}, { outcome: 'unchanged', status: current.status });
    }
    if (outcome === 'refused') {
      throw problems.conflict(
        'payout_not_cancellable',
        `The payout is ${current.status} and may already be at its provider: it can no longer be cancelled here.`,
      );
    }
    res.status(outcome === 'pending' ? 202 : 200).json(payoutResource(current));
  });

  /**
   * The provider's float was funded. With `{amount, currency, reference}` the money sent is posted
   * first (external → the provider's float account, through the reconciler, once per reference),
   * so the ledger knows what we hold there; without a body only the low-float mark is cleared.
   */
  router.post('/providers/:provider/funded', async (req, res) => {
    const operator = requireOperator(req);
    const provider = req.params.provider;
    if (!isProviderId(provider)) throw problems.notFound(`The provider ${provider}`);
    const hasBody =
      req.body !== undefined &&
      !(typeof req.body === 'object' && req.body !== null && Object.keys(req.body).length === 0);
    const body = hasBody ? parseBody(providerFundingSchema, req) : null;
    let funding: { currency: string; amount: number; reference: string; funded: boolean } | null = null;
    if (body) {
      const currencies = deps.adapters.get(provider)?.currencies ?? [];
      if (!currencies.includes(body.currency)) {
        throw problems.invalid([{ path: 'currency', message: `${provider} pays out in ${currencies.join(', ')}` }]);
      }
      funding = await fundProvider(deps, provider, body, operator.keyId);
    }
    const gate = new ProviderGate(deps.queues.connection, deps.queues.prefix, provider);
    const wasLow = await gate.clearLowBalance();
    const released = await releaseParked(deps.queues, provider, await parkedPayouts(deps.db, provider));
    await record(operator.keyId, 'provider.funded', provider, {}, { was_low: wasLow, released });
    res
      .status(funding?.funded ? 201 : 200)
      .json({ provider, was_low: wasLow, released, ...(funding ? { funding } : {}) });
  });

  router.get('/operator-actions', async (req, res) => {
    const q = parseQuery(operatorActionsQuery, req);
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
  const queue = target.queue === 'reconciler' ? deps.queues.reconciler : deps.queues.provider(target.queue);
  let job = await queue.getJob(target.jobId);
  // No job of its own: it may ride with other payouts, its submission in the `submits` job of its
  // hold batch, its first look in a `polls` job.
  if (!job && (target.name === 'submit' || target.name === 'poll') && target.queue !== 'reconciler') {
    const kind = target.name === 'submit' ? 'submits' : 'polls';
    const carrier = (await deps.queues.carriers(target.queue, kind, [row.id])).get(row.id);
    if (carrier) job = await queue.getJob(carrier);
  }
  if (!job) return { id: target.jobId, state: 'missing', failed_reason: null, attempts: 0 };
  return {
    id: job.id ?? target.jobId,
    state: await job.getState(),
    // A job's error text can quote a failed query's values: masked as the logs mask them.
    failed_reason: job.failedReason ? maskText(job.failedReason) : null,
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
  const targets: RedriveTarget[] = rows.filter((r) => !isFinal(r));
  const driven = new Set(await redrive(deps.queues, targets));
  for (const t of targets) {
    if (driven.has(t.id)) continue;
    if (waitsForWallet(t)) {
      const row = must(
        rows.find((r) => r.id === t.id),
        `the row of redrive target ${t.id}`,
      );
      await deps.queues.toReconciler('wallet.release', { tenantId: row.tenantId, currency: row.currency });
      driven.add(t.id);
      continue;
    }
    const job = redriveJob(t);
    if (!job) continue;
    const queue = job.queue === 'reconciler' ? deps.queues.reconciler : deps.queues.provider(job.queue);
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

/** What openapi.ts hands an operator route file so it can describe its routes. */
export interface OperatorPathHelpers {
  security: Record<string, string[]>[];
  /** The problem answers every operator route can give, plus those named. */
  keyed: (
    access: 'operator',
    method: string,
    extra?: Partial<Record<number, string | ResponseConfig>>,
  ) => Record<number, ResponseConfig>;
  json: (schema: z.ZodType, description: string) => ResponseConfig;
  /** For a create under Idempotency-Key: the header, its stored answer, and the key's 400 and 422 texts. */
  idempotencyKey: z.ZodType;
  replayable: (config: ResponseConfig) => ResponseConfig;
  idempotent: { 400: string; 422: string };
}

/** The OpenAPI entries of these routes; openapi.ts hands over its shared pieces. */
export function registerOperationPaths(registry: OpenAPIRegistry, h: OperatorPathHelpers): void {
  const fundedResult = z
    .object({
      provider: z.enum(PROVIDER_IDS),
      was_low: z.boolean(),
      released: z.number().int(),
      funding: providerFundingResult.optional(),
    })
    .openapi('ProviderFunded');
  const { security } = h;
  const payoutId = z.object({ id: z.string().openapi({ example: 'po_01JDA8Z6B9Y4X3W2V1T0S9R8Q7' }) });
  const deadLetter = z
    .object({
      payout_id: z.string(),
      tenant_id: z.string(),
      provider: z.enum(PROVIDER_IDS),
      status: z.enum(PAYOUT_STATUSES),
      reason: z.string(),
      failure: z.object({ code: z.string(), message: z.string() }).nullable(),
      queued_reason: z.string().nullable(),
      provider_payout_id: z.string().nullable(),
      submission_attempts: z.number().int(),
      job: z
        .object({ id: z.string(), state: z.string(), failed_reason: z.string().nullable(), attempts: z.number().int() })
        .nullable(),
      age_seconds: z.number().int(),
      created_at: z.string(),
      updated_at: z.string(),
    })
    .openapi('DeadLetter');
  const replayFields = {
    dry_run: z.boolean(),
    matched: z.number().int(),
    replayed: z.number().int(),
    payouts: z.array(z.object({ payout_id: z.string(), status: z.enum(PAYOUT_STATUSES), provider: z.string() })),
  };
  const replayResult = z.object(replayFields).openapi('ReplayResult');
  const replayOne = z
    .object({
      payout_id: z.string(),
      status: z.enum(PAYOUT_STATUSES),
      replayed: z.boolean(),
      pending: z.boolean().openapi({ description: 'A failed payout handed over and not yet applied: read it again.' }),
    })
    .openapi('PayoutReplay');

  registry.registerPath({
    method: 'get',
    path: '/v1/admin/dead-letters',
    summary: 'Payouts that need a person or have not moved, with the reason (operator)',
    security,
    request: { query: deadLetterFilters },
    responses: h.keyed('operator', 'get', {
      200: h.json(z.object({ data: z.array(deadLetter), count: z.number().int() }), 'The dead letters'),
    }),
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/admin/payouts/{id}',
    summary: "Any tenant's payout (operator)",
    security,
    request: { params: payoutId },
    responses: h.keyed('operator', 'get', { 200: h.json(payoutSchema, 'The payout'), 404: undefined }),
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/admin/payouts/{id}/events',
    summary: "Any tenant's payout's history, oldest first (operator)",
    security,
    request: { params: payoutId },
    responses: h.keyed('operator', 'get', {
      200: h.json(
        z.object({ data: z.array(payoutEventSchema) }),
        'Every state change, with who made it and what it saw',
      ),
      404: undefined,
    }),
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/admin/payouts/{id}/replay',
    summary:
      'Re-drive an unfinished payout from its recorded state now, or replay one failed for a systemic reason once its provider proved it has no record of it (operator; recorded)',
    security,
    request: { params: payoutId, query: replayOneQuery },
    responses: h.keyed('operator', 'post', {
      200: h.json(
        z.union([replayOne, replayDryRunSchema]),
        'Re-driven, or left alone because its job is live (replayed: false); a failed payout replayed is reserved again, its hold placed again, and handed to its provider with the same idempotency key. With `dry_run=true`: whether it would be (`PayoutReplayDryRun`), nothing changed',
      ),
      202: h.json(
        replayOne,
        'A failed payout handed to the reconciler and not applied within the wait (`pending: true`); read the payout again',
      ),
      404: undefined,
      409: 'The payout is final (`payout_not_replayable`); failed with a code that is not systemic (`failure_not_systemic`); its provider has it (`payout_at_provider`, nothing sent again, its state there in the detail); its provider cannot prove it has no record (`absence_not_proven`); or the wallet cannot cover its hold again (`insufficient_funds`)',
      503: 'A failed payout: its provider could not be asked (`service_unavailable`: it is down, or a 429 holds its rate budget past 10 s; nothing sent); try again',
    }),
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/admin/replays',
    summary:
      'Re-drive every payout matching the filters, or every replayable one with all: true (operator). A dry run unless dry_run is false; a real one is recorded',
    security,
    request: { body: { required: true, content: { 'application/json': { schema: replaysBody } } } },
    responses: h.keyed('operator', 'post', {
      200: h.json(replayResult, 'What matched, and what was re-driven (nothing in a dry run)'),
      202: h.json(
        replayRequestSchema,
        'OPERATOR_APPROVALS=on and not a dry run: stored, nothing re-driven; it runs when another operator key approves it (`POST /v1/admin/replays/{id}/approve`)',
      ),
      400: 'Neither a filter nor all: true (`replay_filters_missing`, field `filters`), a body that is not JSON, or text that cannot be stored',
      422: undefined,
    }),
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/admin/replays/{id}/approve',
    summary: 'Approve a bulk replay another operator asked for (OPERATOR_APPROVALS=on): it runs now, once (recorded)',
    security,
    request: { params: z.object({ id: z.string().openapi({ example: 'rpl_01JDA8Z6B9Y4X3W2V1T0S9R8Q7' }) }) },
    responses: h.keyed('operator', 'post', {
      200: h.json(
        z.object({ ...replayFields, request_id: z.string() }).openapi('ApprovedReplayResult'),
        'What matched, and what was re-driven',
      ),
      403: 'A tenant key on an operator route (`forbidden`); or the operator who asked for the replay (`approver_is_maker`)',
      404: 'No such replay request (`not_found`)',
      409: 'Approved and run already (`not_pending_approval`)',
      422: 'A body was sent (`validation_failed`, field `body`): this request takes none',
    }),
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/admin/providers/{provider}/funded',
    summary: "Clear a provider's low-float mark and release its parked payouts, oldest first (operator; recorded)",
    security,
    description:
      "With a body, the money sent to the provider is first posted to the ledger (external → the provider's float account), once per `reference`: what the ledger expects the provider to hold is then compared with the provider's own balance by reconciliation runs. Without a body, only the low-float mark is cleared.",
    request: {
      params: z.object({ provider: z.enum(PROVIDER_IDS) }),
      body: { required: false, content: { 'application/json': { schema: providerFundingSchema } } },
    },
    responses: h.keyed('operator', 'post', {
      200: h.json(fundedResult, 'Released (and, with a body, the reference had funded already: nothing posted again)'),
      201: h.json(fundedResult, 'The funding was posted, and the parked payouts released'),
      404: 'No such provider (`not_found`)',
      409: 'The reference funded before with another amount or currency (`funding_reference_reused`, field `reference`)',
      422: 'A field of the body is not valid, or a currency the provider does not pay out in (`validation_failed`, naming the field)',
      503: 'The reconciler did not apply the funding in time (`service_unavailable`): retry with the same reference',
    }),
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/admin/operator-actions',
    summary: 'Every operator action: who (the operator key), what, on what, with what result, when (operator)',
    security,
    request: { query: operatorActionsQuery },
    responses: h.keyed('operator', 'get', {
      200: h.json(
        z.object({
          data: z.array(
            z.object({
              id: z.string(),
              actor: z.string(),
              action: z.string(),
              target: z.string().nullable(),
              params: z.record(z.string(), z.unknown()).nullable(),
              result: z.record(z.string(), z.unknown()).nullable(),
              created_at: z.string(),
            }),
          ),
        }),
        'Newest first',
      ),
    }),
  });
}
