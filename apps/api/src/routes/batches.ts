import { createHash } from 'node:crypto';
import {
  type Currency,
  type FieldIssue,
  isId,
  isPayoutStatus,
  jsonAmount,
  MAX_AMOUNT_MINOR,
  must,
  newId,
} from '@payouts/core';
import {
  approvalRequests,
  type BatchRowError,
  insertRows,
  payoutBatches,
  payouts,
  type RoutingRules,
  type Transaction,
  webhookDeliveries,
  webhookEvents,
} from '@payouts/db';
import { walletBalances } from '@payouts/ledger';
import {
  acceptedRecord,
  approvalsRequired,
  batchResource,
  batchStatusGroups,
  batchStatusResource,
  chargedFees,
  creationWebhooks,
  insertAcceptedPayouts,
  shortfallsOf,
} from '@payouts/payouts';
import { ACCEPTED_SLICE, batchSlicePriority, jobContext, jobIds } from '@payouts/queue';
import { parse } from 'csv-parse';
import { and, asc, eq, gt, sql } from 'drizzle-orm';
import express, { type Request, Router } from 'express';
import { approvalRequestFor } from '../approval-requests.ts';
import { requireTenant } from '../auth.ts';
import { columnOf, csvField, csvRecordToPayout, unknownColumns } from '../batch-csv.ts';
import type { ApiDeps } from '../deps.ts';
import {
  duplicateReference,
  duplicateReferenceMessage,
  isDuplicateReference,
  livePayoutsByReference,
} from '../duplicate-reference.ts';
import { findReplay, fingerprint, readIdempotencyKey, withIdempotency } from '../idempotency.ts';
import { acceptedDetail, beneficiaryIdOf, type PreparedPayout, payoutRow, preparePayout } from '../payout-input.ts';
import { BATCH_BODY_LIMIT_BYTES, HttpProblem, problems, zodIssues } from '../problem.ts';
import { verifySignedBody } from '../request-signing.ts';
import { loadSavedBeneficiaries } from '../saved-beneficiaries.ts';
import { batchPayoutsQuery, scheduledForFormat, scheduleTimeIssue, z } from '../schemas.ts';
import { payoutResource } from '../serialize.ts';
import { parseQuery, refuseUnstorableBody, reservedKey } from '../validation.ts';

/**
 * Salary and refund runs (issue: batches at scale). A batch is validated row by row with exactly
 * the rules of a single payout (ours and the provider's), checked against the wallet before
 * anything is queued, stored in one transaction with its Idempotency-Key record (re-uploading the
 * same file replays the first answer), and enqueued in bulk at a lower priority than single
 * payouts, so a 100,000-row run never delays a payout posted one at a time.
 */
export const MAX_BATCH_ROWS = 100_000;

const dryRunDescription =
  'Validate only: answer the preview (per-row errors, totals per currency and provider, wallet shortfalls) and store nothing; no Idempotency-Key needed.';

export const batchOptions = z.strictObject({
  mode: z.enum(['all_or_nothing', 'accept_valid']).default('all_or_nothing'),
  on_insufficient_funds: z.enum(['refuse', 'queue']).default('refuse'),
  dry_run: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true')
    .openapi({ description: dryRunDescription, type: 'string', enum: ['true', 'false'] }),
  /** Every row's time (a run is scheduled as a whole); its time is judged after a replay is ruled out. */
  scheduled_for: scheduledForFormat.optional(),
});
/** What a run was uploaded with (the dry-run flag is the request's, not the run's). */
interface BatchOptions {
  mode: 'all_or_nothing' | 'accept_valid';
  on_insufficient_funds: 'refuse' | 'queue';
  scheduled_for?: Date | undefined;
}

export const batchJsonBody = z.strictObject({
  items: z
    .array(z.unknown())
    .min(1, 'must hold at least one payout')
    .max(MAX_BATCH_ROWS, `may hold at most ${MAX_BATCH_ROWS} payouts`),
  mode: batchOptions.shape.mode,
  on_insufficient_funds: batchOptions.shape.on_insufficient_funds,
  dry_run: z.boolean().default(false).openapi({ description: dryRunDescription }),
  scheduled_for: batchOptions.shape.scheduled_for,
});

