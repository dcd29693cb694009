import { maskAccountNumber, toJsonAmount } from '@payouts/core';
import type { payouts } from '@payouts/db';

type PayoutRow = typeof payouts.$inferSelect;

/** The public payout object (DESIGN §5). Account numbers are masked; nothing else is secret. */
export function payoutResource(row: PayoutRow) {
  const { account_number, ...beneficiary } = row.beneficiary;
  return {
    id: row.id,
    object: 'payout' as const,
    status: row.status,
    amount: toJsonAmount(row.amount),
    currency: row.currency,
    provider: row.provider,
    method: row.method,
    purpose: row.purpose,
    reference_id: row.referenceId,
    narration: row.narration,
    description: row.description,
    batch_id: row.batchId,
    beneficiary: { ...beneficiary, account_number: maskAccountNumber(account_number) },
    queue_if_low_balance: row.queueIfLowBalance,
    metadata: row.metadata ?? {},
    fees: row.fees === null ? null : toJsonAmount(row.fees),
    tax: row.tax === null ? null : toJsonAmount(row.tax),
    provider_payout_id: row.providerPayoutId,
    utr: row.utr,
    failure: row.failureCode ? { code: row.failureCode, message: row.failureMessage ?? '' } : null,
    queued_reason: row.queuedReason,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}
export type PayoutResource = ReturnType<typeof payoutResource>;
