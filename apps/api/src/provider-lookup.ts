import type { ProviderId } from '@payouts/core';
import { type PayoutRow, toCanonical } from '@payouts/payouts';
import { PROVIDERS, ProviderError, type ProviderPayoutState } from '@payouts/providers';
import { callWithinBudget, ProviderBudget, type ProviderReport } from '@payouts/queue';
import type { ApiDeps } from './deps.ts';
import { problems } from './problem.ts';

/**
 * Asking a payout's provider about it, as an operator's action does (a resolve, the replay of a
 * systemic failure): by its id there, or by our reference, with the keys the api has. The call
 * takes a token from the provider's budget like every worker's call, at the front of the line
 * (an operator is waiting), so an operator's lookups never take the provider past its rate.
 */

/** An operator's lookup waits this long at most for a token (a 429's pause): then a 503, nothing sent. */
const LOOKUP_MAX_WAIT_MS = 10_000;

/** What the provider said when asked; `cannot_tell` is no record, or no way to ask. */
export type Asked = { kind: 'answer'; state: ProviderPayoutState } | { kind: 'cannot_tell'; why: string };

/** Asks the payout's provider, by its id there or by our reference; a provider that is down is a 503 (ask again). */
export async function askProvider(deps: ApiDeps, row: PayoutRow): Promise<Asked> {
  const adapter = deps.adapters.get(row.provider);
  if (!adapter) return { kind: 'cannot_tell', why: `${row.provider} is not enabled on this deployment` };
  try {
    const budget = new ProviderBudget(deps.queues.connection, deps.queues.prefix, adapter.id, {
      ratePerSecond: providerRate(deps, adapter.id),
      maxWaitMs: LOOKUP_MAX_WAIT_MS,
    });
    const state = await callWithinBudget(budget, 'submit', () =>
      row.providerPayoutId ? adapter.lookupById(row.providerPayoutId) : adapter.lookupByReference(toCanonical(row)),
    );
    return state ? { kind: 'answer', state } : { kind: 'cannot_tell', why: 'no record of the payout' };
  } catch (error) {
    if (error instanceof ProviderError && (error.kind === 'not_found' || error.kind === 'unsupported')) {
      return {
        kind: 'cannot_tell',
        why: error.kind === 'not_found' ? 'no record of the payout' : 'it cannot be asked',
      };
    }
    throw problems.unavailable(
      `${row.provider} could not be asked about the payout (${error instanceof Error ? error.message : String(error)}); try again.`,
    );
  }
}

/** The provider's rate as the workers have it (`<PROVIDER>_RATE_PER_SECOND`), else its registered default. */
export function providerRate(deps: ApiDeps, provider: ProviderId): number {
  const configured = deps.providerRates?.get(provider);
  if (configured !== undefined) return configured;
  const registration = PROVIDERS.find((r) => r.id === provider);
  if (!registration) throw new Error(`no registration for provider "${provider}"`);
  return registration.worker.ratePerSecond;
}

export function reportOf(
  payoutId: string,
  state: Pick<ProviderPayoutState, 'providerPayoutId' | 'outcome' | 'rawStatus' | 'utr' | 'failure'> &
    Partial<ProviderPayoutState>,
  resolution: ProviderReport['resolution'] | null,
): ProviderReport {
  return {
    payoutId,
    outcome: state.outcome,
    providerPayoutId: state.providerPayoutId || null,
    rawStatus: state.rawStatus,
    fees: state.fees == null ? null : state.fees.toString(),
    tax: state.tax == null ? null : state.tax.toString(),
    utr: state.utr ?? null,
    failure: state.failure ?? null,
    queuedReason: null,
    source: 'operator',
    observedAt: Date.now(),
    ...(resolution ? { resolution } : {}),
  };
}
