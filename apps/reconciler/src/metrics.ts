import { FINAL_STATUSES, PROVIDER_IDS } from '@payouts/core';
import { type Database, FINAL_STATUS_LIST, rowsOf } from '@payouts/db';
import {
  type ReconcilerMetrics,
  type Registry,
  registerDowntimeMetrics,
  registerLedgerMetrics,
  registerPayoutStateMetrics,
  registerQueueMetrics,
  registerWebhookMetrics,
  type UnfinishedGroup,
  type WebhookBacklog,
  type WebhookEndpointState,
} from '@payouts/observability';
import { activeDowntimeModes } from '@payouts/payouts';
import type { Queues } from '@payouts/queue';
import { sql } from 'drizzle-orm';
import type { BatchOutcome } from './apply-events.ts';
import { endpointsWithPending } from './webhooks/deliverer.ts';

/**
 * The reconciler's scrape-time gauges: every queue (its own and each provider's), unfinished
 * payouts by state from Postgres, and the ledger's balance check. Each read is cached, so scrapes
 * cost Postgres at most one cheap query per period.
 */
export function registerReconcilerGauges(registry: Registry, db: Database, queues: Queues): void {
  registerQueueMetrics(registry, () => [queues.reconciler, ...PROVIDER_IDS.map((p) => queues.provider(p))]);
  registerPayoutStateMetrics(registry, () => unfinishedPayouts(db));
  registerLedgerMetrics(registry, () => ledgerSums(db));
  registerWebhookMetrics(registry, () => webhookBacklog(db));
  registerDowntimeMetrics(registry, () => activeDowntimeModes(db));
}

/**
 * Outbound webhook deliveries still pending, by their endpoint's state, and the deliverer's lag.
 * The count reads the partial index of pending deliveries (their number, not the table's); the
 * lag, one probe per endpoint with something ready (as a claim does). An endpoint whose circuit
 * is open waits by design, so the lag counts only endpoints that may be sent to, from the latest
 * of: its oldest due delivery's time, its last claim, its circuit's end.
 */
export async function webhookBacklog(db: Database): Promise<WebhookBacklog> {
  const groups = rowsOf<{ state: WebhookEndpointState; count: string | number; oldest: string | number }>(
    await db.execute(sql`
      select case when e.disabled then 'disabled' when e.circuit_open_until is not null then 'circuit_open'
          else 'enabled' end as state,
        count(*) as count, extract(epoch from (now() - min(d.created_at))) as oldest
      from webhook_deliveries d join webhook_endpoints e on e.id = d.endpoint_id
      where d.status = 'pending'
      group by 1`),
  );
  const [lag] = rowsOf<{ lag: string | number | null }>(
    await db.execute(sql`
      with recursive ${endpointsWithPending('ready')}
      select max(extract(epoch from (now() - greatest(h.head, e.last_claimed_at, e.circuit_open_until)))) as lag
      from busy join webhook_endpoints e on e.id = busy.endpoint_id
      cross join lateral (
        select min(d.next_attempt_at) as head from webhook_deliveries d
        where d.endpoint_id = e.id and d.status = 'pending' and d.next_attempt_at is not null) h
      where not e.disabled and (e.circuit_open_until is null or e.circuit_open_until <= now()) and h.head <= now()`),
  );
  return {
    groups: groups.map((g) => ({
      state: g.state,
      count: Number(g.count),
      oldestAgeSeconds: Math.max(0, Number(g.oldest)),
    })),
    lagSeconds: Math.max(0, Number(lag?.lag ?? 0)),
  };
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
      where status not in ${FINAL_STATUS_LIST}
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
  for (const m of outcome?.mismatches ?? []) metrics.providerMismatches.inc({ provider: m.provider, field: m.field });
}
