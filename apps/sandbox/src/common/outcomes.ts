import type { ProviderConfig } from './config.ts';
import { chance, type Random } from './random.ts';

export const OUTCOMES = ['succeed', 'fail', 'reverse', 'hold'] as const;
/** What happens to a payout once the provider starts processing it. */
export type Outcome = (typeof OUTCOMES)[number];

/**
 * Like the test account numbers of real providers (docs/sandbox.md#test-accounts): the last four
 * characters of the beneficiary account (or of the provider-side account id) decide. `0003` holds
 * the payout in progress until the admin API settles it. Everything else is processed, except for
 * the configured random shares, which exist for chaos runs.
 */
export function decideOutcome(accountRef: string, config: ProviderConfig, random: Random): Outcome {
  switch (accountRef.slice(-4)) {
    case '0001':
      return 'fail';
    case '0002':
      return 'reverse';
    case '0003':
      return 'hold';
  }
  if (chance(random, config.failureShare)) return 'fail';
  if (chance(random, config.reversalShare)) return 'reverse';
  return 'succeed';
}