/** Whether an upload asks for a preview only: `?dry_run=true` on a CSV, `"dry_run": true` in JSON. */
function isDryRun(req: Request): boolean {
  if (req.is('text/csv')) return req.query.dry_run === 'true';
  const body = req.body as { dry_run?: unknown } | undefined;
  return typeof body === 'object' && body !== null && body.dry_run === true;
}

interface Parsed {
  source: 'json' | 'csv';
  options: BatchOptions;
  /** Rows in upload order; each either prepared or refused. */
  rows: ({ row: number; payout: PreparedPayout } | { row: number; errors: BatchRowError[] })[];
  print: string;
}

/** A CSV upload is streamed by its route, which verifies a request signature while it reads. */
export function isStreamedBatch(req: Request): boolean {
  return req.method === 'POST' && req.path === '/payout-batches' && Boolean(req.is('text/csv'));
}

export function batchRoutes(deps: ApiDeps): Router {
  const router = Router();
  // Its own body handling: a run is far larger than the 1 MB every other route accepts.
  router.post(
    '/payout-batches',
    express.json({ limit: BATCH_BODY_LIMIT_BYTES, verify: verifySignedBody }),
    refuseUnstorableBody,
    async (req, res) => {
      const { tenantId, keyId, label, duplicateReferenceGuard, approvalPolicy, payoutPurposes, routingRules } =
        requireTenant(req, 'POST /v1/payout-batches');
      const tenant = { tenantId, payoutPurposes, routingRules };
      if (isDryRun(req)) {
        const parsed = req.is('text/csv') ? await parseCsv(deps, req, tenant) : await parseJson(deps, req, tenant);
        if (duplicateReferenceGuard) await refuseDuplicateReferences(deps, tenantId, parsed);
        res.json(await preview(deps, tenantId, parsed));
        return;
      }
      const key = readIdempotencyKey(req);
      const parsed = req.is('text/csv') ? await parseCsv(deps, req, tenant) : await parseJson(deps, req, tenant);
      // A retry of an upload replays its first answer before anything is judged again: the wallet
      // may have been spent since, and that must not turn a replay into a refusal.
      const earlier = await findReplay(deps.db, tenantId, key, parsed.print);
      if (earlier) {
        res.status(earlier.status).set('Idempotent-Replayed', 'true').json(earlier.body);
        return;
      }
      const scheduledFor = parsed.options.scheduled_for;
      const timeIssue = scheduledFor ? scheduleTimeIssue(scheduledFor) : null;
      if (timeIssue) throw problems.invalid([{ path: 'scheduled_for', message: timeIssue }]);
      if (duplicateReferenceGuard) await refuseDuplicateReferences(deps, tenantId, parsed);
      const refused = parsed.rows.flatMap((r) => ('errors' in r ? r.errors : []));
      const accepted = parsed.rows.flatMap((r) => ('payout' in r ? [r] : []));
      if (accepted.length === 0 || (parsed.options.mode === 'all_or_nothing' && refused.length > 0)) {
        throw batchInvalid(refused, parsed.rows.length);
      }

      // Pre-flight: totals per currency and provider, checked against the wallet before anything is queued.
      const totals = totalsOf(accepted.map((r) => r.payout));
      const over = overLimit(accepted.map((r) => r.payout));
      if (over.length > 0) {
        throw new HttpProblem(
          422,
          'batch_total_too_large',
          `A run may total at most ${MAX_AMOUNT_MINOR} minor units per currency, the most a wallet may hold; split it into smaller runs. Nothing was stored.`,
          over.map((o) => ({
            path: 'currency',
            message: `${o.currency}: the rows total ${o.total}, more than ${MAX_AMOUNT_MINOR}`,
          })),
        );
      }
      const short = await shortfalls(
        deps,
        tenantId,
        accepted.map((r) => r.payout),
      );
      // A scheduled run is paid later: a shortfall now is reported in the answer, not refused (the
      // wallet may be funded by then); the pre-flight runs again when it is due, and decides then.
      if (short.length > 0 && parsed.options.on_insufficient_funds === 'refuse' && !scheduledFor) {
        throw new HttpProblem(
          422,
          'insufficient_funds',
          'The wallet cannot cover this run (amounts plus fee reserves); fund it, or upload with on_insufficient_funds=queue.',
          short.map((s) => ({
            path: 'currency',
            message: `${s.currency}: needs ${s.needed}, available ${s.available}`,
          })),
        );
      }
      const queueIfLow = short.length > 0 && !scheduledFor ? true : undefined;
      const batchId = newId('batch');
      // The run as a whole, by its total per currency: one decision for every payout of it. A row
      // paying a saved beneficiary in cooling-off holds the whole run for that one decision too.
      const approval = approvalRequestFor(
        approvalPolicy,
        {
          required: approvalsRequired(approvalPolicy, 'batch', currencyTotals(accepted.map((r) => r.payout))),
          coolingOff: accepted.some((r) => r.payout.coolingOffEndsAt !== null),
        },
        { id: batchId, kind: 'batch', tenantId },
        { keyId, label },
        new Date(),
      );
      const now = new Date();
      const detail = {
        keyId,
        ...(label ? { keyLabel: label } : {}),
        batchId,
        ...(scheduledFor ? { scheduledFor: scheduledFor.toISOString() } : {}),
      };

      const store = () =>
        withIdempotency(deps.db, tenantId, key, parsed.print, async (tx) => {
          const [batch] = await tx
            .insert(payoutBatches)
            .values({
              id: batchId,
              tenantId,
              mode: parsed.options.mode,
              onInsufficientFunds: parsed.options.on_insufficient_funds,
              source: parsed.source,
              totalRows: parsed.rows.length,
              acceptedRows: accepted.length,
              rejectedRows: parsed.rows.length - accepted.length,
              rowErrors: refused,
              totals,
              scheduledFor: scheduledFor ?? null,
              schedulePreflight: scheduledFor ? { shortfalls_at_upload: short, due: null } : null,
              createdAt: now,
            })
            .returning();
          if (approval) await tx.insert(approvalRequests).values(approval);
          const stored = must(batch, 'the inserted batch');
          // Rows go as one jsonb parameter per chunk (insertRows): for a run of 100k rows, building
          // drizzle's per-value parameters cost more than the inserts themselves.
          for (let i = 0; i < accepted.length; i += 10_000) {
            const chunk = accepted.slice(i, i + 10_000);
            // The payouts, and their first event made from what was inserted, in one statement.
            // Rows whose rail the engine chose say so in their first event; the others share one detail.
            const chosen = new Map(
              chunk
                .filter((r) => r.payout.railChoice || r.payout.route)
                .map((r) => [r.payout.id, acceptedDetail(r.payout)]),
            );
            const rows = chunk.map((r) => ({
              ...payoutRow(r.payout, tenantId, {
                batchId,
                batchRow: r.row,
                queueIfLowBalance: queueIfLow,
                referenceGuarded: duplicateReferenceGuard,
                // A scheduled run's payouts carry their times, so `payout.scheduled` below says
                // exactly what GET /v1/payouts/{id} will.
                ...(scheduledFor ? { scheduledFor, createdAt: now, updatedAt: now } : {}),
              }),
              // Caught by the approval policy: the run waits for its approvals first (its time kept).
              ...(approval ? { status: 'pending_approval' as const } : {}),
            }));
            await insertAcceptedPayouts(
              tx,
              rows,
              chosen.size === 0 ? detail : (row) => ({ ...detail, ...chosen.get(row.id) }),
            );
            if (scheduledFor && !approval) {
              // `payout.scheduled` for each, in this transaction (no transition reaches `scheduled`).
              const records = rows.map((row) => acceptedRecord(row, now));
              await writeWebhooks(
                tx,
                await creationWebhooks(
                  tx,
                  tenantId,
                  'payout.scheduled',
                  records.map((record) => ({ id: record.id, data: payoutResource(record) })),
                  now,
                ),
              );
            }
          }
          if (scheduledFor && !approval) {
            await writeWebhooks(
              tx,
              await creationWebhooks(
                tx,
                tenantId,
                'batch.scheduled',
                [{ id: batchId, data: batchResource(stored) }],
                now,
              ),
            );
          }
          return {
            status: 202,
            body: {
              ...batchResource(stored),
              ...(approval ? { status: 'pending_approval' as const } : {}),
              errors: refused.slice(0, 1000),
            },
          };
        });
      const { response, replayed } = await store().catch(async (error: unknown) => {
        // A payout with one of the run's references was created since the check above: nothing of
        // the run was stored, and a retry reports that row among the row errors.
        if (!isDuplicateReference(error)) throw error;
        throw await duplicateInRun(deps, tenantId, accepted);
      });

      // A scheduled run has no jobs until it is due: the reconciler's release finds it in Postgres.
      if (!replayed && !scheduledFor) {
        // Durable already; if this enqueue is lost, the sweeper re-drives every accepted payout.
        // A run waiting for approval goes too: the reconciler sends its `batch.pending_approval`.
        try {
          // One job per slice of ACCEPTED_SLICE payouts (a reconciler batch's worth), behind
          // single payouts; the request id and trace ride along.
          const slices = [];
          for (let i = 0; i < accepted.length; i += ACCEPTED_SLICE) {
            slices.push({
              data: {
                ...jobContext.getStore(),
                payoutIds: accepted.slice(i, i + ACCEPTED_SLICE).map((r) => r.payout.id),
              },
              opts: {
                jobId: jobIds.acceptedSlice(batchId, i / ACCEPTED_SLICE),
                priority: batchSlicePriority(i / ACCEPTED_SLICE),
              },
            });
          }
          await deps.queues.toReconcilerBulk('payouts.accepted', slices);
        } catch (error) {
          req.log.warn({ err: error, batchId }, 'batch enqueue after commit failed; the sweeper will re-drive');
        }
      }
      res.status(response.status).set('Idempotent-Replayed', String(replayed)).json(response.body);
    },
  );

  router.get('/payout-batches/:id', async (req, res) => {
    const { tenantId } = requireTenant(req, 'GET /v1/payout-batches/:id');
    const batch = await findBatch(deps, tenantId, req.params.id);
    res.json(await batchStatus(deps, batch));
  });

  router.get('/payout-batches/:id/payouts', async (req, res) => {
    const { tenantId } = requireTenant(req, 'GET /v1/payout-batches/:id/payouts');
    const batch = await findBatch(deps, tenantId, req.params.id);
    const q = parseQuery(batchPayoutsQuery, req);
    const rows = await deps.db
      .select()
      .from(payouts)
      .where(
        and(
          eq(payouts.batchId, batch.id),
          eq(payouts.tenantId, tenantId),
          gt(payouts.batchRow, q.after_row),
          // Any text is accepted as a filter: one that names no state matches no payout.
          q.status === undefined ? undefined : isPayoutStatus(q.status) ? eq(payouts.status, q.status) : sql`false`,
        ),
      )
      .orderBy(asc(payouts.batchRow))
      .limit(q.limit + 1);
    const page = rows.slice(0, q.limit);
    res.json({
      data: page.map((p) => ({ row: p.batchRow, ...payoutResource(p) })),
      has_more: rows.length > q.limit,
      next_after_row: rows.length > q.limit ? must(page.at(-1), 'the last row of a full page').batchRow : null,
    });
  });

  /** One line per uploaded row, refused rows included, streamed page by page. */
  router.get('/payout-batches/:id/results.csv', async (req, res) => {
    const { tenantId } = requireTenant(req, 'GET /v1/payout-batches/:id/results.csv');
    const batch = await findBatch(deps, tenantId, req.params.id);
    res.type('text/csv').set('Content-Disposition', `attachment; filename="${batch.id}-results.csv"`);
    const write = async (line: string) => {
      if (!res.write(`${line}\n`)) await new Promise((r) => res.once('drain', r));
    };
    await write('row,reference_id,payout_id,status,amount,currency,provider,fees,tax,failure_code,failure_message,utr');
    const refused = new Map<number, BatchRowError[]>();
    for (const e of batch.rowErrors) refused.set(e.row, [...(refused.get(e.row) ?? []), e]);
    const refusedRows = [...refused].sort(([a], [b]) => a - b);
    let nextRefused = 0;
    const flushRefusedBefore = async (row: number) => {
      for (let next = refusedRows[nextRefused]; next && next[0] < row; next = refusedRows[nextRefused]) {
        nextRefused++;
        const [r, errors] = next;
        const message = errors.map((e) => `${e.field}: ${e.message}`).join('; ');
        const said = must(errors[0], `the first error of refused row ${r}`).reference_id ?? '';
        await write(
          [r, said, '', 'invalid', '', '', '', '', '', 'validation_failed', message, ''].map(csvField).join(','),
        );
      }
    };
    let after = 0;
    for (;;) {
      const page = await deps.db
        .select()
        .from(payouts)
        .where(and(eq(payouts.batchId, batch.id), gt(payouts.batchRow, after)))
        .orderBy(asc(payouts.batchRow))
        .limit(5000);
      for (const p of page) {
        await flushRefusedBefore(must(p.batchRow, `the batch_row of payout ${p.id}`));
        const charged = chargedFees(p);
        await write(
          [
            p.batchRow,
            p.referenceId,
            p.id,
            p.status,
            p.amount,
            p.currency,
            p.provider,
            charged.fees,
            charged.tax,
            p.failureCode,
            p.failureMessage,
            p.utr,
          ]
            .map(csvField)
            .join(','),
        );
      }
      const last = page.at(-1);
      if (last === undefined || page.length < 5000) break;
      after = must(last.batchRow, `the batch_row of payout ${last.id}`);
    }
    await flushRefusedBefore(Number.MAX_SAFE_INTEGER);
    res.end();
  });

  return router;
}

