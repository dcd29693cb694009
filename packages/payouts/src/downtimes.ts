import type { ProviderId } from '@payouts/core';
import { type Executor, type ProviderDowntime, payouts, providerDowntimes } from '@payouts/db';
import { and, asc, eq, gt, isNull, lte, or, sql } from 'drizzle-orm';
import { waitsForDowntimeSql } from './predicates.ts';

/**
 * Provider downtimes (`provider_downtimes`): what is down now, and which payouts wait for it.
 * A downtime is active from `starts_at` until it is resolved or its `ends_at` passes.
 */
const activeAt = (now: Date) =>
  and(
    isNull(providerDowntimes.resolvedAt),
    lte(providerDowntimes.startsAt, now),
    or(isNull(providerDowntimes.endsAt), gt(providerDowntimes.endsAt, now)),
  );

/** The provider's active downtimes (one indexed read: the open ones are few). */
export function activeDowntimes(db: Executor, provider: ProviderId, now = new Date()): Promise<ProviderDowntime[]> {
  return db
    .select()
    .from(providerDowntimes)
    .where(and(eq(providerDowntimes.provider, provider), activeAt(now)))
    .orderBy(asc(providerDowntimes.id));
}

/** The active downtime covering a method, if any (the one ending last, for how long to wait). */
export async function downtimeCovering(
  db: Executor,
  provider: ProviderId,
  method: string,
  now = new Date(),
): Promise<ProviderDowntime | null> {
  return coveringDowntime(await activeDowntimes(db, provider, now), method);
}

/** Of a provider's active downtimes, the one covering a method, if any (the one ending last). */
export function coveringDowntime(active: readonly ProviderDowntime[], method: string): ProviderDowntime | null {
  const covering = active.filter((d) => d.modes.includes(method));
  if (covering.length === 0) return null;
  // An open-ended one outlasts any with an end.
  return (
    covering.find((d) => d.endsAt === null) ??
    covering.reduce((a, b) => ((a.endsAt?.getTime() ?? 0) >= (b.endsAt?.getTime() ?? 0) ? a : b))
  );
}

/**
 * The provider's payouts waiting for a downtime whose method no downtime covers any longer,
 * oldest first: the ones to release.
 */
export async function releasableAfterDowntime(db: Executor, provider: ProviderId, limit = 5000) {
  const stillDown = new Set((await activeDowntimes(db, provider)).flatMap((d) => d.modes));
  const waiting = await db
    .select({
      id: payouts.id,
      status: payouts.status,
      provider: payouts.provider,
      queuedReason: payouts.queuedReason,
      providerPayoutId: payouts.providerPayoutId,
      method: payouts.method,
    })
    .from(payouts)
    .where(and(eq(payouts.provider, provider), waitsForDowntimeSql))
    .orderBy(asc(payouts.id))
    .limit(limit);
  return waiting.filter((p) => !stillDown.has(p.method));
}

/** Active downtimes of every provider, for the gauge: one row per provider and mode. */
export async function activeDowntimeModes(db: Executor): Promise<Array<{ provider: string; mode: string }>> {
  const rows = await db
    .select({ provider: providerDowntimes.provider, mode: sql<string>`unnest(${providerDowntimes.modes})` })
    .from(providerDowntimes)
    .where(activeAt(new Date()));
  const seen = new Set<string>();
  return rows.filter((r) => {
    const key = `${r.provider}\u0000${r.mode}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
