import {
  awaitingSubmission,
  coveringDowntime,
  type PayoutRow,
  parkedPayouts,
  routeNext,
  submittable,
  toCanonical,
} from '@payouts/payouts';
import { ProviderError } from '@payouts/providers';
import { type ProviderReport, releaseParked } from '@payouts/queue';
import pRetry from 'p-retry';
import { everClaimed } from '../payout-record.ts';
import { registeredAccount } from '../registration.ts';
import { decideRegistrationFailure, decideSubmitFailure, isRetryableInCall } from '../retry-policy.ts';
import {
  bareReport,
  claimForSubmission,
  countRetry,
  ensurePolling,
  type HandlerContext,
  type JobControl,
  providerDowntimesNow,
  readPayout,
  report,
  reportFromState,
  startPolling,
} from './context.ts';

/**
 * Sends a reserved payout to its provider, always with the idempotency key minted at ingestion.
 * A provider without idempotent create is looked up by our reference before any second attempt,
 * so a retry can never become a second payment.
 */
export async function handleSubmit(ctx: HandlerContext, data: { payoutId: string }): Promise<JobControl> {
  // The payout, the gate's marks (read once for the three checks below) and the provider's
  // downtimes, read at once: the submission waits for one round trip, not three in a row.
  const [row, gate, downtimes] = await Promise.all([
    readPayout(ctx, data.payoutId),
    ctx.gate.read(),
    providerDowntimesNow(ctx),
  ]);
  if (!row) return { kind: 'done', result: 'payout_not_found' };
  // Moved to the next provider of its route (routing rules): that provider's queue has it now.
  if (row.provider !== ctx.adapter.id) return { kind: 'done', result: `moved_to:${row.provider}` };

  // The provider is down (circuit open): pause this provider's queue for every worker.
  const circuitWait = await ctx.gate.circuitWait(gate);
  if (circuitWait > 0) {
    if (await rerouted(ctx, row, 'circuit_open'))
      return { kind: 'again', delayMs: circuitWait, data: { payoutId: row.id } };
    return { kind: 'rate_limited', delayMs: circuitWait };
  }
  // Our credentials were refused: the payout waits where it is unless this submission is the one probe.
  const credentials = await ctx.gate.credentialsCheck(gate);
  if (!credentials.go) {
    await rerouted(ctx, row, 'credentials_rejected');
    return { kind: 'again', delayMs: credentials.waitMs + jitter(credentials.waitMs), data: { payoutId: row.id } };
  }
  // A downtime covers the payout's method: it waits in queued, unsent, until the downtime ends
  // (the downtime's release promotes it, oldest first; an `ends_at` that passes wakes it too).
  // Only a payout that may still be sent waits: a stale job for one already at the provider goes
  // on to the claim below, which finds it past submission and leaves it to polling.
  const downtime = submittable(row) && !row.providerPayoutId ? coveringDowntime(downtimes, row.method) : null;
  if (downtime) {
    if ((await rerouted(ctx, row, 'provider_downtime')) === false && row.status !== 'queued') {
      await report(ctx, bareReport(row.id, 'queued', ctx.now(), { queuedReason: 'provider_downtime' }));
    }
    countRetry(ctx, 'parked');
    const waitMs = downtime.endsAt
      ? Math.min(DOWNTIME_RECHECK_MS, Math.max(1_000, downtime.endsAt.getTime() - ctx.now()))
      : DOWNTIME_RECHECK_MS;
    return { kind: 'again', delayMs: waitMs + jitter(waitMs), data: { payoutId: row.id } };
  }
  // The provider's float is short: stay parked unless this submission is the one probe.
  const float = await ctx.gate.floatCheck(gate);
  if (!float.go) {
    if ((await rerouted(ctx, row, 'provider_low_balance')) === false && row.status === 'reserved') {
      await report(ctx, bareReport(row.id, 'queued', ctx.now(), { queuedReason: 'provider_low_balance' }));
    }
    return { kind: 'again', delayMs: float.waitMs + jitter(float.waitMs), data: { payoutId: row.id } };
  }

  const attempt = await claimForSubmission(ctx, row);
  if (attempt === null) {
    // Cancelled, or already past submission (a re-driven duplicate): make sure someone follows it.
    if (row.providerPayoutId || row.status === 'unknown' || row.status === 'submitted' || row.status === 'processing') {
      await ensurePolling(ctx, row.id);
    }
    return { kind: 'done', result: `not_submittable:${row.status}` };
  }
  let payout = toCanonical(row);

  if (attempt > 1 && !ctx.adapter.capabilities.has('idempotent_submit')) {
    const existing = await ctx.adapter.lookupByReference(payout).catch(async (error: unknown) => {
      const decision = decideSubmitFailure(error);
      if (decision.action !== 'park_provider') throw error;
      return parkProvider(ctx, row.id, credentials.probe, decision.message);
    });
    if (existing && 'kind' in existing) return existing;
    if (existing) {
      await report(ctx, reportFromState(row.id, existing, ctx.now()));
      await ensurePolling(ctx, row.id);
      return { kind: 'done', result: 'found_existing' };
    }
  }

  try {
    const account = await registeredAccount(ctx.db, ctx.adapter, row, payout);
    if (account) payout = { ...payout, beneficiary: { ...payout.beneficiary, provider_account_id: account } };
  } catch (error) {
    // Nothing was sent for the payout itself: a refusal fails it with the provider's reason,
    // anything else is tried again (a repeated registration step answers the existing record).
    await noteProviderFailure(ctx, error);
    const decision = decideRegistrationFailure(error);
    ctx.logger.warn({ payoutId: row.id, decision, err: error }, 'beneficiary registration failed');
    switch (decision.action) {
      case 'fail':
        await report(
          ctx,
          bareReport(row.id, 'failed', ctx.now(), { failure: { code: decision.code, message: decision.message } }),
        );
        return { kind: 'done', result: 'failed' };
      case 'rate_limit':
        countRetry(ctx, 'rate_limited');
        return { kind: 'rate_limited', delayMs: decision.delayMs };
      case 'retry':
        countRetry(ctx, 'queue_backoff');
        return { kind: 'retry', reason: `beneficiary registration: ${decision.reason}` };
    }
  }

  try {
    const state = await pRetry(() => ctx.adapter.submit(payout), {
      retries: 2,
      minTimeout: 100,
      maxTimeout: 500,
      randomize: true,
      shouldRetry: ({ error }) => {
        const again = isRetryableInCall(error);
        if (again) countRetry(ctx, 'in_call');
        return again;
      },
    });
    // Both leave in bulk with the other jobs' (a few ms each): side by side, not one after the other.
    await Promise.all([
      report(ctx, reportFromState(row.id, state, ctx.now())),
      startPolling(ctx, row.id, state.providerPayoutId),
    ]);
    await ctx.gate.recordSuccess(gate);
    if (credentials.probe) await releaseCredentials(ctx);
    if (float.probe && state.queuedReason !== 'provider_low_balance') await releaseFloat(ctx);
    return { kind: 'done', result: state.outcome };
  } catch (error) {
    await noteProviderFailure(ctx, error);
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
        countRetry(ctx, 'lookup');
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
      case 'park': {
        countRetry(ctx, 'parked');
        const probeInMs = await ctx.gate.markLowBalance();
        if (row.status !== 'queued') {
          await report(ctx, bareReport(row.id, 'queued', ctx.now(), { queuedReason: 'provider_low_balance' }));
        }
        return { kind: 'again', delayMs: probeInMs + jitter(probeInMs), data: { payoutId: row.id } };
      }
      case 'park_provider':
        return parkProvider(ctx, row.id, credentials.probe, decision.message);
      case 'rate_limit':
        countRetry(ctx, 'rate_limited');
        return { kind: 'rate_limited', delayMs: decision.delayMs };
      case 'retry':
        countRetry(ctx, 'queue_backoff');
        return { kind: 'retry', reason: decision.reason };
    }
  }
}

