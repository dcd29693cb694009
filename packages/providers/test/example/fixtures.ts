import type { CanonicalPayout } from '../../src/contract/index.ts';

export const OUR_PAYOUT_ID = 'po_01JEXAMPLE0000000000000000';

/** A payout Example Pay's rules accept. */
export function pagePayout(overrides: Partial<CanonicalPayout> = {}): CanonicalPayout {
  return {
    id: OUR_PAYOUT_ID,
    amount: 2500n,
    currency: 'USD',
    method: 'bank_account',
    beneficiary: { name: 'Ada Lovelace', account_number: '000123456789' },
    queueIfLowBalance: false,
    idempotencyKey: OUR_PAYOUT_ID,
    ...overrides,
  };
}