/** Whose run it is: its saved beneficiaries and registered purposes are its own. */
interface RunOwner {
  tenantId: string;
  payoutPurposes: readonly string[];
  /** Its routing rules: each row is routed as a payout created alone. */
  routingRules: RoutingRules | null;
}

async function parseJson(deps: ApiDeps, req: Request, owner: RunOwner): Promise<Parsed> {
  if (!req.is('application/json')) {
    throw new HttpProblem(
      415,
      'unsupported_media_type',
      'A batch is JSON ({"items": [...]}) or CSV (Content-Type: text/csv).',
      [{ path: 'Content-Type', message: 'must be application/json or text/csv' }],
    );
  }
  const body = batchJsonBody.safeParse(req.body);
  if (!body.success)
    throw problems.invalid(body.error.issues.map((i) => ({ path: i.path.join('.') || 'body', message: i.message })));
  const saved = await savedBeneficiariesOf(deps, owner.tenantId, body.data.items);
  const now = new Date();
  const rows = body.data.items.map((item, i) => {
    if (typeof item === 'object' && item !== null && 'scheduled_for' in item) {
      return refusedRow(
        i + 1,
        [
          {
            path: 'scheduled_for',
            message: 'a run is scheduled as a whole: give scheduled_for on the batch, not on a row',
          },
        ],
        item,
      );
    }
    const prepared = preparePayout(deps, item, saved, now, owner.payoutPurposes, owner.routingRules);
    return prepared.ok ? { row: i + 1, payout: prepared.payout } : refusedRow(i + 1, prepared.issues, item);
  });
  return {
    source: 'json',
    options: {
      mode: body.data.mode,
      on_insufficient_funds: body.data.on_insufficient_funds,
      scheduled_for: body.data.scheduled_for,
    },
    rows,
    print: fingerprint(req, req.body),
  };
}