/**
 * How long a payout waiting for a downtime sleeps before looking again: the end of a downtime is
 * normally told (a resolution releases the waiting payouts at once); this bounds the wait when it is not.
 */
const DOWNTIME_RECHECK_MS = 60_000;

/** Spreads parked payouts over a fifth of their wait, so a release does not arrive all at once. */
function jitter(ms: number): number {
  return Math.floor(Math.random() * Math.max(1, ms / 5));
}

/**
 * Provider fallback before sending (docs/api.md, "Routing rules"): the payout's provider cannot
 * take it now, its route has a next provider, and nothing was ever sent for it (no submission
 * claimed, no provider id): asks the reconciler to move it there, which checks the same under the
 * payout's lock and hands it to that provider's queue. True when asked; this job then only wakes
 * to find the payout gone (or, refused, waits as any other).
 */
async function rerouted(
  ctx: HandlerContext,
  row: PayoutRow,
  reason: NonNullable<ProviderReport['reroute']>['reason'],
): Promise<boolean> {
  const to = routeNext(row);
  if (!to || (row.status !== 'reserved' && row.status !== 'queued') || row.providerPayoutId !== null) return false;
  if (await everClaimed(ctx.db, row.id)) return false;
  await report(ctx, bareReport(row.id, row.status, ctx.now(), { reroute: { from: row.provider, to, reason } }));
  ctx.logger.info(
    { payoutId: row.id, from: row.provider, to, reason },
    'payout moved to the next provider of its route',
  );
  return true;
}

