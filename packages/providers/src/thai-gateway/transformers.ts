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
 * How the gateway's `amount` string is read (`THAI_GATEWAY_AMOUNT_UNIT`). The page contradicts
 * itself: its table says `"1000.00" = 10.00 THB` (the number counts satang, written with two
 * decimals), while the field is an "Amount as decimal string" and every other example reads as
 * baht. `baht` (the default): major units with two decimals, "1000.00" = 1000 THB = 100000 satang
 * (ASSUMPTIONS.md). `satang`: the page's literal reading, "1000.00" = 1000 satang = 10.00 THB. The
 * adapter, the ledger (which posts our minor units, what the adapter read) and the sandbox all
 * follow the one setting; a reconciliation run reports both readings of every amount the gateway
 * states, so the first run against the real gateway settles which is right.
 */
export const THAI_GATEWAY_AMOUNT_UNITS = ['baht', 'satang'] as const;
export type ThaiGatewayAmountUnit = (typeof THAI_GATEWAY_AMOUNT_UNITS)[number];

/** A wire amount in the `satang` reading: a whole number, with `.00` or `.0` or no decimals. */
const SATANG_PATTERN = /^(\d+)(\.0{1,2})?$/;

/** THE amount conversion, our satang → the wire, in one place. */
export function toWireAmount(satang: bigint, unit: ThaiGatewayAmountUnit = 'baht'): string {
  if (satang <= 0n) throw new RangeError(`withdraw amount must be positive, got ${satang} satang`);
  return unit === 'baht' ? toMajorString(satang, 'THB') : `${satang}.00`;
}

/**
 * The inverse of `toWireAmount`: "1000.00" → 100000n satang (`baht`) or 1000n (`satang`). Throws
 * on anything the reading cannot hold exactly (a fraction of a satang).
 */
export function fromWireAmount(amount: string, unit: ThaiGatewayAmountUnit = 'baht'): bigint {
  if (unit === 'baht') return fromMajorString(amount, 'THB');
  const match = SATANG_PATTERN.exec(amount);
  if (!match?.[1]) throw new RangeError(`"${amount}" is not a whole number of satang`);
  return BigInt(match[1]);
}

/** Both readings of a wire amount (null where one cannot hold it), for reconciliation reports. */
export function amountReadings(amount: string): Record<ThaiGatewayAmountUnit, bigint | null> {
  const read = (unit: ThaiGatewayAmountUnit) => {
    try {
      return fromWireAmount(amount, unit);
    } catch {
      return null;
    }
  };
  return { baht: read('baht'), satang: read('satang') };
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
export function toCreateWithdrawRequest(
  payout: CanonicalPayout,
  unit: ThaiGatewayAmountUnit = 'baht',
): CreateWithdrawRequest {
  const { beneficiary } = payout;
  const description = descriptionOf(payout);
  const metadata: Record<string, string> = {
    ...(payout.metadata ?? {}),
    // Ours last: a metadata key of the same name cannot displace it (validate refuses one anyway).
    ...(payout.referenceId != null ? { [REFERENCE_METADATA_KEY]: payout.referenceId } : {}),
  };
  return createWithdrawRequestSchema.parse({
    amount: toWireAmount(payout.amount, unit),
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
export function toPayoutState(wire: ThaiGatewayWithdraw, unit: ThaiGatewayAmountUnit = 'baht'): ProviderPayoutState {
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
      amount: fromWireAmount(wire.amount, unit),
      currency: wire.currency,
      payoutId: wire.referenceId ?? null,
      feeCurrency: null,
      amountReadings: amountReadings(wire.amount),
    },
  };
}

/** Our reference as the gateway echoes it back: the `referenceId` we sent (our payout id). */
export function referenceOf(wire: ThaiGatewayWithdraw): string | null {
  return wire.referenceId ?? null;
}
