import { type PayoutRow, waitsForFloat } from '@payouts/payouts';
import { jobIds } from '@payouts/queue';
import type { ApiDeps } from './deps.ts';

/**
 * A payout queued at its provider itself (RazorpayX's own low-balance queue): the provider has it
 * and has not sent it, so only the provider can cancel it. Its cancel is handed to the provider's
 * worker, which calls the provider's cancel; the provider's answer decides the state.
 */
export function queuedAtProvider(deps: ApiDeps, row: PayoutRow): boolean {
  return (
    waitsForFloat(row) &&
    row.providerPayoutId !== null &&
    (deps.adapters.get(row.provider)?.capabilities.has('cancel') ?? false)
  );
}

export async function askProviderToCancel(deps: ApiDeps, row: PayoutRow): Promise<void> {
  await deps.queues.toProvider(row.provider, 'cancel', { payoutId: row.id }, { jobId: jobIds.cancel(row.id) });
}
