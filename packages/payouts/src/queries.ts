import type { ProviderId } from '@payouts/core';
import { type Executor, payouts } from '@payouts/db';
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import { waitsForFloatSql } from './predicates.ts';
import type { BatchStatusGroup } from './resources.ts';

/**
 * Payouts parked because their provider's float was short, before the provider had them
 * (RazorpayX's own queue releases itself), oldest first: the order they are released in.
 */
export function parkedPayouts(db: Executor, provider: ProviderId, limit = 5000) {
  return db
    .select({
      id: payouts.id,
      status: payouts.status,
      provider: payouts.provider,
      queuedReason: payouts.queuedReason,
      providerPayoutId: payouts.providerPayoutId,
    })
    .from(payouts)
    .where(and(eq(payouts.provider, provider), waitsForFloatSql, isNull(payouts.providerPayoutId)))
    .orderBy(asc(payouts.id))
    .limit(limit);
}

/**
 * A provider's payouts waiting to be sent (held while its credentials were refused), oldest
 * first: reserved, never answered by the provider.
 */
export function awaitingSubmission(db: Executor, provider: ProviderId, limit = 5000) {
  return db
    .select({
      id: payouts.id,
      status: payouts.status,
      provider: payouts.provider,
      queuedReason: payouts.queuedReason,
      providerPayoutId: payouts.providerPayoutId,
    })
    .from(payouts)
    .where(and(eq(payouts.provider, provider), eq(payouts.status, 'reserved'), isNull(payouts.providerPayoutId)))
    .orderBy(asc(payouts.id))
    .limit(limit);
}

/**
 * How many times operators replayed payouts of a batch: each replay reopens a finished batch, so
 * its next completion is a new `batch.completed` (see the reconciler's outbox).
 */
export async function batchReplays(db: Executor, batchId: string): Promise<number> {
  const [row] = await db
    .select({ replays: sql<number>`coalesce(sum(${payouts.replays}), 0)::int` })
    .from(payouts)
    .where(eq(payouts.batchId, batchId));
  return row?.replays ?? 0;
}

/**
 * A batch's payouts by state and currency: what its progress is made of, for the API's answer
 * and the reconciler's `batch.completed` webhook alike.
 */
export function batchStatusGroups(db: Executor, batchId: string): Promise<BatchStatusGroup[]> {
  return db
    .select({
      status: payouts.status,
      currency: payouts.currency,
      count: sql<number>`count(*)::int`,
      amount: sql<string>`sum(${payouts.amount})::text`,
      last: sql<Date>`max(${payouts.updatedAt})`,
    })
    .from(payouts)
    .where(eq(payouts.batchId, batchId))
    .groupBy(payouts.status, payouts.currency);
}
