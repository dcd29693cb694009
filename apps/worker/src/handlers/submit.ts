import pRetry from 'p-retry';
import { claimSubmission, loadPayout, toCanonical } from '../payout-record.ts';
import { decideSubmitFailure, isRetryableInCall } from '../retry-policy.ts';
import { bareReport, ensurePolling, type HandlerContext, type JobControl, report, reportFromState } from './context.ts';

/** How long a payout parked on the provider's low float waits before the next probe, at most. */
const PARK_MAX_DELAY_MS = 5 * 60_000;

/**
 * Sends a reserved payout to its provider, always with the idempotency key minted at ingestion.
 * A provider without idempotent create is looked up by our reference before any second attempt,
 * so a retry can never become a second payment.
 */
export async function handleSubmit(
  ctx: HandlerContext,
  data: { payoutId: string },
  attemptsMade: number,
): Promise<JobControl> {
  const row = await loadPayout(ctx.db, data.payoutId);
  if (!row) return { kind: 'done', result: 'payout_not_found' };
  const attempt = await claimSubmission(ctx.db, row.id);
  if (attempt === null) {
    // Cancelled, or already past submission (a re-driven duplicate): make sure someone follows it.
    if (row.providerPayoutId || row.status === 'unknown' || row.status === 'submitted' || row.status === 'processing') {
      await ensurePolling(ctx, row.id);
    }
    return { kind: 'done', result: `not_submittable:${row.status}` };
  }
  const payout = toCanonical(row);

  if (attempt > 1 && !ctx.adapter.capabilities.has('idempotent_submit')) {
    const existing = await ctx.adapter.lookupByReference(payout);
    if (existing) {
      await report(ctx, reportFromState(row.id, existing, ctx.now()));
      await ensurePolling(ctx, row.id);
      return { kind: 'done', result: 'found_existing' };
    }
  }

  try {
    const state = await pRetry(() => ctx.adapter.submit(payout), {
      retries: 2,
      minTimeout: 100,
      maxTimeout: 500,
      randomize: true,
      shouldRetry: ({ error }) => isRetryableInCall(error),
    });
    await report(ctx, reportFromState(row.id, state, ctx.now()));
    await ensurePolling(ctx, row.id);
    return { kind: 'done', result: state.outcome };
  } catch (error) {
    const decision = decideSubmitFailure(error);
    ctx.logger.warn({ payoutId: row.id, decision, err: error }, 'submission failed');
    switch (decision.action) {
      case 'fail':
        await report(
          ctx,
          bareReport(row.id, 'failed', ctx.now(), { failure: { code: decision.code, message: decision.message } }),
        );
        return { kind: 'done', result: 'failed' };
      case 'lookup':
        await report(ctx, bareReport(row.id, 'unknown', ctx.now()));
        await ensurePolling(ctx, row.id);
        return { kind: 'done', result: 'unknown' };
      case 'find_existing': {
        const existing = await ctx.adapter.lookupByReference(payout);
        if (!existing) return { kind: 'retry', reason: 'duplicate reference but no payout found by it yet' };
        await report(ctx, reportFromState(row.id, existing, ctx.now()));
        await ensurePolling(ctx, row.id);
        return { kind: 'done', result: 'found_existing' };
      }
      case 'park':
        if (row.status !== 'queued') {
          await report(ctx, bareReport(row.id, 'queued', ctx.now(), { queuedReason: 'provider_low_balance' }));
        }
        return {
          kind: 'again',
          delayMs: Math.min(PARK_MAX_DELAY_MS, 1000 * 2 ** Math.min(attemptsMade, 8)),
          data: { payoutId: row.id },
        };
      case 'rate_limit':
        return { kind: 'rate_limited', delayMs: decision.delayMs };
      case 'retry':
        return { kind: 'retry', reason: decision.reason };
    }
  }
}
