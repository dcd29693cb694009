import { FINAL_STATUSES, type PayoutStatus } from '@payouts/core';
import type { ProviderPayoutState } from '@payouts/providers';
import { loadPayout, type PayoutRow, toCanonical } from '../payout-record.ts';
import { pollDelay } from '../poll-schedule.ts';
import { decideLookupFailure } from '../retry-policy.ts';
import { bareReport, type HandlerContext, type JobControl, report, reportFromState } from './context.ts';

/** States a poll has nothing to do for: not at the provider yet, or in an operator's hands. */
const NOT_POLLED = new Set<PayoutStatus>(['accepted', 'reserved', 'needs_attention']);

/**
 * One look at the provider. Reports what changed (comparing with Postgres, so a report lost with
 * Redis is simply made again), and asks to run again after a growing interval until the payout is
 * final — or past the provider's deadline, when it goes to `needs_attention` instead of `failed`.
 */
export async function handlePoll(
  ctx: HandlerContext,
  data: { payoutId: string; attempt: number },
): Promise<JobControl> {
  const row = await loadPayout(ctx.db, data.payoutId);
  if (!row) return { kind: 'done', result: 'payout_not_found' };
  const status = row.status as PayoutStatus;
  if (NOT_POLLED.has(status)) return { kind: 'done', result: `not_polled:${status}` };
  if (status === 'queued' && row.queuedReason === 'wallet_low_balance') return { kind: 'done', result: 'wallet_queue' };
  if (FINAL_STATUSES.has(status) && !inReversalWatch(ctx, row)) return { kind: 'done', result: status };

  let state: ProviderPayoutState | null;
  try {
    state = row.providerPayoutId
      ? await ctx.adapter.lookupById(row.providerPayoutId)
      : await ctx.adapter.lookupByReference(toCanonical(row));
  } catch (error) {
    const decision = decideLookupFailure(error);
    if (decision.action === 'rate_limit') return { kind: 'rate_limited', delayMs: decision.delayMs };
    ctx.logger.warn({ payoutId: row.id, err: error }, 'lookup failed; polling again later');
    return next(ctx, data);
  }

  if (state === null) {
    // A confirmed absence: the provider never got it. Only now may it be submitted again — with the
    // same idempotency key — which the reconciler arranges by moving it back to `reserved`.
    if (status === 'unknown' || status === 'submitted') {
      await report(ctx, bareReport(row.id, 'reserved', ctx.now(), { rawStatus: 'not_found' }));
      return { kind: 'done', result: 'absent' };
    }
    return next(ctx, data);
  }

  if (changed(row, state)) await report(ctx, reportFromState(row.id, state, ctx.now()));
  const terminal =
    state.outcome === 'failed' ||
    state.outcome === 'rejected' ||
    state.outcome === 'cancelled' ||
    state.outcome === 'reversed';
  if (terminal) return { kind: 'done', result: state.outcome };
  if (state.outcome === 'processed' && !inReversalWatch(ctx, row)) return { kind: 'done', result: 'processed' };
  if (state.outcome !== 'processed' && ctx.now() - row.createdAt.getTime() > ctx.schedule.deadlineMs) {
    await report(ctx, bareReport(row.id, 'needs_attention', ctx.now(), { rawStatus: state.rawStatus }));
    return { kind: 'done', result: 'needs_attention' };
  }
  return next(ctx, data);
}

function next(ctx: HandlerContext, data: { payoutId: string; attempt: number }): JobControl {
  return {
    kind: 'again',
    delayMs: pollDelay(ctx.schedule, data.attempt + 1),
    data: { payoutId: data.payoutId, attempt: data.attempt + 1 },
  };
}

function inReversalWatch(ctx: HandlerContext, row: PayoutRow): boolean {
  // Before the reconciler records `processed`, the payout is still in flight: watch from now.
  const since = row.status === 'processed' ? row.updatedAt.getTime() : ctx.now();
  return ctx.now() - since < ctx.schedule.reversalWatchMs;
}

function changed(row: PayoutRow, state: ProviderPayoutState): boolean {
  return (
    state.outcome !== row.status ||
    (state.utr != null && state.utr !== row.utr) ||
    (state.fees != null && state.fees !== row.fees) ||
    (state.tax != null && state.tax !== row.tax) ||
    state.providerPayoutId !== row.providerPayoutId
  );
}
