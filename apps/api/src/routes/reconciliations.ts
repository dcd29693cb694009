import type { Writable } from 'node:stream';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { isId, PROVIDER_IDS } from '@payouts/core';
import { type Executor, reconciliationItems, reconciliationRuns } from '@payouts/db';
import {
  DRIFT_REASONS,
  RECONCILIATION_REASONS,
  RECONCILIATION_STATUSES,
  type ReconciliationItemRow,
  type ReconciliationRunRow,
  reconciliationCounts,
  reconciliationItemResource,
  reconciliationRunResource,
  startReconciliationRun,
} from '@payouts/payouts';
import { and, asc, desc, eq, gt, inArray, isNull, type SQL } from 'drizzle-orm';
import { Router } from 'express';
import { requireOperator } from '../auth.ts';
import { csvField, streamWriter } from '../batch-csv.ts';
import type { ApiDeps } from '../deps.ts';
import { recordOperatorAction } from '../operator-log.ts';
import { decodeCursor, page } from '../pagination.ts';
import { problems } from '../problem.ts';
import { z } from '../schemas.ts';
import { parseBody, parseQuery } from '../validation.ts';
import type { OperatorPathHelpers } from './operations.ts';

/** The longest window one run may cover: a run reads every payout of it. */
const MAX_WINDOW_DAYS = 31;

const startBody = z
  .strictObject({
    provider: z.enum(PROVIDER_IDS),
    from: z.iso.datetime({ offset: true }).openapi({ example: '2026-12-01T00:00:00Z' }),
    to: z.iso.datetime({ offset: true }).openapi({ example: '2026-12-02T00:00:00Z' }),
  })
  .superRefine((b, ctx) => {
    const from = Date.parse(b.from);
    const to = Date.parse(b.to);
    if (!(to > from)) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
    else if (to - from > MAX_WINDOW_DAYS * 86_400_000) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: `a window is at most ${MAX_WINDOW_DAYS} days` });
    }
  })
  .openapi('ReconciliationRequest');

const itemsQuery = z.strictObject({
  reason: z
    .enum([...RECONCILIATION_REASONS, 'drift', 'all'])
    .default('drift')
    .openapi({ description: '`drift` (default): every reason but matched and not_sent; `all`: everything' }),
  unresolved: z
    .enum(['true', 'false'])
    .optional()
    .openapi({ description: 'true: only items no operator resolved yet' }),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(200).optional(),
});
const csvQuery = itemsQuery.omit({ limit: true, cursor: true });

const resolveBody = z
  .strictObject({
    note: z
      .string()
      .trim()
      .min(1)
      .max(2000)
      .refine((s) => !s.includes('\u0000'), 'must not contain NUL (U+0000) characters'),
  })
  .openapi('ReconciliationResolveRequest');

/**
 * Reconciliation runs (docs/operations.md, "Reconciliation"): an operator starts a run for a
 * provider and window, reads its counts and progress, lists or exports what it found, and
 * resolves each drift with a note. The run itself is worked by the reconciler processes.
 */
export function reconciliationRoutes(deps: ApiDeps): Router {
  const router = Router();

  router.post('/reconciliations', async (req, res) => {
    const actor = requireOperator(req).keyId;
    const body = parseBody(startBody, req);
    const { run, created } = await deps.db.transaction(async (tx) => {
      const started = await startReconciliationRun(tx, {
        provider: body.provider,
        from: new Date(body.from),
        to: new Date(body.to),
        requestedBy: actor,
      });
      await recordOperatorAction(tx, {
        actor,
        action: 'reconciliation.start',
        target: started.run.id,
        params: body,
        result: { created: started.created, status: started.run.status },
      });
      return started;
    });
    res.status(created ? 201 : 200).json(reconciliationRunResource(run, await reconciliationCounts(deps.db, run.id)));
  });

  router.get('/reconciliations', async (req, res) => {
    requireOperator(req);
    const rows = await deps.db.select().from(reconciliationRuns).orderBy(desc(reconciliationRuns.id)).limit(100);
    const data = await Promise.all(
      rows.map(async (r) => reconciliationRunResource(r, await reconciliationCounts(deps.db, r.id))),
    );
    res.json({ data });
  });

  router.get('/reconciliations/:id', async (req, res) => {
    requireOperator(req);
    const run = await findRun(deps.db, req.params.id);
    res.json(reconciliationRunResource(run, await reconciliationCounts(deps.db, run.id)));
  });

  router.get('/reconciliations/:id/items', async (req, res) => {
    requireOperator(req);
    const run = await findRun(deps.db, req.params.id);
    const q = parseQuery(itemsQuery, req);
    const filters = itemFilters(run.id, q);
    if (q.cursor) filters.push(gt(reconciliationItems.id, decodeCursor(q.cursor, 'reconciliationItem')));
    const rows = await deps.db
      .select()
      .from(reconciliationItems)
      .where(and(...filters))
      .orderBy(asc(reconciliationItems.id))
      .limit(q.limit + 1);
    const result = page(rows, q.limit);
    res.json({ ...result, data: result.data.map(reconciliationItemResource) });
  });

  router.get('/reconciliations/:id/items.csv', async (req, res) => {
    requireOperator(req);
    const run = await findRun(deps.db, req.params.id);
    const q = parseQuery(csvQuery, req);
    res
      .type('text/csv')
      .set('Content-Disposition', `attachment; filename="${run.id}.csv"`)
      .set('Cache-Control', 'no-store');
    try {
      await writeItemsCsv(deps.db, itemFilters(run.id, q), res);
    } catch (error) {
      if (!res.headersSent) throw error;
      req.log.error({ err: error }, 'reconciliation export failed after it started');
      res.destroy(error as Error);
      return;
    }
    res.end();
  });

  router.post('/reconciliations/:id/items/:item_id/resolve', async (req, res) => {
    const actor = requireOperator(req).keyId;
    const run = await findRun(deps.db, req.params.id);
    const { note } = parseBody(resolveBody, req);
    if (!isId(req.params.item_id, 'reconciliationItem')) throw problems.notFound('The item');
    const item = await deps.db.transaction(async (tx) => {
      const [row] = await tx
        .select()
        .from(reconciliationItems)
        .where(and(eq(reconciliationItems.id, req.params.item_id), eq(reconciliationItems.runId, run.id)))
        .for('update');
      if (!row) throw problems.notFound('The item');
      if (row.resolvedAt) {
        throw problems.conflict('item_already_resolved', `The item was resolved by ${row.resolvedBy}.`);
      }
      const [resolved] = await tx
        .update(reconciliationItems)
        .set({ resolvedAt: new Date(), resolvedBy: actor, resolutionNote: note })
        .where(eq(reconciliationItems.id, row.id))
        .returning();
      await recordOperatorAction(tx, {
        actor,
        action: 'reconciliation.resolve',
        target: row.payoutId ?? row.providerPayoutId ?? row.id,
        params: { run: run.id, item: row.id, note },
        result: { reason: row.reason },
      });
      return resolved as ReconciliationItemRow;
    });
    res.json(reconciliationItemResource(item));
  });

  return router;
}