/** The saved beneficiaries a run's rows name, loaded at once (one query for the whole run). */
function savedBeneficiariesOf(deps: ApiDeps, tenantId: string, items: unknown[]) {
  const ids = items.map(beneficiaryIdOf).filter((id): id is string => id !== null);
  return loadSavedBeneficiaries(deps.db, tenantId, ids);
}

/** Streams the CSV: records are validated as they arrive; the raw bytes are hashed for idempotency. */
async function parseCsv(deps: ApiDeps, req: Request, owner: RunOwner): Promise<Parsed> {
  // scheduled_for is judged like the body field it is in a JSON upload (a 422 naming it), not as a
  // malformed query string.
  const { dry_run: _preview, ...query } = parseQuery(
    batchOptions.extend({ scheduled_for: z.string().optional() }),
    req,
  );
  const scheduled = scheduledForFormat.optional().safeParse(query.scheduled_for);
  if (!scheduled.success)
    throw problems.invalid(zodIssues(scheduled.error).map((i) => ({ ...i, path: 'scheduled_for' })));
  const opts: BatchOptions = { ...query, scheduled_for: scheduled.data };
  const hash = createHash('sha256').update(
    `${req.method} ${req.baseUrl}${req.path}?${opts.mode}&${opts.on_insufficient_funds}${opts.scheduled_for ? `&${opts.scheduled_for.toISOString()}` : ''}\n`,
  );
  const tooLarge = () =>
    new HttpProblem(413, 'body_too_large', `A batch upload may be at most ${BATCH_BODY_LIMIT_BYTES} bytes.`, [
      { path: 'body', message: `is larger than ${BATCH_BODY_LIMIT_BYTES} bytes` },
    ]);
  if (Number(req.headers['content-length'] ?? 0) > BATCH_BODY_LIMIT_BYTES) throw tooLarge();
  let bytes = 0;
  req.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    // A signing tenant's CSV is verified as it streams, and judged before anything is written.
    req.signature?.update(chunk);
    bytes += chunk.length;
    if (bytes > BATCH_BODY_LIMIT_BYTES) parser.destroy(tooLarge());
  });
  let headerProblem: HttpProblem | null = null;
  const parser = req.pipe(
    parse({
      bom: true,
      skip_empty_lines: true,
      trim: true,
      max_record_size: 64 * 1024,
      columns: (header: string[]) => {
        // A `metadata___proto__` column would name the key every object copy drops: refused, not lost.
        const reserved = header.find((h) => h === 'metadata___proto__');
        if (reserved) {
          headerProblem = reservedKey(reserved);
          return header;
        }
        const unknown = unknownColumns(header);
        if (unknown.length > 0 || !header.includes('amount')) {
          headerProblem = problems.invalid(
            unknown.length > 0
              ? unknown.map((c) => ({ path: c, message: 'is not a known column (docs/batches.md lists them)' }))
              : [{ path: 'amount', message: 'the header row must name the columns, amount among them' }],
          );
        }
        return header;
      },
    }),
  );
  // Records are read first and prepared after: the saved beneficiaries they name are loaded in
  // one query for the whole run, not one per row.
  const records: Record<string, unknown>[] = [];
  try {
    for await (const record of parser) {
      if (headerProblem) break;
      if (records.length >= MAX_BATCH_ROWS)
        throw problems.invalid([{ path: 'body', message: `a batch may hold at most ${MAX_BATCH_ROWS} rows` }]);
      records.push(csvRecordToPayout(record as Record<string, string>));
    }
  } catch (error) {
    if (error instanceof HttpProblem) throw error;
    const e = error as { message?: string; lines?: number };
    throw new HttpProblem(400, 'malformed_csv', `The CSV could not be read: ${e.message ?? 'invalid'}`, [
      { path: e.lines ? `line ${e.lines}` : 'body', message: e.message ?? 'invalid CSV' },
    ]);
  }
  // Verified once the whole body was read: a bad signature answers 401, whatever the rows held.
  // (When the loop stopped early on a bad header, the rest of the body was never signed-checked,
  // and the answer is an error anyway.)
  if (!headerProblem) req.signature?.verify();
  if (headerProblem) throw headerProblem;
  if (records.length === 0) throw problems.invalid([{ path: 'body', message: 'the CSV holds no payout rows' }]);
  const saved = await savedBeneficiariesOf(deps, owner.tenantId, records);
  const now = new Date();
  const rows: Parsed['rows'] = records.map((payout, i) => {
    const prepared = preparePayout(deps, payout, saved, now, owner.payoutPurposes, owner.routingRules);
    return prepared.ok
      ? { row: i + 1, payout: prepared.payout }
      : refusedRow(
          i + 1,
          prepared.issues.map((e) => ({ ...e, path: columnOf(e.path) })),
          payout,
        );
  });
  return { source: 'csv', options: opts, rows, print: hash.digest('hex') };
}

