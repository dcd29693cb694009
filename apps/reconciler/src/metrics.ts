import { FINAL_STATUSES, PROVIDER_IDS } from '@payouts/core';
import { type Database, rowsOf } from '@payouts/db';
import {
  type ReconcilerMetrics,
  type Registry,
  registerLedgerMetrics,
  registerPayoutStateMetrics,
  registerQueueMetrics,
  type UnfinishedGroup,
} from '@payouts/observability';
import type { Queues } from '@payouts/queue';
import { sql } from 'drizzle-orm';
import type { BatchOutcome } from './apply-events.ts';

/**
 * The reconciler's scrape-time gauges: every queue (its own and each provider's), unfinished
 * payouts by state from Postgres, and the ledger's balance check. Each read is cached, so scrapes
 * cost Postgres at most one cheap query per period.
 */
export function registerReconcilerGauges(registry: Registry, db: Database, queues: Queues): void {
  registerQueueMetrics(registry, () => [queues.reconciler, ...PROVIDER_IDS.map((p) => queues.provider(p))]);
  registerPayoutStateMetrics(registry, () => unfinishedPayouts(db));
  registerLedgerMetrics(registry, () => ledgerSums(db));
}

/**
 * Unfinished payouts by state and provider. The WHERE clause is the one of the partial index
 * `payouts_unfinished_idx`, so this reads only unfinished payouts, however large the table grows.
 */
export async function unfinishedPayouts(db: Database): Promise<UnfinishedGroup[]> {
  const rows = rowsOf<{ status: string; provider: string; count: string | number; oldest: string | number }>(
    await db.execute(sql`
      select status, provider, count(*) as count,
        extract(epoch from (now() - min(updated_at))) as oldest
      from payouts
      where status not in ('processed','failed','rejected','cancelled','reversed')
      group by status, provider`),
  );
  return rows.map((r) => ({
    state: r.status,
    provider: r.provider,
    count: Number(r.count),
    oldestAgeSeconds: Math.max(0, Number(r.oldest)),
  }));
}

/**
 * Sum of every account balance per currency. Each transaction's entries sum to zero and balances
 * are maintained with their entries, so this is zero unless the ledger is broken. Reads the
 * accounts table only (a row per wallet and clearing account), never the entries.
 */
export async function ledgerSums(db: Database): Promise<Array<{ currency: string; sum: number }>> {
  const rows = rowsOf<{ currency: string; sum: string }>(
    await db.execute(
      sql`select currency, coalesce(sum(balance), 0)::text as sum from ledger_accounts group by currency`,
    ),
  );
  return rows.map((r) => ({ currency: r.currency, sum: Number(r.sum) }));
}

/** Counts a committed batch: its size, its duration and every transition it applied. */
export function recordBatch(
  metrics: ReconcilerMetrics,
  size: number,
  seconds: number,
  outcome: BatchOutcome | null,
  now: number = Date.now(),
): void {
  metrics.ledgerBatchSize.observe(size);
  metrics.ledgerBatchDuration.observe({ result: outcome ? 'committed' : 'failed' }, seconds);
  for (const t of outcome?.transitions ?? []) {
    metrics.transitions.inc({ to_state: t.to, provider: t.provider });
    // The first final state only: a reversal after `processed` does not end the payout's trip again.
    if (FINAL_STATUSES.has(t.to) && !FINAL_STATUSES.has(t.from)) {
      metrics.endToEnd.observe(
        { provider: t.provider, final_state: t.to },
        Math.max(0, (now - t.createdAt.getTime()) / 1000),
      );
    }
  }
}
