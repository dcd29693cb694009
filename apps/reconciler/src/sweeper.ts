import type { ProviderId } from '@payouts/core';
import { type Database, payouts } from '@payouts/db';
import type { Logger } from '@payouts/observability';
import { jobIds, type Queues } from '@payouts/queue';
import { and, asc, eq, lt, sql } from 'drizzle-orm';

/**
 * Redis is transport, Postgres the truth (DESIGN §1.1). An enqueue after a commit can be lost
 * (a crash in between, a flushed or failed-over Redis), so the sweeper looks for payouts that
 * have not moved for a while and have no live job, and re-drives them from their recorded state.
 * Re-driving is always safe: every handler is idempotent, and a provider call carries the same
 * idempotency key as the first one.
 */
export interface SweeperOptions {
  sweepAfterMs: number;
  /** Payouts looked at per state per pass. */
  limit?: number;
}

export interface SweepResult {
  accepted: number;
  reserved: number;
  inFlight: number;
  walletQueues: number;
}

const IN_FLIGHT = ['submitted', 'unknown', 'processing'] as const;

export async function sweep(
  db: Database,
  queues: Queues,
  options: SweeperOptions,
  logger?: Logger,
): Promise<SweepResult> {
  const limit = options.limit ?? 500;
  const cutoff = new Date(Date.now() - options.sweepAfterMs);
  const stale = (status: string) =>
    db
      .select({ id: payouts.id, provider: payouts.provider, queuedReason: payouts.queuedReason })
      .from(payouts)
      .where(and(eq(payouts.status, status), lt(payouts.updatedAt, cutoff)))
      .orderBy(asc(payouts.updatedAt))
      .limit(limit);
  const result: SweepResult = { accepted: 0, reserved: 0, inFlight: 0, walletQueues: 0 };

  const accepted = await stale('accepted');
  const liveAccepted = await queues.existingJobIds(
    queues.reconciler,
    accepted.map((p) => jobIds.accepted(p.id)),
  );
  const redriveAccepted = accepted.filter((p) => !liveAccepted.has(jobIds.accepted(p.id)));
  await queues.toReconcilerBulk(
    'payout.accepted',
    redriveAccepted.map((p) => ({ data: { payoutId: p.id }, opts: { jobId: jobIds.accepted(p.id) } })),
  );
  result.accepted = redriveAccepted.length;

  const reserved = await stale('reserved');
  const redriveReserved: { provider: ProviderId; payoutId: string }[] = [];
  for (const [provider, group] of groupByProvider(reserved)) {
    const live = await queues.existingJobIds(
      queues.provider(provider),
      group.map((p) => jobIds.submit(p.id)),
    );
    for (const p of group) if (!live.has(jobIds.submit(p.id))) redriveReserved.push({ provider, payoutId: p.id });
  }
  await queues.submitAll(redriveReserved);
  result.reserved = redriveReserved.length;

  const inFlight = (await Promise.all([...IN_FLIGHT.map(stale), stale('queued')]))
    .flat()
    .filter((p) => p.queuedReason !== 'wallet_low_balance');
  for (const [provider, group] of groupByProvider(inFlight)) {
    const queue = queues.provider(provider);
    const live = await queues.existingJobIds(
      queue,
      group.flatMap((p) => [jobIds.poll(p.id), jobIds.submit(p.id)]),
    );
    const orphans = group.filter((p) => !live.has(jobIds.poll(p.id)) && !live.has(jobIds.submit(p.id)));
    if (orphans.length === 0) continue;
    await queue.addBulk(
      orphans.map((p) => ({
        name: 'poll',
        data: { payoutId: p.id, attempt: 0 },
        opts: { jobId: jobIds.poll(p.id) },
      })),
    );
    result.inFlight += orphans.length;
  }

  // Wallet queues: a funding whose release was lost, or more queued payouts than one release scans.
  const wallets = await db
    .selectDistinct({ tenantId: payouts.tenantId, currency: payouts.currency })
    .from(payouts)
    .where(sql`${payouts.status} = 'queued' and ${payouts.queuedReason} = 'wallet_low_balance'`)
    .limit(limit);
  await queues.toReconcilerBulk(
    'wallet.release',
    wallets.map((w) => ({ data: { tenantId: w.tenantId, currency: w.currency } })),
  );
  result.walletQueues = wallets.length;

  if (result.accepted + result.reserved + result.inFlight > 0)
    logger?.warn({ sweep: result }, 'sweeper re-drove payouts');
  return result;
}

function groupByProvider<T extends { provider: string }>(rows: T[]): Map<ProviderId, T[]> {
  const map = new Map<ProviderId, T[]>();
  for (const r of rows) map.set(r.provider as ProviderId, [...(map.get(r.provider as ProviderId) ?? []), r]);
  return map;
}