/**
 * The duplicate guard over a run: a row whose `reference_id` an earlier row of the run has, or a
 * live payout of the tenant has, is refused like any invalid row (`reference_id` named), so the
 * run's mode decides whether the rest goes ahead.
 */
async function refuseDuplicateReferences(deps: ApiDeps, tenantId: string, parsed: Parsed): Promise<void> {
  const firstRow = new Map<string, number>();
  for (const r of parsed.rows) {
    const reference = 'payout' in r ? r.payout.body.reference_id : undefined;
    if (reference !== undefined && !firstRow.has(reference)) firstRow.set(reference, r.row);
  }
  const live = await livePayoutsByReference(deps.db, tenantId, [...firstRow.keys()]);
  parsed.rows = parsed.rows.map((r) => {
    const reference = 'payout' in r ? r.payout.body.reference_id : undefined;
    if (reference === undefined) return r;
    const holder = live.get(reference);
    if (holder)
      return refusedRow(r.row, [{ path: 'reference_id', message: duplicateReferenceMessage(holder) }], {
        reference_id: reference,
      });
    const first = must(firstRow.get(reference), `the first row of reference ${reference}`);
    if (first !== r.row) {
      return refusedRow(r.row, [{ path: 'reference_id', message: `repeats the reference_id of row ${first}` }], {
        reference_id: reference,
      });
    }
    return r;
  });
}

