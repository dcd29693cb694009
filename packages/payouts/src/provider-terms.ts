import type { PayoutStatus } from '@payouts/core';

/**
 * The terms a provider stated in one answer, as the job carrying it has them (minor units as
 * decimal strings): what it says it pays, in which currency, for which of our payouts, and in
 * which currency it charges fees and tax. A null field is one the provider did not state.
 */
export interface StatedTerms {
  amount: string | null;
  currency: string | null;
  payoutId: string | null;
  feeCurrency: string | null;
}

/** What in a provider's answer disagrees with the payout. */
export type TermsField = 'amount' | 'currency' | 'payout_id' | 'fee_currency';

export interface TermsMismatch {
  field: TermsField;
  ours: string;
  theirs: string;
}

/** States whose answer carries fees and tax we would post (or return). */
const CHARGED: ReadonlySet<PayoutStatus> = new Set(['processed', 'reversed']);

/**
 * Compares a provider's answer with the payout it is about. Anything the provider stated that is
 * not what we asked is a mismatch: a different amount or currency, another payout's id, or (when
 * the answer is one we post fees from) fees in another currency. The reconciler acts on an answer
 * only when this is empty, so a provider paying other terms than ours never reaches the ledger.
 */
export function termsMismatches(
  payout: { id: string; amount: bigint; currency: string },
  stated: StatedTerms | null | undefined,
  outcome: PayoutStatus,
): TermsMismatch[] {
  if (!stated) return [];
  const found: TermsMismatch[] = [];
  if (stated.amount !== null && BigInt(stated.amount) !== payout.amount) {
    found.push({ field: 'amount', ours: payout.amount.toString(), theirs: stated.amount });
  }
  if (stated.currency !== null && stated.currency !== payout.currency) {
    found.push({ field: 'currency', ours: payout.currency, theirs: stated.currency });
  }
  if (stated.payoutId !== null && stated.payoutId !== payout.id) {
    found.push({ field: 'payout_id', ours: payout.id, theirs: stated.payoutId });
  }
  if (CHARGED.has(outcome) && stated.feeCurrency !== null && stated.feeCurrency !== payout.currency) {
    found.push({ field: 'fee_currency', ours: payout.currency, theirs: stated.feeCurrency });
  }
  return found;
}

/** How a mismatch reads in the payout's `failure.message`: both values of each field. */
export function describeMismatches(mismatches: readonly TermsMismatch[]): string {
  const parts = mismatches.map((m) => `${m.field}: ours ${m.ours}, provider's ${m.theirs}`);
  return `The provider's answer does not match the payout (${parts.join('; ')}); nothing was posted.`;
}