async function findRun(db: Executor, id: string): Promise<ReconciliationRunRow> {
  if (!isId(id, 'reconciliation')) throw problems.notFound('The reconciliation');
  const [run] = await db.select().from(reconciliationRuns).where(eq(reconciliationRuns.id, id));
  if (!run) throw problems.notFound('The reconciliation');
  return run;
}

function itemFilters(runId: string, q: z.infer<typeof csvQuery>): SQL[] {
  const filters: SQL[] = [eq(reconciliationItems.runId, runId)];
  if (q.reason === 'drift') filters.push(inArray(reconciliationItems.reason, [...DRIFT_REASONS]));
  else if (q.reason !== 'all') filters.push(eq(reconciliationItems.reason, q.reason));
  if (q.unresolved === 'true') filters.push(isNull(reconciliationItems.resolvedAt));
  return filters;
}

/** The CSV's columns; `ours_*` and `theirs_*` are each side's view of the payout. */
const CSV_SIDE_FIELDS = ['status', 'amount', 'currency', 'fees', 'tax', 'utr'] as const;
const CSV_COLUMNS = [
  'item_id',
  'payout_id',
  'reference_id',
  'provider_payout_id',
  'reason',
  ...CSV_SIDE_FIELDS.map((f) => `ours_${f}`),
  ...CSV_SIDE_FIELDS.map((f) => `theirs_${f}`),
  'resolved_at',
  'resolution_note',
];
const CSV_PAGE_ROWS = 1000;

/** Streams the items in keyset pages, with backpressure, like the payout export. */
async function writeItemsCsv(db: Executor, filters: SQL[], out: Writable): Promise<void> {
  const write = streamWriter(out);
  let after: string | undefined;
  for (;;) {
    const rows = await db
      .select()
      .from(reconciliationItems)
      .where(and(...filters, after === undefined ? undefined : gt(reconciliationItems.id, after)))
      .orderBy(asc(reconciliationItems.id))
      .limit(CSV_PAGE_ROWS);
    if (after === undefined && !(await write(`${CSV_COLUMNS.join(',')}\n`))) return;
    for (const r of rows) {
      const side = (s: Record<string, unknown> | null) => CSV_SIDE_FIELDS.map((f) => (s?.[f] ?? null) as string | null);
      const fields = [
        r.id,
        r.payoutId,
        r.referenceId,
        r.providerPayoutId,
        r.reason,
        ...side(r.ours ?? null),
        ...side(r.theirs ?? null),
        r.resolvedAt?.toISOString() ?? null,
        r.resolutionNote,
      ];
      if (!(await write(`${fields.map(csvField).join(',')}\n`))) return;
    }
    const last = rows.at(-1);
    if (last === undefined || rows.length < CSV_PAGE_ROWS) break;
    after = last.id;
  }
}