/** The 409 for a run refused by the guard's index: names a payout that holds one of its references. */
async function duplicateInRun(
  deps: ApiDeps,
  tenantId: string,
  accepted: { payout: PreparedPayout }[],
): Promise<HttpProblem> {
  const references = accepted.flatMap((r) =>
    r.payout.body.reference_id === undefined ? [] : [r.payout.body.reference_id],
  );
  const [held] = await livePayoutsByReference(deps.db, tenantId, references);
  if (held) return duplicateReference(held[0], held[1]);
  return problems.conflict(
    'duplicate_reference',
    'A payout with one of these references was created while the run was stored; nothing was stored. Retry the upload to see which rows.',
  );
}

/**
 * A refused row's errors, each with the `reference_id` the row gave (when it gave one), so the
 * answer and the results CSV tell the client which of its payouts it was.
 */
function refusedRow(row: number, issues: FieldIssue[], item: unknown): { row: number; errors: BatchRowError[] } {
  const said = saidReference(item);
  return {
    row,
    errors: issues.map((e) => ({ row, field: e.path, message: e.message, ...(said ? { reference_id: said } : {}) })),
  };
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * The row's `reference_id` as it said it, valid or not: its first 255 characters, with what jsonb
 * cannot store (NUL, a lone surrogate) replaced by U+FFFD. Absent when the row gave none (or an
 * object or array).
 */
function saidReference(item: unknown): string | undefined {
  if (typeof item !== 'object' || item === null) return undefined;
  const value = (item as Record<string, unknown>).reference_id;
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return undefined;
  const said = String(value).slice(0, 255).replace(LONE_SURROGATE, '\uFFFD').replaceAll('\u0000', '\uFFFD');
  return said === '' ? undefined : said;
}

/**
 * A dry run's answer: exactly what the upload would be judged on (the same parsing, row rules,
 * duplicate guard, totals and wallet pre-flight), and whether it would be stored.
 */
async function preview(deps: ApiDeps, tenantId: string, parsed: Parsed) {
  const refused = parsed.rows.flatMap((r) => ('errors' in r ? r.errors : []));
  const accepted = parsed.rows.flatMap((r) => ('payout' in r ? [r.payout] : []));
  const invalidRows = new Set(refused.map((e) => e.row)).size;
  const over = overLimit(accepted);
  const short = await shortfalls(deps, tenantId, accepted);
  const rowsOk = accepted.length > 0 && (parsed.options.mode === 'accept_valid' || invalidRows === 0);
  return {
    object: 'payout_batch_preview' as const,
    dry_run: true as const,
    mode: parsed.options.mode,
    on_insufficient_funds: parsed.options.on_insufficient_funds,
    rows: { total: parsed.rows.length, valid: accepted.length, invalid: invalidRows },
    row_errors: refused.slice(0, 10_000),
    totals: totalsOf(accepted).map((t) => ({ ...t, amount: jsonAmount(BigInt(t.amount)) })),
    shortfalls: short.map((s) => ({
      currency: s.currency,
      needed: jsonAmount(BigInt(s.needed)),
      available: jsonAmount(BigInt(s.available)),
    })),
    over_limit: over.map((o) => o.currency),
    would_store:
      rowsOk && over.length === 0 && (short.length === 0 || parsed.options.on_insufficient_funds === 'queue'),
  };
}

function batchInvalid(errors: BatchRowError[], total: number): HttpProblem {
  const problem = new HttpProblem(
    422,
    'batch_invalid',
    `${new Set(errors.map((e) => e.row)).size} of ${total} rows are invalid; nothing was stored. Fix them, or upload with mode=accept_valid.`,
    errors.slice(0, 1000).map((e) => ({ path: `rows[${e.row}].${e.field}`, message: e.message })),
    { row_errors: errors.slice(0, 10_000), invalid_rows: new Set(errors.map((e) => e.row)).size, total_rows: total },
  );
  return problem;
}

function totalsOf(prepared: PreparedPayout[]) {
  const totals = new Map<string, { currency: string; provider: string; count: number; amount: bigint }>();
  for (const p of prepared) {
    const k = `${p.body.currency}:${p.provider}`;
    const t = totals.get(k) ?? { currency: p.body.currency, provider: p.provider, count: 0, amount: 0n };
    t.count++;
    t.amount += p.canonical.amount;
    totals.set(k, t);
  }
  return [...totals.values()].map((t) => ({ ...t, amount: t.amount.toString() }));
}

function currencyTotals(prepared: PreparedPayout[]): Map<string, bigint> {
  const totals = new Map<string, bigint>();
  for (const p of prepared) totals.set(p.body.currency, (totals.get(p.body.currency) ?? 0n) + p.canonical.amount);
  return totals;
}

/**
 * Currencies whose rows total more than a wallet may ever hold (`MAX_AMOUNT_MINOR`): such a run
 * could never be paid, and its totals would leave JSON's exact integers.
 */
function overLimit(prepared: PreparedPayout[]) {
  const totals = new Map<string, bigint>();
  for (const p of prepared) totals.set(p.body.currency, (totals.get(p.body.currency) ?? 0n) + p.canonical.amount);
  return [...totals].flatMap(([currency, total]) =>
    total > MAX_AMOUNT_MINOR ? [{ currency, total: total.toString() }] : [],
  );
}

/** Currencies whose wallet cannot cover the run's amounts plus the fee reserves held with them. */
async function shortfalls(deps: ApiDeps, tenantId: string, prepared: PreparedPayout[]) {
  const needed = new Map<Currency, bigint>();
  for (const p of prepared)
    needed.set(
      p.body.currency,
      (needed.get(p.body.currency) ?? 0n) + p.canonical.amount + p.adapter.feeReserve(p.canonical),
    );
  return shortfallsOf(needed, await walletBalances(deps.db, tenantId));
}

/** Writes a create's webhook events and their deliveries (creationWebhooks), when any endpoint wants them. */
async function writeWebhooks(tx: Transaction, webhooks: Awaited<ReturnType<typeof creationWebhooks>>): Promise<void> {
  if (!webhooks) return;
  await insertRows(tx, webhookEvents, webhooks.events);
  await insertRows(tx, webhookDeliveries, webhooks.deliveries);
}

type BatchRow = typeof payoutBatches.$inferSelect;

async function batchStatus(deps: ApiDeps, batch: BatchRow) {
  // The same query and serializer the reconciler's `batch.completed` webhook uses.
  return batchStatusResource(batch, await batchStatusGroups(deps.db, batch.id));
}

async function findBatch(deps: ApiDeps, tenantId: string, id: string): Promise<BatchRow> {
  if (!isId(id, 'batch')) throw problems.notFound('The batch');
  const [row] = await deps.db
    .select()
    .from(payoutBatches)
    .where(and(eq(payoutBatches.id, id), eq(payoutBatches.tenantId, tenantId)));
  if (!row) throw problems.notFound('The batch');
  return row;
}
