import { integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** A currency whose wallet could not cover a run (amounts plus fee reserves), minor units as strings. */
export interface BatchShortfall {
  currency: string;
  needed: string;
  available: string;
}

/**
 * A scheduled run's wallet pre-flight, checked twice (docs/batches.md): at the upload, where a
 * shortfall is reported and not refused (the wallet may be funded by then), and when it is due,
 * once, before any of its payouts is released; that second check decides the run.
 */
export interface BatchSchedulePreflight {
  shortfalls_at_upload: BatchShortfall[];
  /** Null until the run is due. */
  due: { checked_at: string; shortfalls: BatchShortfall[] } | null;
}

import { tenants } from './tenants.ts';

/** A row a batch upload refused, with the field and why (the request's own field names). */
export interface BatchRowError {
  row: number;
  field: string;
  message: string;
  /** What the row gave as its `reference_id` (valid or not), echoed in the results CSV. */
  reference_id?: string;
}

/**
 * A salary or refund run uploaded at once (JSON items or a CSV file). Its payouts carry
 * `batch_id` and their row number; their live states are counted from the payouts themselves.
 */
export const payoutBatches = pgTable('payout_batches', {
  id: text('id').primaryKey(),
  tenantId: text('tenant_id')
    .notNull()
    .references(() => tenants.id),
  /** `all_or_nothing`: any invalid row refuses the upload; `accept_valid`: the rest go ahead. */
  mode: text('mode', { enum: ['all_or_nothing', 'accept_valid'] }).notNull(),
  /** What the pre-flight did when the wallet could not cover the run: `refuse`, or `queue` the payouts. */
  onInsufficientFunds: text('on_insufficient_funds', { enum: ['refuse', 'queue'] }).notNull(),
  source: text('source', { enum: ['json', 'csv'] }).notNull(),
  totalRows: integer('total_rows').notNull(),
  acceptedRows: integer('accepted_rows').notNull(),
  rejectedRows: integer('rejected_rows').notNull(),
  /** Every refused row (accept_valid mode), for the results export. */
  rowErrors: jsonb('row_errors').$type<BatchRowError[]>().notNull(),
  /** Pre-flight totals: [{currency, provider, count, amount}] with amounts in minor units as strings. */
  totals: jsonb('totals').$type<{ currency: string; provider: string; count: number; amount: string }[]>().notNull(),
  /** When every payout of the run enters the normal flow; null for a run released at once. */
  scheduledFor: timestamp('scheduled_for', { withTimezone: true }),
  /** A scheduled run's pre-flight at upload and when due; null for a run released at once. */
  schedulePreflight: jsonb('schedule_preflight').$type<BatchSchedulePreflight>(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});
