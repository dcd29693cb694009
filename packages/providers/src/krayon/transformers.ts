import { fromMajorString, toMajorString } from '@payouts/core';
import type { CanonicalPayout, ProviderOutcome, ProviderPayoutState, ProviderStatedTerms } from '../contract/index.ts';
import { toOutcome } from './status.ts';
import {
  type CreateWithdrawalRequest,
  createWithdrawalRequestSchema,
  type KrayonDeposit,
  type KrayonPaymentMethod,
  WITHDRAWAL_TYPE,
} from './wire.ts';

/**
 * Canonical ⇄ Krayon wire. The only place amounts change units: Krayon counts in rupees, a string
 * on the request ("500") and numbers on the response (`amount`, `payment_fee`), we in paise.
 */

const DEFAULT_COUNTRY = 'IN';

/**
 * The `reference_id` we send and look up by: OUR payout id, never the client's reference. Krayon
 * keeps it unique per organisation (assumed), which is what makes a lookup by it conclusive and a
 * second create with it a duplicate rather than a second withdrawal.
 */
export function referenceFor(payout: CanonicalPayout): string {
  return payout.id;
}

/** 50000n → "500", 50050n → "500.5", 50055n → "500.55": the shortest exact form, as the page's `"500"`. */
export function toKrayonAmount(amount: bigint): string {
  const major = toMajorString(amount, 'INR');
  return major.includes('.') ? major.replace(/0+$/, '').replace(/\.$/, '') : major;
}

/** A response's major-unit number (schema-checked to at most 2 decimals) → paise. */
export function fromKrayonAmount(amount: number): bigint {
  return fromMajorString(String(amount), 'INR');
}

/**
 * The withdrawal body. The adapter validates first; the schema parse at the end is an assertion
 * that we never send a body our own rules refuse (a failure is a bug).
 */
export function toCreateWithdrawalRequest(payout: CanonicalPayout): CreateWithdrawalRequest {
  const { beneficiary } = payout;
  const reference = referenceFor(payout);
  const description = payout.description ?? payout.narration;
  return createWithdrawalRequestSchema.parse({
    amount: toKrayonAmount(payout.amount),
    reference_id: reference,
    ...(description != null ? { description } : {}),
    currency: payout.currency,
    customer: {
      // A saved beneficiary is the same customer on every payout; an inline one is this payout's.
      reference_id: payout.beneficiaryId ?? reference,
      country_code: beneficiary.country ?? DEFAULT_COUNTRY,
      email: beneficiary.email,
      first_name: beneficiary.first_name,
      last_name: beneficiary.last_name,
      phone: beneficiary.phone,
      account_number: beneficiary.account_number,
    },
    billing_address: {
      country_code: beneficiary.address?.country ?? beneficiary.country ?? DEFAULT_COUNTRY,
      address_line1: beneficiary.address?.line1,
    },
    additional_parameters: {
      bank_code: beneficiary.bank_code,
      ...(beneficiary.bank_name ? { bank_name: beneficiary.bank_name } : {}),
    },
    payment_method: payout.method as KrayonPaymentMethod,
    type: WITHDRAWAL_TYPE,
  });
}

/** Our payout id as Krayon echoes it back. */
export function referenceOf(wire: KrayonDeposit): string | null {
  return wire.reference_id || null;
}

const FAILURE_OUTCOMES: ReadonlySet<ProviderOutcome> = new Set(['failed', 'rejected', 'reversed', 'cancelled']);

/**
 * The page documents no failure reason and no UTR, so a failure says only the status, and the
 * UTR stays null. Fees are `payment_fee` in paise (no tax is documented: null).
 */
export function toPayoutState(wire: KrayonDeposit): ProviderPayoutState {
  const outcome = toOutcome(wire.status);
  return {
    providerPayoutId: wire.id,
    outcome,
    rawStatus: wire.status,
    fees: wire.payment_fee == null ? null : fromKrayonAmount(wire.payment_fee),
    tax: null,
    utr: null,
    failure: FAILURE_OUTCOMES.has(outcome)
      ? { code: wire.status, message: `Krayon withdrawal ${wire.status} without a documented reason` }
      : null,
    // Krayon refuses a withdrawal it cannot fund instead of queueing it.
    queuedReason: null,
    // What Krayon says it pays: `amount` in major units of `currency` (its own example answers
    // 100.0 USDT to a 500 INR request, which the engine must refuse, not post); `reference_id` is
    // our payout id (referenceFor).
    stated: {
      amount: statedAmount(wire.amount),
      currency: wire.currency ?? null,
      payoutId: wire.reference_id ?? null,
      feeCurrency: wire.payment_fee == null ? null : (wire.currency ?? null),
      ...feeReadingsOf(wire),
    },
  };
}

/**
 * Krayon's amount and fee under both fee modes, and its `net_amount`: with the fee on top the
 * beneficiary gets the amount and the balance pays amount + fee; deducted, the beneficiary gets
 * amount − fee and the balance pays the amount. Absent when either is not an exact rupee amount.
 */
function feeReadingsOf(wire: KrayonDeposit): Pick<ProviderStatedTerms, 'feeReadings'> {
  const amount = statedAmount(wire.amount);
  const fee = wire.payment_fee == null ? null : statedAmount(wire.payment_fee);
  if (amount === null || fee === null) return {};
  return {
    feeReadings: {
      netAmount: wire.net_amount == null ? null : statedAmount(wire.net_amount),
      readings: {
        on_top: { paidOut: amount, debited: amount + fee },
        deducted: { paidOut: amount - fee, debited: amount },
      },
    },
  };
}

/** The answer's amount in paise, or null when it is not an exact rupee amount (then it is not compared). */
function statedAmount(amount: number): bigint | null {
  try {
    return fromKrayonAmount(amount);
  } catch {
    return null;
  }
}
