import type { ProviderId } from '@payouts/core';
import type { Database, ProviderDowntime } from '@payouts/db';
import { activeDowntimes, type PayoutRow } from '@payouts/payouts';
import { Batched } from './batched.ts';
import { loadPayouts } from './payout-record.ts';

/**
 * The reads that jobs starting together share. BullMQ hands a worker a burst of jobs (the
 * submissions of one reconciler batch, the polls falling due at once) one after the other and
 * starts them together; each used to read its payout and its provider's downtimes with queries of
 * its own, so a burst of ten queued forty round trips on the process's pool, and the first claim
 * waited for most of them. Here the jobs that ask within one turn of the event loop share one
 * query: the payouts by id, and each provider's active downtimes. Nothing is cached: every answer is
 * read after its job asked, as its own query would have been.
 */
export class SharedReads {
  private readonly payouts: Batched<string, PayoutRow>;
  private readonly downtimes: Batched<ProviderId, ProviderDowntime[]>;

  constructor(db: Database, now: () => number) {
    this.payouts = new Batched((ids) => loadPayouts(db, ids), { maxKeys: MAX_PAYOUTS_PER_READ });
    this.downtimes = new Batched(async (providers) => {
      const at = new Date(now());
      const found = await Promise.all(providers.map((p) => activeDowntimes(db, p, at)));
      return new Map(providers.map((p, i) => [p, found[i] ?? []]));
    });
  }

  /** The payout's row, or null when there is none. */
  async payout(id: string): Promise<PayoutRow | null> {
    return (await this.payouts.get(id)) ?? null;
  }

  /** The provider's active downtimes. */
  async activeDowntimes(provider: ProviderId): Promise<ProviderDowntime[]> {
    return (await this.downtimes.get(provider)) ?? [];
  }
}

/** Ids in one payout read: a burst larger than this is read in several queries. */
export const MAX_PAYOUTS_PER_READ = 500;
