import { isProviderId } from '@payouts/core';
import { approvalRequests, type Database, payouts } from '@payouts/db';
import type { Logger } from '@payouts/observability';
import { SWEPT_STATUSES, waitsForWalletSql } from '@payouts/payouts';
import { type Queues, RECHECK_JOB_PRIORITY, redrive, redriveReversalWatch } from '@payouts/queue';
import { and, asc, eq, gt, gte, inArray, lt, lte, ne, or, sql } from 'drizzle-orm';

/**
 * Redis is transport, Postgres the truth (docs/architecture.md#principles). An enqueue after a commit can be lost
 * (a crash in between, a flushed or failed-over Redis), and a job can die for good after its
 * retries; so the sweeper looks for payouts that have not moved for a while and have no live
 * job, and re-drives them from their recorded state (`redrive` in @payouts/queue). Re-driving is
 * always safe: every handler is idempotent, and a provider call carries the payout's own key.
 * `needs_attention` is left to operators (a replay re-drives it on purpose).
 */
export interface SweeperOptions {
  sweepAfterMs: number;
  /**
   * How long a `processed` payout is still polled for a reversal (the worker's REVERSAL_WATCH_MS).
   * Within it, a processed payout without a live poll chain lost it with Redis and is re-driven.
   */
  reversalWatchMs?: number;
  /** Payouts looked at per pass. */
  limit?: number;
}

export interface SweepResult {
  redriven: number;
  /** Processed payouts whose lost reversal watch was started again. */
  watched: number;
  walletQueues: number;
  /** Approval requests (payouts or batches) that ran past their `expires_at` undecided. */
  approvalsExpired: number;
  /** Payouts in `pending_approval` whose decision is taken, handed to the reconciler to follow it. */
  approvalsApplied: number;
}

export async function sweep(
  db: Database,
  queues: Queues,
  options: SweeperOptions,
  logger?: Logger,
): Promise<SweepResult> {
  const limit = options.limit ?? 1000;
  const cutoff = new Date(Date.now() - options.sweepAfterMs);
  const stale = await db
    .select({
      id: payouts.id,
      status: payouts.status,
      provider: payouts.provider,
      queuedReason: payouts.queuedReason,
      providerPayoutId: payouts.providerPayoutId,
    })
    .from(payouts)
    .where(and(inArray(payouts.status, [...SWEPT_STATUSES]), lt(payouts.updatedAt, cutoff)))
    .orderBy(asc(payouts.updatedAt))
    .limit(limit);
  const redriven = await redrive(queues, stale);

  // Processed, still inside the reversal watch, untouched since the cutoff: the chain should be
  // alive (a delayed poll); if Redis lost it, a reversal at a provider without webhooks would go
  // unseen, so it is started again.
  let watched: string[] = [];
  if (options.reversalWatchMs && options.reversalWatchMs > options.sweepAfterMs) {
    const watchStart = new Date(Date.now() - options.reversalWatchMs);
    const inWatch = await db
      .select({ id: payouts.id, provider: payouts.provider })
      .from(payouts)
      .where(and(eq(payouts.status, 'processed'), gt(payouts.updatedAt, watchStart), lt(payouts.updatedAt, cutoff)))
      .orderBy(asc(payouts.updatedAt))
      .limit(limit);
    watched = await redriveReversalWatch(queues, inWatch);
  }

  // Wallet queues: a funding whose release was lost, or more queued payouts than one release scans.
  const wallets = await db
    .selectDistinct({ tenantId: payouts.tenantId, currency: payouts.currency })
    .from(payouts)
    .where(waitsForWalletSql)
    .limit(limit);
  await queues.toReconcilerBulk(
    'wallet.release',
    wallets.map((w) => ({ data: { tenantId: w.tenantId, currency: w.currency } })),
  );

  const approvals = await sweepApprovals(db, queues, limit);

  const result = {
    redriven: redriven.length,
    watched: watched.length,
    walletQueues: wallets.length,
    ...approvals,
  };
  if (result.redriven > 0 || result.watched > 0 || result.approvalsApplied > 0)
    logger?.warn({ sweep: result, sample: redriven.slice(0, 5) }, 'sweeper re-drove payouts');
  return result;
}

