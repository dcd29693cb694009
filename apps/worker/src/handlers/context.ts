import type { PayoutStatus } from '@payouts/core';
import type { Database, ProviderDowntime } from '@payouts/db';
import type { Logger, WorkerMetrics } from '@payouts/observability';
import { activeDowntimes, type PayoutRow } from '@payouts/payouts';
import type { ProviderAdapter, ProviderPayoutState } from '@payouts/providers';
import {
  jobIds,
  lastWebhookAt,
  POLL_JOB_PRIORITY,
  type PollStarts,
  type ProviderBudget,
  type ProviderGate,
  type ProviderReport,
  type Queues,
  type ReportBatcher,
  type WebhookClock,
} from '@payouts/queue';
import { claimSubmission, loadPayout, type SubmissionClaims } from '../payout-record.ts';
import type { PollSchedule, WebhookPolling } from '../poll-schedule.ts';
import { pollDelay } from '../poll-schedule.ts';
import type { SharedReads } from '../shared-reads.ts';

export interface HandlerContext {
  db: Database;
  queues: Queues;
  adapter: ProviderAdapter;
  /** The provider's circuit breaker and low-float state, shared by every worker through Redis. */
  gate: ProviderGate;
  /** The provider's rate, shared by every worker through Redis: the adapter's calls draw from it. */
  budget?: ProviderBudget;
  /** Where reports go, bundled with the process's other reports (absent: one job each). */
  reports?: ReportBatcher;
  schedule: PollSchedule;
  /** When the provider's last webhook arrived, read through a short per-process cache (absent: read each time). */
  webhookClock?: WebhookClock;
  /** Polling as a safety net while the provider's webhooks flow (absent: always the normal pace). */
  webhooks?: WebhookPolling;
  /** The payout and downtime reads that jobs starting together share (absent: each job reads its own). */
  reads?: SharedReads;
  /** The claims of submissions starting together, one statement per provider (absent: one each). */
  claims?: SubmissionClaims;
  /** Where the poll chains of payouts just sent start, bundled with the process's others (absent: a chain each). */
  pollStarts?: PollStarts;
  logger: Logger;
  /** Absent where a handler runs outside a worker process (a test calling it directly). */
  metrics?: WorkerMetrics;
  now(): number;
}

/** The payout's row as it is now: read with the other jobs starting together when the process shares reads. */
export function readPayout(ctx: HandlerContext, payoutId: string): Promise<PayoutRow | null> {
  return ctx.reads ? ctx.reads.payout(payoutId) : loadPayout(ctx.db, payoutId);
}

/** Claims the payout's submission (see `claimSubmission`), with the others starting together when the process shares claims. */
export function claimForSubmission(ctx: HandlerContext, row: PayoutRow): Promise<number | null> {
  return ctx.claims ? ctx.claims.claim(row.id, row.provider) : claimSubmission(ctx.db, row.id, row.provider);
}

/** The provider's active downtimes now (shared like `readPayout`). */
export function providerDowntimesNow(ctx: HandlerContext): Promise<ProviderDowntime[]> {
  return ctx.reads
    ? ctx.reads.activeDowntimes(ctx.adapter.id)
    : activeDowntimes(ctx.db, ctx.adapter.id, new Date(ctx.now()));
}

/** Why provider work was tried again later: the `reason` label of `payouts_retries_total`. */
export type RetryReason = 'in_call' | 'queue_backoff' | 'rate_limited' | 'lookup' | 'parked' | 'lookup_failed';

export function countRetry(ctx: HandlerContext, reason: RetryReason): void {
  ctx.metrics?.retries.inc({ provider: ctx.adapter.id, reason });
}

/** What a handler asks of the queue once it is done; the worker turns it into BullMQ calls. */
export type JobControl =
  | { kind: 'done'; result: string }
  /** Run this same job again later (a poll's next look, a parked payout's next probe). */
  | { kind: 'again'; delayMs: number; data: Record<string, unknown> }
  /** Pause the provider's whole queue, then run this job again. */
  | { kind: 'rate_limited'; delayMs: number }
  /** Fail this attempt: the queue retries with exponential backoff. */
  | { kind: 'retry'; reason: string };

