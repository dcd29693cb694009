import { fromMajorString, toMajorString } from '@payouts/core';
import type { CanonicalPayout, ProviderOutcome, ProviderPayoutState } from '../contract/index.ts';
import { toOutcome } from './status.ts';
import {
  type CreateWithdrawRequest,
  createWithdrawRequestSchema,
  THAI_GATEWAY_LIMITS,
  type ThaiGatewayWithdraw,
} from './wire.ts';

/** Canonical ⇄ Thai gateway wire. The only place amounts change units. */

/** The metadata key carrying the client's own `reference_id` (ours, the payout id, is `referenceId`). */
export const REFERENCE_METADATA_KEY = 'reference_id';

/**
 * THE amount conversion, both ways, in one place because the page contradicts itself: its table
 * says `"1000.00" = 10.00 THB` (satang written with two decimals), while the field is an "Amount as
 * decimal string" and every other example reads as baht. We read it as baht, major units with two
 * decimals: "1000.00" = 1000 THB = 100000 satang (ASSUMPTIONS.md). Should the gateway confirm the
 * other reading, these two functions are all that changes.
 */
export function toWireAmount(satang: bigint): string {
  if (satang <= 0n) throw new RangeError(`withdraw amount must be positive, got ${satang} satang`);
  return toMajorString(satang, 'THB');
}

/** The inverse of `toWireAmount`: "1000.00" → 100000n satang. Throws on anything not a decimal. */
export function fromWireAmount(amount: string): bigint {
  return fromMajorString(amount, 'THB');
}

/**
 * The `referenceId` we send, and therefore the one we look up by: our payout id, which is unique
 * and fits the gateway's alphabet (`po_…`). The client's own reference travels in the metadata.
 * An id outside that alphabet is our bug (ids are minted by us), so it throws.
 */
export function referenceFor(payout: CanonicalPayout): string {
  if (!THAI_GATEWAY_LIMITS.referenceIdPattern.test(payout.id)) {
    throw new RangeError(`payout id ${payout.id} is not 1-255 characters of [A-Za-z0-9_.-]`);
  }
  return payout.id;
}

/** `description` on the wire: the payout's description, else its narration. */
export function descriptionOf(payout: CanonicalPayout): string | null {
  return payout.description ?? payout.narration ?? null;
}

/**
 * The `POST /api/v1/withdraws` body. The adapter validates first; the schema parse at the end is
 * an assertion that we never send a body the page says the gateway would refuse (a failure is a
 * bug). Key order follows the schema, which follows the page's example.
 */
export function toCreateWithdrawRequest(payout: CanonicalPayout): CreateWithdrawRequest {
  const { beneficiary } = payout;
  const description = descriptionOf(payout);
  const metadata: Record<string, string> = {
    ...(payout.metadata ?? {}),
    // Ours last: a metadata key of the same name cannot displace it (validate refuses one anyway).
    ...(payout.referenceId != null ? { [REFERENCE_METADATA_KEY]: payout.referenceId } : {}),
  };
  return createWithdrawRequestSchema.parse({
    amount: toWireAmount(payout.amount),
    currency: payout.currency,
    referenceId: referenceFor(payout),
    destinationType: payout.method,
    customerBankAccountName: beneficiary.name,
    customerBankAccountNumber: beneficiary.account_number,
    customerBankCode: beneficiary.bank_code,
    ...(description != null ? { description } : {}),
    ...(Object.keys(metadata).length > 0 ? { metadata } : {}),
    idempotencyKey: payout.idempotencyKey,
  });
}

/** Outcomes after which a failure reason is meaningful (`reversed`: why the bank returned it). */
const FAILURE_OUTCOMES: ReadonlySet<ProviderOutcome> = new Set(['failed', 'rejected', 'reversed', 'cancelled']);

/**
 * The withdraw object → our state. The gateway documents no fees, no tax and no bank reference
 * (UTR) on a withdraw, so those stay null rather than a guessed zero.
 */
export function toPayoutState(wire: ThaiGatewayWithdraw): ProviderPayoutState {
  const outcome = toOutcome(wire.status);
  return {
    providerPayoutId: wire.id,
    outcome,
    rawStatus: wire.status,
    fees: null,
    tax: null,
    utr: null,
    failure: FAILURE_OUTCOMES.has(outcome)
      ? { code: wire.status, message: wire.failureReason || `Thai gateway withdraw ${wire.status} without a reason` }
      : null,
    // No provider-side queue: a short balance is an INSUFFICIENT_BALANCE error at create.
    queuedReason: null,
    // `referenceId` is our payout id (referenceFor). The gateway names no fees.
    stated: {
      amount: fromWireAmount(wire.amount),
      currency: wire.currency,
      payoutId: wire.referenceId ?? null,
      feeCurrency: null,
    },
  };
}

/** Our reference as the gateway echoes it back: the `referenceId` we sent (our payout id). */
export function referenceOf(wire: ThaiGatewayWithdraw): string | null {
  return wire.referenceId ?? null;
}
