import { ProviderError } from '@payouts/providers';
import { decideLookupFailure } from '../retry-policy.ts';
import {
  countRetry,
  ensurePolling,
  type HandlerContext,
  type JobControl,
  readPayout,
  report,
  reportFromState,
} from './context.ts';

/**
 * Cancels a payout queued at its provider (RazorpayX's own queue: the provider has it, with its
 * id, and has not sent it). The provider's answer decides: cancelled there, it is cancelled here
 * (the reconciler releases the hold); already on its way there (released from the queue meanwhile),
 * the cancel is refused by the provider and the payout follows what a lookup then says.
 */
export async function handleCancelAtProvider(ctx: HandlerContext, data: { payoutId: string }): Promise<JobControl> {
  const row = await readPayout(ctx, data.payoutId);
  if (!row) return { kind: 'done', result: 'payout_not_found' };
  const providerPayoutId = row.providerPayoutId;
  if (row.status !== 'queued' || !providerPayoutId)
    return { kind: 'done', result: `not_queued_at_provider:${row.status}` };
  try {
    const state = await ctx.adapter.cancel(providerPayoutId);
    await report(ctx, reportFromState(row.id, state, ctx.now()));
    return { kind: 'done', result: state.outcome };
  } catch (error) {
    if (error instanceof ProviderError && error.kind === 'invalid_request') {
      // Refused: no longer queued there. What it is now is the provider's to say; polling follows it.
      const state = await ctx.adapter.lookupById(providerPayoutId);
      await report(ctx, reportFromState(row.id, state, ctx.now()));
      await ensurePolling(ctx, row.id, providerPayoutId);
      return { kind: 'done', result: `cancel_refused:${state.outcome}` };
    }
    const decision = decideLookupFailure(error);
    if (decision.action === 'rate_limit') {
      countRetry(ctx, 'rate_limited');
      return { kind: 'rate_limited', delayMs: decision.delayMs };
    }
    // A cancel that may or may not have reached the provider: asking again is harmless (a second
    // cancel of a cancelled payout is refused, and then the lookup tells).
    return { kind: 'retry', reason: error instanceof Error ? error.message : String(error) };
  }
}
