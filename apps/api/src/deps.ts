import type { Currency, ProviderId } from '@payouts/core';
import type { Database } from '@payouts/db';
import type { Logger } from '@payouts/observability';
import type { ProviderAdapter } from '@payouts/providers';
import type { Queues } from '@payouts/queue';
import type { Redis } from 'ioredis';
import type { ReconcilerClient } from './reconciler-client.ts';

/** Everything the API's routes need, built once in `startApi` (or by a test). */
export interface ApiDeps {
  db: Database;
  redis: Redis;
  queues: Queues;
  reconciler: ReconcilerClient;
  logger: Logger;
  /** Adapters, for each provider's own validation rules (the API never calls a provider). */
  adapters: ReadonlyMap<ProviderId, ProviderAdapter>;
  /** Which provider a payout goes to when it names none. */
  routes: Readonly<Partial<Record<Currency, ProviderId>>>;
}
