import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

/** Where a run is: reading the provider's list, then checking our payouts, then done. */
export type ReconciliationPhase = 'list' | 'ours' | 'balance' | 'done';

/**
 * A reconciliation run: every payout of one provider created in [window_from, window_to) checked
 * against the provider's own record (docs/operations.md, "Reconciliation"). One run per provider
 * and window (a second request for the same window answers the first run). Its progress is
 * checkpointed here in the transaction that writes the items it found, so a process killed
 * mid-run leaves a run another process resumes where the last commit left it.
 */
export const reconciliationRuns = pgTable(
  'reconciliation_runs',
  {
    id: text('id').primaryKey(),
    provider: text('provider').notNull(),
    windowFrom: timestamp('window_from', { withTimezone: true }).notNull(),
    windowTo: timestamp('window_to', { withTimezone: true }).notNull(),
    /** `running`, `completed`, `failed`. */
    status: text('status').notNull().default('running'),
    /** Who asked: an operator key id, or `schedule` for the nightly run. */
    requestedBy: text('requested_by').notNull(),
    phase: text('phase').$type<ReconciliationPhase>().notNull().default('list'),
    /** Provider list: how many records were read so far (its `skip`). */
    listSkip: integer('list_skip').notNull().default(0),
    /** Our payouts: the last payout id checked (they are checked in id order). */
    oursCursor: text('ours_cursor'),
    /** Our payouts in the window, counted when the run first reached them. */
    payoutsTotal: integer('payouts_total'),
    providerRecordsSeen: integer('provider_records_seen').notNull().default(0),
    /** Calls made to the provider by this run, across every process that worked on it. */
    providerCalls: integer('provider_calls').notNull().default(0),
    /** Provider balance against our ledger's float account, when the provider reports balances. */
    balance: jsonb('balance').$type<Record<string, unknown>[]>(),
    error: text('error'),
    /** The process working on the run and until when its claim holds (renewed at every checkpoint). */
    leaseOwner: text('lease_owner'),
    leaseUntil: timestamp('lease_until', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    completedAt: timestamp('completed_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('reconciliation_runs_window_idx').on(t.provider, t.windowFrom, t.windowTo),
    index('reconciliation_runs_running_idx').on(t.createdAt).where(sql`status = 'running'`),
  ],
);

/**
 * What a run found, one row per payout of ours (matched or not) and one per provider record no
 * payout of ours matches (`unknown_to_us`, payout_id null). The unique keys make a resumed run
 * write each finding once, and the run's counts are counted from these rows, never kept apart.
 */
export const reconciliationItems = pgTable(
  'reconciliation_items',
  {
    id: text('id').primaryKey(),
    runId: text('run_id')
      .notNull()
      .references(() => reconciliationRuns.id),
    payoutId: text('payout_id'),
    referenceId: text('reference_id'),
    providerPayoutId: text('provider_payout_id'),
    /** `matched`, or the drift: `status_mismatch`, `amount_mismatch`, `fee_mismatch`, … */
    reason: text('reason').notNull(),
    /** Our side and the provider's, as the API shows them (amounts as decimal strings). */
    ours: jsonb('ours').$type<Record<string, unknown>>(),
    theirs: jsonb('theirs').$type<Record<string, unknown>>(),
    /** An operator's resolution: when, which key, and the note. */
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
    resolvedBy: text('resolved_by'),
    resolutionNote: text('resolution_note'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('reconciliation_items_payout_idx').on(t.runId, t.payoutId).where(sql`payout_id is not null`),
    uniqueIndex('reconciliation_items_unknown_idx').on(t.runId, t.providerPayoutId).where(sql`payout_id is null`),
    index('reconciliation_items_run_reason_idx').on(t.runId, t.reason, t.id),
  ],
);
