import type { payouts } from '@payouts/db';
import type { CanonicalPayout } from '@payouts/providers';

/** A payout as stored. */
export type PayoutRow = typeof payouts.$inferSelect;
/** A payout to insert, as the API builds it from a validated request. */
export type NewPayout = typeof payouts.$inferInsert;

/** The payout as its provider adapter sees it: what is sent, never our bookkeeping. */
export function toCanonical(row: PayoutRow): CanonicalPayout {
  return {
    id: row.id,
    amount: row.amount,
    currency: row.currency,
    method: row.method,
    purpose: row.purpose,
    purposeRegistered: row.purposeRegistered,
    referenceId: row.referenceId,
    narration: row.narration,
    description: row.description,
    beneficiary: row.beneficiary,
    queueIfLowBalance: row.queueIfLowBalance,
    metadata: row.metadata,
    idempotencyKey: row.providerIdempotencyKey,
    beneficiaryId: row.beneficiaryId,
    beneficiaryType: row.beneficiaryType,
  };
}

/**
 * The row as Postgres will hold it right after the insert, defaults filled in: the single-payout
 * path answers from it without reading the row back, and inserts it exactly, times included, so
 * the stored row and the first response agree to the millisecond.
 */
export function acceptedRecord(row: NewPayout, now: Date): PayoutRow {
  return {
    ...row,
    // `accepted`; `scheduled` for a payout created with a scheduled_for (payoutRow decides);
    // `pending_approval` when an approval policy caught it (its scheduled_for is kept for later).
    status: row.status ?? 'accepted',
    scheduledFor: row.scheduledFor ?? null,
    queuedReason: null,
    purpose: row.purpose ?? null,
    purposeRegistered: row.purposeRegistered ?? false,
    referenceId: row.referenceId ?? null,
    referenceGuarded: row.referenceGuarded ?? false,
    narration: row.narration ?? null,
    description: row.description ?? null,
    queueIfLowBalance: row.queueIfLowBalance ?? false,
    metadata: row.metadata ?? null,
    batchId: row.batchId ?? null,
    batchRow: row.batchRow ?? null,
    beneficiaryId: row.beneficiaryId ?? null,
    beneficiaryVersion: row.beneficiaryVersion ?? null,
    beneficiaryType: row.beneficiaryType ?? null,
    attempt: 1,
    replays: 0,
    railFallback: row.railFallback ?? null,
    route: row.route ?? null,
    routeFallbackOn: row.routeFallbackOn ?? null,
    providerPayoutId: null,
    providerStatus: null,
    utr: null,
    fees: null,
    tax: null,
    feeReserve: row.feeReserve ?? 0n,
    failureCode: null,
    failureMessage: null,
    version: 0,
    historyHash: row.historyHash ?? null,
    createdAt: now,
    updatedAt: now,
  };
}