export function reportFromState(
  payoutId: string,
  state: ProviderPayoutState,
  now: number,
  source: ProviderReport['source'] = 'worker',
): ProviderReport {
  return {
    payoutId,
    outcome: state.outcome,
    providerPayoutId: state.providerPayoutId,
    rawStatus: state.rawStatus,
    fees: state.fees == null ? null : state.fees.toString(),
    tax: state.tax == null ? null : state.tax.toString(),
    utr: state.utr ?? null,
    failure: state.failure ?? null,
    queuedReason: state.queuedReason ?? null,
    stated: state.stated
      ? {
          amount: state.stated.amount == null ? null : state.stated.amount.toString(),
          currency: state.stated.currency,
          payoutId: state.stated.payoutId,
          feeCurrency: state.stated.feeCurrency,
        }
      : null,
    source,
    observedAt: now,
  };
}

export function bareReport(
  payoutId: string,
  outcome: PayoutStatus,
  now: number,
  extra: Partial<ProviderReport> = {},
): ProviderReport {
  return {
    payoutId,
    outcome,
    providerPayoutId: null,
    rawStatus: null,
    fees: null,
    tax: null,
    utr: null,
    failure: null,
    queuedReason: null,
    source: 'worker',
    observedAt: now,
    ...extra,
  };
}

export async function report(ctx: HandlerContext, r: ProviderReport): Promise<void> {
  if (ctx.reports) await ctx.reports.add(r);
  else await ctx.queues.toReconciler('payout.report', r);
}

/**
 * Whether the provider's webhooks are flowing: it sends them, and one arrived within the quiet
 * period (recorded in Redis by the API). Then polling is only the safety net.
 */
export async function webhooksFlowing(ctx: HandlerContext): Promise<boolean> {
  if (!ctx.webhooks || !ctx.adapter.capabilities.has('webhooks')) return false;
  const last = ctx.webhookClock
    ? await ctx.webhookClock.lastWebhookAt()
    : await lastWebhookAt(ctx.queues.connection, ctx.queues.prefix, ctx.adapter.id);
  return last !== null && ctx.now() - last < ctx.webhooks.quietMs;
}

/**
 * Starts the poll chain of a payout this job has just sent: its first look rides with those of the
 * payouts the process sent within a few ms (`PollStarts`) when the process bundles them; as
 * `ensurePolling` otherwise. Only for a payout just sent, which has no chain yet: bundled looks do
 * not check for one.
 */
export async function startPolling(ctx: HandlerContext, payoutId: string, providerPayoutId?: string): Promise<void> {
  if (!ctx.pollStarts) return ensurePolling(ctx, payoutId, providerPayoutId);
  const delay = await firstLookDelay(ctx);
  await ctx.pollStarts.start(ctx.adapter.id, { payoutId, ...(providerPayoutId ? { providerPayoutId } : {}) }, delay);
}

/** While webhooks flow, the first wake-up is a quiet period away (it looks only if nothing changed). */
async function firstLookDelay(ctx: HandlerContext): Promise<number> {
  const first = pollDelay(ctx.schedule, 0);
  return ctx.webhooks && (await webhooksFlowing(ctx))
    ? Math.max(first, Math.min(ctx.webhooks.safetyPollMs, ctx.webhooks.quietMs))
    : first;
}

/**
 * Starts the payout's single poll chain; a no-op when one is already there. Its first look is
 * the schedule's first, or while the provider's webhooks flow (they will tell first) a wake-up a
 * quiet period away that looks only when nothing changed for the safety period.
 */
export async function ensurePolling(ctx: HandlerContext, payoutId: string, providerPayoutId?: string): Promise<void> {
  const delay = await firstLookDelay(ctx);
  await ctx.queues.toProvider(
    ctx.adapter.id,
    'poll',
    { payoutId, attempt: 0, ...(providerPayoutId ? { providerPayoutId } : {}) },
    { jobId: jobIds.poll(payoutId), delay, priority: POLL_JOB_PRIORITY },
  );
}
