import { type Currency, FINAL_STATUSES, jsonAmount, maskAccountNumber, type PayoutStatus } from '@payouts/core';
import type { BatchSchedulePreflight, BatchShortfall, payoutBatches } from '@payouts/db';
import type { PayoutRow } from './rows.ts';

/**
 * The public objects (docs/api.md), as the API answers them and as outbound webhooks carry them.
 * The API and the reconciler (which writes webhook events in the transaction of each change)
 * serialize with this same code: a webhook's `data` is exactly what `GET` would have answered at
 * that version.
 */
type BatchRow = typeof payoutBatches.$inferSelect;

/**
 * A payout's fees and tax as its wallet is charged for them (docs/api.md), the same in the API,
 * outbound webhooks and a batch's results.csv. The row keeps what the provider said, which is
 * what `processed` posts; but a payout that failed, was rejected or cancelled had its hold
 * released in full, and a reversal returned amount, fees and tax: the wallet paid no fees.
 * In flight nothing is charged yet, and the provider's word so far (or null) is what
 * `processed` will charge.
 */
export function chargedFees(row: Pick<PayoutRow, 'status' | 'fees' | 'tax'>): {
  fees: bigint | null;
  tax: bigint | null;
} {
  switch (row.status) {
    case 'processed':
      return { fees: row.fees ?? 0n, tax: row.tax ?? 0n };
    case 'failed':
    case 'rejected':
    case 'cancelled':
    case 'reversed':
      return { fees: 0n, tax: 0n };
    default:
      return { fees: row.fees, tax: row.tax };
  }
}

/** The public payout object. Account numbers are masked; nothing else is secret. */
export function payoutResource(row: PayoutRow) {
  const { account_number, ...beneficiary } = row.beneficiary;
  const charged = chargedFees(row);
  return {
    id: row.id,
    object: 'payout' as const,
    status: row.status,
    amount: jsonAmount(row.amount),
    currency: row.currency,
    provider: row.provider,
    method: row.method,
    purpose: row.purpose,
    reference_id: row.referenceId,
    narration: row.narration,
    description: row.description,
    batch_id: row.batchId,
    beneficiary: { ...beneficiary, account_number: maskAccountNumber(account_number) },
    beneficiary_id: row.beneficiaryId,
    beneficiary_version: row.beneficiaryVersion,
    beneficiary_type: row.beneficiaryType,
    queue_if_low_balance: row.queueIfLowBalance,
    rail_fallback: row.railFallback,
    route: row.route ?? null,
    attempt: row.attempt,
    metadata: row.metadata ?? {},
    fees: charged.fees === null ? null : jsonAmount(charged.fees),
    tax: charged.tax === null ? null : jsonAmount(charged.tax),
    provider_payout_id: row.providerPayoutId,
    utr: row.utr,
    failure: row.failureCode ? { code: row.failureCode, message: row.failureMessage ?? '' } : null,
    queued_reason: row.queuedReason,
    // When a payout created with one enters (or entered) the normal flow; null otherwise.
    scheduled_for: row.scheduledFor ? row.scheduledFor.toISOString() : null,
    // Grows by one on every state change: orders two states of one payout even within a millisecond
    // (webhook receivers keep the highest they have seen).
    version: row.version,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}
export type PayoutResource = ReturnType<typeof payoutResource>;

/** A batch as uploaded: what `POST /v1/payout-batches` answers. */
export function batchResource(b: BatchRow) {
  return {
    id: b.id,
    object: 'payout_batch' as const,
    status: b.scheduledFor ? ('scheduled' as const) : ('accepted' as const),
    mode: b.mode,
    on_insufficient_funds: b.onInsufficientFunds,
    source: b.source,
    rows: { total: b.totalRows, accepted: b.acceptedRows, rejected: b.rejectedRows },
    totals: b.totals.map((t) => ({ ...t, amount: jsonAmount(BigInt(t.amount)) })),
    scheduled_for: b.scheduledFor ? b.scheduledFor.toISOString() : null,
    preflight: b.schedulePreflight ? schedulePreflightResource(b.schedulePreflight) : null,
    created_at: b.createdAt.toISOString(),
  };
}

/** A scheduled run's two wallet pre-flights (docs/batches.md), amounts as integers of minor units. */
function schedulePreflightResource(p: BatchSchedulePreflight) {
  const shortfalls = (list: BatchShortfall[]) =>
    list.map((s) => ({
      currency: s.currency,
      needed: jsonAmount(BigInt(s.needed)),
      available: jsonAmount(BigInt(s.available)),
    }));
  return {
    shortfalls_at_upload: shortfalls(p.shortfalls_at_upload),
    due: p.due ? { checked_at: p.due.checked_at, shortfalls: shortfalls(p.due.shortfalls) } : null,
  };
}

/** One group of a batch's payouts, by state and currency (a `GROUP BY status, currency`). */
export interface BatchStatusGroup {
  status: PayoutStatus;
  currency: Currency;
  count: number;
  /** Sum of amounts in minor units, as text (a bigint sum). */
  amount: string;
  /** The latest `updated_at` in the group. */
  last: Date | string;
}

/**
 * A batch with its live progress, as `GET /v1/payout-batches/{id}` answers it: `completed` once
 * every accepted payout is final (processed, failed, rejected, cancelled or reversed).
 */
export function batchStatusResource(batch: BatchRow, groups: BatchStatusGroup[], now: Date = new Date()) {
  const counts: Record<string, number> = {};
  const amounts: Record<string, Record<string, number | string>> = {};
  let final = 0;
  let last = batch.createdAt.getTime();
  for (const r of groups) {
    counts[r.status] = (counts[r.status] ?? 0) + r.count;
    const byStatus = amounts[r.currency] ?? {};
    amounts[r.currency] = byStatus;
    byStatus[r.status] = jsonAmount(BigInt(r.amount));
    if (FINAL_STATUSES.has(r.status)) final += r.count;
    last = Math.max(last, new Date(r.last).getTime());
  }
  const done = final === batch.acceptedRows;
  // A run waits for its approvals as a whole: while any payout of it does, the run does. Scheduled
  // while every payout not yet final still waits for its time (none has entered the flow).
  const pendingApproval = (counts.pending_approval ?? 0) > 0;
  const scheduled = !done && (counts.scheduled ?? 0) === batch.acceptedRows - final;
  const status = pendingApproval ? 'pending_approval' : done ? 'completed' : scheduled ? 'scheduled' : 'processing';
  return {
    ...batchResource(batch),
    status: status as 'pending_approval' | 'completed' | 'scheduled' | 'processing',
    counts,
    amounts,
    progress: {
      final,
      total: batch.acceptedRows,
      percent: batch.acceptedRows ? Math.floor((final * 1000) / batch.acceptedRows) / 10 : 100,
    },
    completed_at: done ? new Date(last).toISOString() : null,
    elapsed_ms: (done ? last : now.getTime()) - batch.createdAt.getTime(),
  };
}
