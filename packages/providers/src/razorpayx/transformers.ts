import { toJsonAmount } from '@payouts/core';
import type { CanonicalPayout, ProviderOutcome, ProviderPayoutState } from '../contract/index.ts';
import { toOutcome } from './status.ts';
import { type CreatePayoutRequest, createPayoutRequestSchema, RAZORPAYX_LIMITS, type RazorpayxPayout } from './wire.ts';

/**
 * Canonical ⇄ RazorpayX wire. The only place amounts change units; RazorpayX counts in paise, as we
 * do, so the change is bigint ⇄ JSON number, refused when it would lose precision.
 */

/** The notes key carrying our payout id, so a lookup by reference can tell our payout from others. */
export const PAYOUT_ID_NOTE = 'payout_id';

/** The `reference_id` we send, and therefore the one we look up by. */
export function referenceFor(payout: CanonicalPayout): string {
  return payout.referenceId ?? payout.id;
}

/**
 * The X-Payout-Idempotency value. The key is minted once at ingestion, so every retry and replay
 * sends the same one and RazorpayX answers with the first payout instead of creating a second.
 * A key RazorpayX would refuse is our bug (ingestion mints it), so it throws.
 */
export function idempotencyKeyFor(payout: CanonicalPayout): string {
  if (!RAZORPAYX_LIMITS.idempotencyKeyPattern.test(payout.idempotencyKey)) {
    throw new RangeError(`idempotency key of ${payout.id} is not 4-36 characters of [A-Za-z0-9_- ]`);
  }
  return payout.idempotencyKey;
}

/**
 * The `POST /v1/payouts` body. The adapter validates first; the schema parse at the end is an
 * assertion that we never send a body the page says RazorpayX would refuse (a failure is a bug).
 */
export function toCreatePayoutRequest(payout: CanonicalPayout, accountNumber: string): CreatePayoutRequest {
  const { beneficiary } = payout;
  const destination = beneficiary.provider_account_id
    ? { fund_account_id: beneficiary.provider_account_id }
    : {
        // Composite payout: RazorpayX creates the contact and fund account with the payout.
        fund_account: {
          account_type: 'bank_account',
          bank_account: {
            name: beneficiary.name,
            ifsc: beneficiary.bank_code,
            account_number: beneficiary.account_number,
          },
          contact: {
            name: beneficiary.name,
            ...(beneficiary.email ? { email: beneficiary.email } : {}),
            ...(beneficiary.phone ? { contact: beneficiary.phone } : {}),
            // The payout's beneficiary type when it has one (RazorpayX's contact types are ours);
            // `vendor` when it has none, as before beneficiaries had types.
            type: payout.beneficiaryType ?? 'vendor',
          },
        },
      };
  return createPayoutRequestSchema.parse({
    account_number: accountNumber,
    ...destination,
    amount: toJsonAmount(payout.amount),
    currency: payout.currency,
    mode: payout.method,
    purpose: payout.purpose,
    queue_if_low_balance: payout.queueIfLowBalance,
    reference_id: referenceFor(payout),
    ...(payout.narration != null ? { narration: payout.narration } : {}),
    // Ours last: a metadata key of the same name cannot displace it (validate refuses one anyway).
    notes: { ...(payout.metadata ?? {}), [PAYOUT_ID_NOTE]: payout.id },
  });
}

/** Our payout id as RazorpayX echoes it back: the note we set, else the reference we sent. */
export function referenceOf(wire: RazorpayxPayout): string | null {
  const noted = wire.notes?.[PAYOUT_ID_NOTE];
  if (typeof noted === 'string' && noted.length > 0) return noted;
  return wire.reference_id ?? null;
}

/** Outcomes after which a failure reason is meaningful (`reversed`: why the bank returned it). */
const FAILURE_OUTCOMES: ReadonlySet<ProviderOutcome> = new Set(['failed', 'rejected', 'reversed', 'cancelled']);

export function toPayoutState(wire: RazorpayxPayout): ProviderPayoutState {
  const outcome = toOutcome(wire.status);
  // RazorpayX's `fees` includes the GST on the fee (page: fees 590, tax 90): split them so the
  // ledger posts the fee and the tax to their own accounts without counting the tax twice.
  const tax = wire.tax == null ? null : BigInt(wire.tax);
  const fees = wire.fees == null ? null : BigInt(wire.fees) - (tax ?? 0n);
  return {
    providerPayoutId: wire.id,
    outcome,
    rawStatus: wire.status,
    fees,
    tax,
    utr: wire.utr ?? null,
    failure: FAILURE_OUTCOMES.has(outcome) ? failureOf(wire) : null,
    // RazorpayX queues a payout only for balance (queue_if_low_balance, or the optional low-balance
    // threshold), so every `queued` is read as our float at RazorpayX being short.
    queuedReason: outcome === 'queued' ? 'provider_low_balance' : null,
    // What RazorpayX says it pays: paise, as we count; fees and tax are charged in the payout's
    // currency (the page: "deducted from your account balance"). Our payout id is the note we set.
    stated: {
      amount: BigInt(wire.amount),
      currency: wire.currency,
      payoutId: payoutIdNoted(wire),
      feeCurrency: wire.fees == null && wire.tax == null ? null : wire.currency,
      createdAt: wire.created_at == null ? null : wire.created_at * 1000,
    },
  };
}

/** Our payout id from the notes, or null: a payout created outside the engine carries none. */
function payoutIdNoted(wire: RazorpayxPayout): string | null {
  const noted = wire.notes?.[PAYOUT_ID_NOTE];
  return typeof noted === 'string' && noted.length > 0 ? noted : null;
}

/**
 * `status_details` first (the current field), then the deprecated `failure_reason`, then the
 * embedded `error`; the status itself when RazorpayX gives no reason, so a failure always says something.
 */
function failureOf(wire: RazorpayxPayout): { code: string; message: string } {
  const details = wire.status_details;
  const code = details?.reason || wire.error?.reason || wire.status;
  const message =
    details?.description ||
    wire.failure_reason ||
    wire.error?.description ||
    `RazorpayX payout ${wire.status} without a reason`;
  return { code, message };
}
