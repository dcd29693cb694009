import { type PayoutStatus, TERMINAL_STATUSES } from '@payouts/core';
import { providerEvents } from '@payouts/db';
import { type PayoutRow, toCanonical, waitsForWallet } from '@payouts/payouts';
import type { ProviderPayoutState } from '@payouts/providers';
import type { ProviderReport } from '@payouts/queue';
import { and, eq, sql } from 'drizzle-orm';
import { pollDelay } from '../poll-schedule.ts';
import { decideLookupFailure } from '../retry-policy.ts';
import {
  bareReport,
  countRetry,
  type HandlerContext,
  type JobControl,
  readPayout,
  report,
  reportFromState,
  webhooksFlowing,
} from './context.ts';
import { noteProviderFailure } from './submit.ts';

/**
 * States a poll has nothing to do for: never sent. Not `reserved`: a poll chain starts only after
 * a submission, so `reserved` means the worker's report of that submission is not recorded yet —
 * ending the chain then would leave the payout unwatched. Not `needs_attention` either: a chain
 * for it exists only because an operator replayed it, to look once more.
 */
const NOT_POLLED = new Set<PayoutStatus>(['accepted']);

export type Observation =
  | { kind: 'state'; state: ProviderPayoutState }
  | { kind: 'absent' }
  /** Not found, but too soon after the last send to count as absence (`PollSchedule.absenceAfterMs`). */
  | { kind: 'too_soon' }
  | { kind: 'failed'; control: JobControl | null };

/**
 * One look at the provider, reporting what changed. Changes are judged against Postgres, not
 * against what this job saw last, so a report lost with Redis is simply made again.
 */
export async function observe(
  ctx: HandlerContext,
  row: PayoutRow,
  source: ProviderReport['source'],
  knownProviderId?: string,
): Promise<Observation> {
  let state: ProviderPayoutState | null;
  const providerPayoutId = row.providerPayoutId ?? knownProviderId;
  try {
    state = providerPayoutId
      ? await ctx.adapter.lookupById(providerPayoutId)
      : await ctx.adapter.lookupByReference(toCanonical(row));
  } catch (error) {
    await noteProviderFailure(ctx, error);
    const decision = decideLookupFailure(error);
    countRetry(ctx, decision.action === 'rate_limit' ? 'rate_limited' : 'lookup_failed');
    ctx.logger.warn({ payoutId: row.id, err: error }, 'lookup failed');
    return {
      kind: 'failed',
      control: decision.action === 'rate_limit' ? { kind: 'rate_limited', delayMs: decision.delayMs } : null,
    };
  }
  await ctx.gate.recordSuccess();
  if (state === null) {
    const { status } = row;
    // A confirmed absence, once it has been unknown for `absenceAfterMs` (sooner, the provider may
    // still be working through it): the provider never got it. Only now may it be submitted
    // again — with the same idempotency key — which the reconciler arranges by moving it back to
    // `reserved`.
    if (status === 'unknown' || status === 'submitted') {
      if (ctx.now() - row.updatedAt.getTime() < ctx.schedule.absenceAfterMs) return { kind: 'too_soon' };
      await report(ctx, bareReport(row.id, 'reserved', ctx.now(), { rawStatus: 'not_found', source }));
    }
    return { kind: 'absent' };
  }
  if (changed(row, state)) await report(ctx, reportFromState(row.id, state, ctx.now(), source));
  return { kind: 'state', state };
}

/**
 * The payout's poll chain: looks, reports, and asks to run again after a growing interval until the
 * payout is final — or past the provider's deadline, when it goes to `needs_attention`, not `failed`.
 */