/** A failure that says "the provider is down" counts toward opening its circuit. */
export async function noteProviderFailure(ctx: HandlerContext, error: unknown): Promise<void> {
  if (!(error instanceof ProviderError)) return;
  const down = error.kind === 'unavailable' || (error.kind === 'outcome_unknown' && (error.httpStatus ?? 500) >= 500);
  if (!down) return;
  const opened = await ctx.gate.recordFailure();
  if (opened === null) return;
  ctx.metrics?.circuitOpened.inc({ provider: ctx.adapter.id });
  ctx.logger.warn({ cooldownMs: opened }, 'provider circuit opened: submissions paused');
}

/**
 * The provider refused our credentials or our account: park the provider for every worker (the
 * first refusal, or a failed probe, sets the next probe further out; calls that were in flight say
 * nothing new) and keep the payout where it is, to be sent with the same key once fixed.
 */
async function parkProvider(
  ctx: HandlerContext,
  payoutId: string,
  wasProbe: boolean,
  message: string,
): Promise<JobControl> {
  countRetry(ctx, 'parked');
  const marked = await ctx.gate.isCredentialsRejected();
  const probeInMs = wasProbe || !marked ? await ctx.gate.markCredentialsRejected() : 2_000;
  if (!marked) {
    ctx.metrics?.credentialsRejected.inc({ provider: ctx.adapter.id });
    ctx.logger.error(
      { payoutId, reason: 'credentials_rejected', detail: message },
      'provider refused our credentials: provider parked, payouts held where they are',
    );
  }
  return { kind: 'again', delayMs: probeInMs + jitter(probeInMs), data: { payoutId } };
}

/** The probe went through with our credentials: send what was held, oldest first. */
async function releaseCredentials(ctx: HandlerContext): Promise<void> {
  if (!(await ctx.gate.clearCredentialsRejected())) return;
  const released = await releaseParked(ctx.queues, ctx.adapter.id, await awaitingSubmission(ctx.db, ctx.adapter.id));
  ctx.logger.info({ released }, 'provider credentials accepted again: held payouts released');
}

/** The probe went through: the provider has funds again; release what was parked, oldest first. */
async function releaseFloat(ctx: HandlerContext): Promise<void> {
  if (!(await ctx.gate.clearLowBalance())) return;
  const released = await releaseParked(ctx.queues, ctx.adapter.id, await parkedPayouts(ctx.db, ctx.adapter.id));
  ctx.logger.info({ released }, 'provider float restored: parked payouts released');
}