/**
 * Approvals (docs/api.md, "Approvals"), from Postgres alone, so a Redis flush or a restart loses
 * nothing: requests past their `expires_at` are decided `expired` here (a compare-and-set on
 * `pending`, so an approval committed first wins); then every payout still in `pending_approval`
 * whose request (its own, or its batch's) is decided is re-driven through `payout.accepted`,
 * which applies the decision. A payout whose job is alive is left alone (`redrive`).
 */
async function sweepApprovals(
  db: Database,
  queues: Queues,
  limit: number,
): Promise<{ approvalsExpired: number; approvalsApplied: number }> {
  const expired = await db
    .update(approvalRequests)
    .set({ status: 'expired', decidedAt: sql`now()` })
    .where(and(eq(approvalRequests.status, 'pending'), lte(approvalRequests.expiresAt, sql`now()`)))
    .returning({ id: approvalRequests.subjectId });
  const decided = await db
    .select({
      id: payouts.id,
      status: payouts.status,
      provider: payouts.provider,
      queuedReason: payouts.queuedReason,
      providerPayoutId: payouts.providerPayoutId,
    })
    .from(payouts)
    .innerJoin(
      approvalRequests,
      or(eq(approvalRequests.subjectId, payouts.id), eq(approvalRequests.subjectId, payouts.batchId)),
    )
    .where(and(eq(payouts.status, 'pending_approval'), ne(approvalRequests.status, 'pending')))
    .orderBy(asc(payouts.id))
    .limit(limit);
  const applied = await redrive(queues, decided);
  return { approvalsExpired: expired.length, approvalsApplied: applied.length };
}

const DAY_MS = 24 * 3600_000;

export interface RecheckOptions {
  /** Providers whose reversals are learnt only by looking (no webhooks): Krayon and DRUO. */
  providers: string[];
  /** For how many days after `processed` a payout is looked at again, once a day. */
  days: number;
  /** How often this runs; each run takes the payouts processed in one interval-long slice of each past day. */
  intervalMs: number;
  limit?: number;
}

/**
 * Late reversals at providers without webhooks (docs/operations.md): a bank can return a payout
 * days after `processed`, and nothing tells us unless we look. Each run looks again at the payouts
 * processed exactly 1, 2, … `days` days ago, within one interval's slice, so every processed payout
 * is looked at once a day for `days` days, with no state kept: the slices tile each day. The look
 * is a poll job at the lowest priority; a reversal it finds is reported and posted like any other.
 */
export async function recheckProcessed(
  db: Database,
  queues: Queues,
  options: RecheckOptions,
  logger?: Logger,
  now: number = Date.now(),
): Promise<{ rechecked: number }> {
  if (options.providers.length === 0 || options.days <= 0) return { rechecked: 0 };
  let rechecked = 0;
  for (let day = 1; day <= options.days; day++) {
    const to = new Date(now - day * DAY_MS);
    const from = new Date(to.getTime() - options.intervalMs);
    const due = await db
      .select({ id: payouts.id, provider: payouts.provider })
      .from(payouts)
      .where(
        and(
          eq(payouts.status, 'processed'),
          inArray(payouts.provider, options.providers.filter(isProviderId)),
          gte(payouts.updatedAt, from),
          lt(payouts.updatedAt, to),
        ),
      )
      .limit(options.limit ?? 10_000);
    rechecked += (await redriveReversalWatch(queues, due, { priority: RECHECK_JOB_PRIORITY })).length;
  }
  if (rechecked > 0) logger?.info({ rechecked }, 'processed payouts looked at again for late reversals');
  return { rechecked };
}