export async function handlePoll(ctx: HandlerContext, data: PollData): Promise<JobControl> {
  const row = await readPayout(ctx, data.payoutId);
  if (!row) return { kind: 'done', result: 'payout_not_found' };
  // Moved to the next provider of its route (routing rules): that provider's chain follows it; an
  // answer about the attempt at this one would be an earlier attempt's, recorded and ignored anyway.
  if (row.provider !== ctx.adapter.id) return { kind: 'done', result: `moved_to:${row.provider}` };
  const { status } = row;
  if (NOT_POLLED.has(status)) return { kind: 'done', result: `not_polled:${status}` };
  if (waitsForWallet(row)) return { kind: 'done', result: 'wallet_queue' };
  // A `processed` payout is still looked at once here even when its reversal watch has passed: a
  // chain that ran late (its worker was killed, the queue was paused) must not end without seeing
  // a reversal that happened inside the window. Providers without webhooks have no other signal.
  if (TERMINAL_STATUSES.has(status)) return { kind: 'done', result: status };

  // The provider's webhooks flow: they tell first, and polling is the safety net. A processed
  // payout's reversal comes as a webhook; a payout in flight is looked at only once it has not
  // changed for the safety period. When they stop (quiet for WEBHOOK_QUIET_MS), the normal
  // schedule resumes at the next look.
  if (ctx.webhooks && (await webhooksFlowing(ctx))) {
    // Unless a reversal webhook is on record (Postgres) and its confirmation was lost with Redis:
    // then this look is the one that confirms it.
    if (status === 'processed' && !(await reversalClaimed(ctx, row.id))) {
      return { kind: 'done', result: 'reversal_watch_by_webhooks' };
    }
    const sinceChange = ctx.now() - row.updatedAt.getTime();
    if (BACKS_OFF.has(status) && sinceChange < ctx.webhooks.safetyPollMs) {
      // Wakes at least every quiet period (a check that calls nobody), so when the webhooks stop
      // the normal pace resumes within two quiet periods, not after a whole safety period.
      const delayMs = Math.min(ctx.webhooks.safetyPollMs - sinceChange, ctx.webhooks.quietMs);
      return { kind: 'again', delayMs, data: { ...data } };
    }
  }

  // A chain's provider id is a hint from the submission that started it; after a rail fallback it
  // may be the ended attempt's, so a payout past its first attempt is looked up by its own row only.
  const seen = await observe(ctx, row, 'worker', row.attempt > 1 ? undefined : data.providerPayoutId);
  if (seen.kind === 'failed') return seen.control ?? next(ctx, data);
  if (seen.kind === 'too_soon') return next(ctx, data);
  // Held for an operator because the provider's answer did not match the payout: this look (the
  // one after the mismatch, or an operator's replay) was reported and checked again; more looks
  // would only repeat it, so the chain ends here instead of watching forever.
  if (status === 'needs_attention' && row.failureCode === 'provider_mismatch') {
    return { kind: 'done', result: 'provider_mismatch' };
  }
  if (seen.kind === 'absent')
    return status === 'unknown' || status === 'submitted' ? { kind: 'done', result: 'absent' } : next(ctx, data);

  const { outcome } = seen.state;
  if (outcome === 'failed' || outcome === 'rejected' || outcome === 'cancelled' || outcome === 'reversed') {
    return { kind: 'done', result: outcome };
  }
  if (outcome === 'processed')
    // Watching for a reversal: a few looks spread over the window, not the in-flight pace (with
    // the defaults that was ~13 lookups per processed payout, most of a batch run's provider calls).
    return inReversalWatch(ctx, row)
      ? next(ctx, { ...data, watch: true }, ctx.schedule.reversalWatchMs / WATCH_LOOKS)
      : { kind: 'done', result: 'processed' };
  if (ctx.now() - row.createdAt.getTime() > ctx.schedule.deadlineMs) {
    if (status !== 'needs_attention') {
      await report(ctx, bareReport(row.id, 'needs_attention', ctx.now(), { rawStatus: seen.state.rawStatus }));
    }
    return { kind: 'done', result: 'needs_attention' };
  }
  return next(ctx, data);
}

type PollData = { payoutId: string; attempt: number; providerPayoutId?: string; watch?: boolean };

/**
 * States in which a payout is with the provider and its webhooks will tell what becomes of it
 * (`reserved` with a poll chain: sent, the submission's answer not recorded yet). Not `unknown`:
 * the provider may not have it at all, and only a look can tell.
 */
const BACKS_OFF = new Set<PayoutStatus>(['reserved', 'submitted', 'processing', 'queued']);

/** Looks at a processed payout during its reversal watch (then one closing look after it). */
const WATCH_LOOKS = 4;

function next(ctx: HandlerContext, data: PollData, atLeastMs = 0): JobControl {
  return {
    kind: 'again',
    delayMs: Math.max(pollDelay(ctx.schedule, data.attempt + 1), atLeastMs),
    data: { ...data, attempt: data.attempt + 1 },
  };
}

function inReversalWatch(ctx: HandlerContext, row: PayoutRow): boolean {
  // Before the reconciler records `processed`, the payout is still in flight: watch from now.
  const since = row.status === 'processed' ? row.updatedAt.getTime() : ctx.now();
  return ctx.now() - since < ctx.schedule.reversalWatchMs;
}

/** A webhook said this payout was reversed (stored by the API before its confirmation was queued). */
async function reversalClaimed(ctx: HandlerContext, payoutId: string): Promise<boolean> {
  const found = await ctx.db
    .select({ id: providerEvents.id })
    .from(providerEvents)
    .where(and(eq(providerEvents.payoutId, payoutId), sql`${providerEvents.claimed}->>'outcome' = 'reversed'`))
    .limit(1);
  return found.length > 0;
}

export function changed(row: PayoutRow, state: ProviderPayoutState): boolean {
  return (
    state.outcome !== row.status ||
    (state.utr != null && state.utr !== row.utr) ||
    (state.fees != null && state.fees !== row.fees) ||
    (state.tax != null && state.tax !== row.tax) ||
    state.providerPayoutId !== row.providerPayoutId
  );
}
