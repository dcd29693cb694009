import { toJsonAmount } from '@payouts/core';
import type { CanonicalPayout, ProviderOutcome, ProviderPayoutState } from '../contract/index.ts';
import { toOutcome } from './status.ts';
import { type CreatePayoutRequest, createPayoutRequestSchema, DRUO_LIMITS, type DruoPayout } from './wire.ts';

/**
 * Canonical ⇄ DRUO wire. The only place amounts change units; DRUO counts in minor units (cents,
 * COP centavos), as we do, so the change is bigint ⇄ JSON number, refused when it would lose
 * precision.
 */

/**
 * The `primary_reference` we send, and therefore the one we look up by: our payout id, unique per
 * payout (29 characters, within DRUO's 40). The client's own `reference_id` need not be unique, so
 * it travels as `secondary_reference` and is never used to find a payout.
 */
export function referenceFor(payout: CanonicalPayout): string {
  if (payout.id.length === 0 || payout.id.length > DRUO_LIMITS.referenceMaxLength) {
    // Ingestion mints our ids; one DRUO cannot store is our bug, and a truncated one could match
    // someone else's payout.
    throw new RangeError(
      `payout id ${payout.id} does not fit DRUO's ${DRUO_LIMITS.referenceMaxLength}-character reference`,
    );
  }
  return payout.id;
}

/**
 * The `POST /payouts/create` body. `tenant_id` is DRUO's originator tenant (a merchant setting),
 * not our tenant. The adapter validates first; the schema parse at the end is an assertion that we
 * never send a body the page says DRUO would refuse (a failure is a bug).
 */
export function toCreatePayoutRequest(payout: CanonicalPayout, tenantId: string): CreatePayoutRequest {
  const description = payout.description ?? payout.narration;
  return createPayoutRequestSchema.parse({
    tenant_id: tenantId,
    amount: toJsonAmount(payout.amount),
    destination_account_id: payout.beneficiary.provider_account_id,
    currency: payout.currency,
    ...(description != null ? { description } : {}),
    primary_reference: referenceFor(payout),
    ...(payout.referenceId != null ? { secondary_reference: payout.referenceId } : {}),
    ...(payout.metadata != null ? { metadata: { ...payout.metadata } } : {}),
  });
}

/**
 * `decline_reason` spellings that mean DRUO's float cannot cover the payout. The page's field
 * example misspells it (`INSUFFICCIENT_FUNDS`) while `remarks` spells it right: both are read.
 */
const INSUFFICIENT_FUNDS_REASONS: ReadonlySet<string> = new Set(['INSUFFICIENT_FUNDS', 'INSUFFICCIENT_FUNDS']);

/** The reason DRUO gives for a decline or failure: `decline_reason`, else `remarks`. */
function reasonOf(wire: DruoPayout): string | null {
  return wire.decline_reason || wire.remarks || null;
}

/**
 * A transaction DRUO created already DECLINED because our balance at DRUO could not fund it. Such a
 * transaction never paid and never will (a decline is final), so the adapter treats it as "no
 * payout": `submit` reports low balance, `lookupByReference` skips it. See ASSUMPTIONS.md.
 */
export function isDeclinedForFunds(wire: DruoPayout): boolean {
  const reason = reasonOf(wire);
  return wire.status === 'DECLINED' && reason !== null && INSUFFICIENT_FUNDS_REASONS.has(reason);
}

/** Outcomes after which a failure reason is meaningful (`reversed`: why the bank returned it). */
const FAILURE_OUTCOMES: ReadonlySet<ProviderOutcome> = new Set(['failed', 'rejected', 'reversed', 'cancelled']);

export function toPayoutState(wire: DruoPayout): ProviderPayoutState {
  const outcome = toOutcome(wire.status);
  return {
    providerPayoutId: wire.uuid,
    outcome,
    rawStatus: wire.status,
    // `total_fee` = fixed + variable, in the transaction's minor units; DRUO names no tax.
    fees: wire.total_fee == null ? null : BigInt(wire.total_fee),
    tax: null,
    // DRUO's `code` is its own short id for the transaction, not a bank reference: no UTR.
    utr: null,
    failure: FAILURE_OUTCOMES.has(outcome) ? failureOf(wire) : null,
    // DRUO never holds a payout for funds: it declines it (see isDeclinedForFunds).
    queuedReason: null,
    // Minor units of the currency it names; `primary_reference` is our payout id (referenceFor).
    stated: {
      amount: BigInt(wire.amount),
      currency: wire.currency.code,
      payoutId: wire.primary_reference ?? null,
      feeCurrency: wire.total_fee == null ? null : wire.currency.code,
    },
  };
}

/** Always says something: the status itself when DRUO gives no reason. */
function failureOf(wire: DruoPayout): { code: string; message: string } {
  const reason = reasonOf(wire);
  const code = reason ?? wire.status;
  const remarks = wire.remarks;
  const message =
    remarks && remarks !== code
      ? remarks
      : reason
        ? `DRUO payout ${wire.status}: ${reason}`
        : `DRUO payout ${wire.status} without a reason`;
  return { code, message };
}