export function registerReconciliationPaths(registry: OpenAPIRegistry, h: OperatorPathHelpers): void {
  const { security } = h;
  const counts = z
    .record(z.string(), z.number().int())
    .openapi({ description: `Items by reason: ${RECONCILIATION_REASONS.join(', ')}` });
  const side = z.record(z.string(), z.unknown());
  const run = z
    .object({
      id: z.string().openapi({ example: 'rcn_01JDA8Z6B9Y4X3W2V1T0S9R8Q7' }),
      object: z.literal('reconciliation'),
      provider: z.enum(PROVIDER_IDS),
      from: z.string(),
      to: z.string(),
      status: z.enum(RECONCILIATION_STATUSES),
      requested_by: z.string().openapi({ description: 'The operator key, or `schedule` for the nightly run' }),
      counts,
      progress: z.object({
        phase: z.string(),
        payouts_total: z.number().int().nullable(),
        payouts_checked: z.number().int(),
        provider_records_seen: z.number().int(),
        provider_calls: z.number().int(),
      }),
      balance: z
        .array(
          z
            .object({
              currency: z.string(),
              ours: z.string().openapi({
                description:
                  'What our ledger says we hold at the provider: funded to its float, less what it paid out for us (amounts, fees, tax; reversals returned). Minor units.',
              }),
              theirs: z
                .string()
                .nullable()
                .openapi({ description: 'The balance the provider reports (null: it reported none in this currency)' }),
              difference: z.string().nullable().openapi({ description: '`theirs − ours`' }),
              funded: z.string(),
              paid_out: z.string(),
              in_flight: z.object({ payouts: z.number().int(), amount: z.string() }).openapi({
                description:
                  'Payouts sent but not final yet: the provider may have debited them before our ledger posts them',
              }),
            })
            .openapi('ReconciliationBalance'),
        )
        .nullable()
        .openapi({
          description:
            "The provider's balance against our ledger, per currency, read as the run completes; null where the provider reports no balance (capability `balance`)",
        }),
      error: z.string().nullable(),
      created_at: z.string(),
      completed_at: z.string().nullable(),
    })
    .openapi('Reconciliation');
  const item = z
    .object({
      id: z.string(),
      payout_id: z.string().nullable().openapi({ description: 'Null when the provider record is unknown to us' }),
      reference_id: z.string().nullable(),
      provider_payout_id: z.string().nullable(),
      reason: z.enum(RECONCILIATION_REASONS),
      ours: side.nullable(),
      theirs: side.nullable(),
      resolution: z
        .object({ resolved_at: z.string(), resolved_by: z.string().nullable(), note: z.string().nullable() })
        .nullable(),
    })
    .openapi('ReconciliationItem');
  const runId = z.object({ id: z.string().openapi({ example: 'rcn_01JDA8Z6B9Y4X3W2V1T0S9R8Q7' }) });

  registry.registerPath({
    method: 'post',
    path: '/v1/admin/reconciliations',
    summary: 'Start a reconciliation run for a provider and window, or get the run of that window (operator; recorded)',
    security,
    request: { body: { required: true, content: { 'application/json': { schema: startBody } } } },
    responses: h.keyed('operator', 'post', {
      201: h.json(run, 'Started: the reconciler works it (status running)'),
      200: h.json(run, 'A run of this provider and window exists: that run'),
      400: 'A body that is not JSON, or text that cannot be stored',
      422: undefined,
    }),
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/admin/reconciliations',
    summary: 'The latest reconciliation runs, newest first (operator)',
    security,
    responses: h.keyed('operator', 'get', { 200: h.json(z.object({ data: z.array(run) }), 'Up to 100 runs') }),
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/admin/reconciliations/{id}',
    summary: 'A reconciliation run: status, counts by reason, progress (operator)',
    security,
    request: { params: runId },
    responses: h.keyed('operator', 'get', { 200: h.json(run, 'The run'), 404: undefined }),
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/admin/reconciliations/{id}/items',
    summary: 'What a run found, with both sides, in cursor pages (operator)',
    security,
    request: { params: runId, query: itemsQuery },
    responses: h.keyed('operator', 'get', {
      200: h.json(
        z.object({ data: z.array(item), has_more: z.boolean(), next_cursor: z.string().nullable() }),
        'Oldest first',
      ),
      400: 'A cursor this API did not return (`invalid_cursor`)',
      404: undefined,
      422: undefined,
    }),
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/admin/reconciliations/{id}/items.csv',
    summary: 'What a run found, as CSV, streamed (operator)',
    security,
    request: { params: runId, query: csvQuery },
    responses: h.keyed('operator', 'get', {
      200: { description: 'The CSV, streamed', content: { 'text/csv': { schema: z.string() } } },
      404: undefined,
      422: undefined,
    }),
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/admin/reconciliations/{id}/items/{item_id}/resolve',
    summary: 'Resolve a finding with a note (operator; recorded in the operator log)',
    security,
    request: {
      params: runId.extend({ item_id: z.string() }),
      body: { required: true, content: { 'application/json': { schema: resolveBody } } },
    },
    responses: h.keyed('operator', 'post', {
      200: h.json(item, 'Resolved'),
      400: 'A body that is not JSON, or text that cannot be stored',
      404: undefined,
      409: 'Resolved already (`item_already_resolved`)',
      422: undefined,
    }),
  });
}
