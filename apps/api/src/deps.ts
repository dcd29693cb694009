import type { Currency, ProviderId } from '@payouts/core';
import type { Database } from '@payouts/db';
import type { Logger } from '@payouts/observability';
import type { ProviderAdapter, Rails } from '@payouts/providers';
import type { Queues, RedisConnection } from '@payouts/queue';
import type { GroupCommitOptions } from './env.ts';
import type { ReconcilerClient } from './reconciler-client.ts';

/** Everything the API's routes need, built once in `startApi` (or by a test). */
export interface ApiDeps {
  db: Database;
  redis: RedisConnection;
  queues: Queues;
  reconciler: ReconcilerClient;
  logger: Logger;
  /**
   * Adapters, for each provider's own validation rules; the API calls a provider only for an
   * operator's lookup (provider-lookup.ts), under the provider's budget.
   */
  adapters: ReadonlyMap<ProviderId, ProviderAdapter>;
  /** Each provider's rails and their limits; absent: the providers' declared defaults. */
  rails?: ReadonlyMap<ProviderId, Rails>;
  /** Which provider a payout goes to when it names none. */
  routes: Readonly<Partial<Record<Currency, ProviderId>>>;
  /**
   * POST /v1/payouts' group commit (PAYOUT_GROUP_COMMIT_WINDOW_MS / PAYOUT_GROUP_COMMIT_MAX);
   * absent: its defaults.
   */
  groupCommit?: GroupCommitOptions;
  /** Per-API-key rate limit (RATE_LIMIT_PER_SECOND / RATE_LIMIT_BURST); absent or 0: no limit. */
  rateLimit?: { perSecond: number; burst: number };
  /**
   * WEBHOOK_ALLOW_PRIVATE_TARGETS: webhook endpoints may be on private addresses (local development,
   * tests). Off (the default), registration refuses what delivery would refuse.
   */
  allowPrivateWebhookTargets?: boolean;
  /** CONSOLE_SESSION_TTL_SECONDS: how long a console session lasts from sign-in (default 30 minutes). */
  consoleSessionTtlSeconds?: number;
  /**
   * SYSTEMIC_FAILURE_CODES: a failed payout with one of these codes may be replayed by an operator
   * once its provider confirms it has no record of it; absent: none may.
   */
  systemicFailureCodes?: ReadonlySet<string>;
  /** OPERATOR_APPROVALS: a bulk replay waits for a second operator key's approval. */
  operatorApprovals?: boolean;
  /**
   * `<PROVIDER>_RATE_PER_SECOND` as the workers have it, for GET /v1/admin/providers and the budget
   * of an operator's lookup; absent: each provider's registered default.
   */
  providerRates?: ReadonlyMap<ProviderId, number>;
  /** CONFIRM_WINDOW_MS as the workers have it: webhooks of a provider that lists join its window; absent: 1 s. */
  confirmWindowMs?: number;
}
