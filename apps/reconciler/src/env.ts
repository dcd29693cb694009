import { baseEnv, flag, metricsPortEnv, parseEnv, tracingEnv, z } from '@payouts/config';
import {
  createAdapters,
  PROVIDERS,
  providerEnv,
  providerWorkerEnv,
  RECHECK_PROVIDERS,
  workerLimits,
} from '@payouts/providers';
import type { ReconciliationSettings } from './reconciliation/runner.ts';
import type { WebhookDeliverySettings } from './webhooks/deliverer.ts';

export const reconcilerEnvSchema = z.object({
  ...baseEnv,
  ...metricsPortEnv(9465),
  ...tracingEnv,
  /** Reconciliation runs call the providers: their base URLs and credentials, as the workers have them. */
  ...providerEnv(),
  /** The workers' per-provider rate (`<PROVIDER>_RATE_PER_SECOND`): a run uses a share of it. */
  ...providerWorkerEnv(),
  /**
   * The nightly reconciliation run of the previous UTC day, for every provider, at this UTC time
   * (`HH:MM`); `off` turns it off (docs/operations.md, "Reconciliation").
   */
  RECONCILIATION_NIGHTLY_AT: z
    .string()
    .default('02:00')
    .refine((v) => v === 'off' || /^([01]\d|2[0-3]):[0-5]\d$/.test(v), 'must be HH:MM (UTC) or off')
    .transform((v) => (v === 'off' ? null : Number(v.slice(0, 2)) * 60 + Number(v.slice(3)))),
  /** A run's claim lapses this long after its last checkpoint: then another process resumes it. */
  RECONCILIATION_LEASE_MS: z.coerce.number().int().min(500).default(30_000),
  /** How often a reconciler looks for a run to work on. */
  RECONCILIATION_POLL_MS: z.coerce.number().int().min(50).default(2000),
  /** How far past a window's end the provider's list is read (payouts reach a provider after us). */
  RECONCILIATION_LIST_SLACK_MS: z.coerce.number().int().min(0).default(3600_000),
  /** Events applied in one database transaction, at most. */
  RECONCILER_BATCH_SIZE: z.coerce.number().int().min(1).max(5000).default(500),
  /**
   * How long the first event of a batch waits for company while another batch is being applied;
   * an event that finds none being applied starts its batch at once (group-commit.ts).
   */
  RECONCILER_LINGER_MS: z.coerce.number().int().min(0).max(1000).default(5),
  RECONCILER_CONCURRENT_BATCHES: z.coerce.number().int().min(1).max(16).default(2),
  SWEEP_INTERVAL_MS: z.coerce.number().int().min(100).default(15_000),
  /** A payout untouched this long, with no live job, is re-driven from Postgres. */
  SWEEP_AFTER_MS: z.coerce.number().int().min(0).default(30_000),
  /**
   * How often scheduled payouts whose time has come are looked for and released (so a payout is
   * released within about this long of its `scheduled_for`).
   */
  SCHEDULE_RELEASE_INTERVAL_MS: z.coerce.number().int().min(100).max(60_000).default(1000),
  /**
   * The workers' reversal watch (same name, same default): processed payouts this recent whose
   * poll chain Redis lost are re-driven by the sweeper.
   */
  REVERSAL_WATCH_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(10 * 60_000),
  /**
   * Late reversals at providers without webhooks: processed payouts there are looked at again
   * once a day for RECHECK_DAYS days; this is how often a slice of them is taken (0 turns it off).
   * RECHECK_PROVIDERS defaults to every registered provider without webhooks.
   */
  RECHECK_INTERVAL_MS: z.coerce.number().int().min(0).default(3600_000),
  RECHECK_DAYS: z.coerce.number().int().min(0).max(90).default(7),
  RECHECK_PROVIDERS: z
    .string()
    .default(RECHECK_PROVIDERS.join(','))
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  /** Outbound webhooks (docs/webhooks.md): POSTs in flight at once, per process. */
  WEBHOOK_DELIVERY_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16),
  /** Outbound webhooks in flight at once to one endpoint, per process: a slow one cannot take every slot. */
  WEBHOOK_ENDPOINT_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
  /** Failed attempts in a row (5xx, 408, 429, timeout, network) that open an endpoint's circuit. */
  WEBHOOK_CIRCUIT_THRESHOLD: z.coerce.number().int().min(1).max(1000).default(5),
  /** One delivery attempt's limit, response included. */
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  /** How often due deliveries are looked for, besides the nudge after each commit. */
  WEBHOOK_POLL_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).default(1000),
  /** The first retry delay; later ones are multiples of it (5 s → about 24 h over 11 attempts). */
  WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(1).default(5000),
  WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(11),
  /**
   * Deliver to endpoints on private addresses (loopback, RFC 1918, link-local). Off: a tenant's
   * URL must not reach into our own network. `pnpm start` and the tests turn it on.
   */
  WEBHOOK_ALLOW_PRIVATE_TARGETS: flag(false),
});
export type ReconcilerEnv = z.infer<typeof reconcilerEnvSchema>;

