import type { CanonicalPayout, ProviderPayoutState } from '../../src/contract/index.ts';
import { toOutcome } from './status.ts';
import type { CreatePayoutRequest, ExamplePayout } from './wire.ts';

/** Our payout id is the reference: unique at Example Pay, the same on every retry. */
export const referenceFor = (payout: CanonicalPayout) => payout.id;

export function toCreatePayoutRequest(payout: CanonicalPayout): CreatePayoutRequest {
  return {
    amount: Number(payout.amount),
    currency: 'USD',
    reference: referenceFor(payout),
    account: payout.beneficiary.account_number ?? '',
  };
}

export function toPayoutState(wire: ExamplePayout): ProviderPayoutState {
  return {
    providerPayoutId: wire.id,
    outcome: toOutcome(wire.status),
    rawStatus: wire.status,
    fees: wire.fee == null ? null : BigInt(wire.fee),
  };
}