export function readReconcilerEnv(env: NodeJS.ProcessEnv = process.env): ReconcilerEnv {
  return parseEnv(reconcilerEnvSchema, env);
}

export function webhookDeliverySettings(env: ReconcilerEnv): WebhookDeliverySettings {
  return {
    concurrency: env.WEBHOOK_DELIVERY_CONCURRENCY,
    endpointConcurrency: env.WEBHOOK_ENDPOINT_CONCURRENCY,
    circuitThreshold: env.WEBHOOK_CIRCUIT_THRESHOLD,
    allowPrivateTargets: env.WEBHOOK_ALLOW_PRIVATE_TARGETS,
    timeoutMs: env.WEBHOOK_TIMEOUT_MS,
    pollIntervalMs: env.WEBHOOK_POLL_INTERVAL_MS,
    retry: { baseMs: env.WEBHOOK_RETRY_BASE_MS, maxAttempts: env.WEBHOOK_MAX_ATTEMPTS },
  };
}

/**
 * Everything `startReconciler` reads from the environment, in one place: the app, `pnpm start`,
 * the test system and the bench all start the reconciler from the same settings, and only add
 * what is theirs (database, queues, logger).
 */
export function reconcilerSettings(env: ReconcilerEnv) {
  return {
    redisUrl: env.REDIS_URL,
    prefix: env.QUEUE_PREFIX,
    batch: {
      maxBatch: env.RECONCILER_BATCH_SIZE,
      lingerMs: env.RECONCILER_LINGER_MS,
      maxConcurrent: env.RECONCILER_CONCURRENT_BATCHES,
    },
    sweepIntervalMs: env.SWEEP_INTERVAL_MS,
    sweepAfterMs: env.SWEEP_AFTER_MS,
    releaseIntervalMs: env.SCHEDULE_RELEASE_INTERVAL_MS,
    reversalWatchMs: env.REVERSAL_WATCH_MS,
    recheck: { providers: env.RECHECK_PROVIDERS, days: env.RECHECK_DAYS, intervalMs: env.RECHECK_INTERVAL_MS },
    webhooks: webhookDeliverySettings(env),
    reconciliation: reconciliationSettings(env),
  };
}

/** Reconciliation runs: the providers' adapters and rates (their budgets' size), the schedule. */
export function reconciliationSettings(env: ReconcilerEnv) {
  const rates = new Map<string, number>(PROVIDERS.map((r) => [r.id, workerLimits(env, r).ratePerSecond]));
  const settings: ReconciliationSettings = {
    leaseMs: env.RECONCILIATION_LEASE_MS,
    pollIntervalMs: env.RECONCILIATION_POLL_MS,
    listSlackMs: env.RECONCILIATION_LIST_SLACK_MS,
  };
  return {
    adapters: createAdapters(env),
    ratePerSecond: (provider: string) => rates.get(provider) ?? 1,
    settings,
    nightly: { atMinuteUtc: env.RECONCILIATION_NIGHTLY_AT, providers: PROVIDERS.map((r) => r.id) },
  };
}
