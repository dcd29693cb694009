import { baseEnv, parseEnv, z } from '@payouts/config';

export const reconcilerEnvSchema = z.object({
  ...baseEnv,
  /** Events applied in one database transaction, at most. */
  RECONCILER_BATCH_SIZE: z.coerce.number().int().min(1).max(5000).default(500),
  /** How long the first event of a batch waits for company. */
  RECONCILER_LINGER_MS: z.coerce.number().int().min(0).max(1000).default(5),
  RECONCILER_CONCURRENT_BATCHES: z.coerce.number().int().min(1).max(16).default(2),
  SWEEP_INTERVAL_MS: z.coerce.number().int().min(100).default(15_000),
  /** A payout untouched this long, with no live job, is re-driven from Postgres. */
  SWEEP_AFTER_MS: z.coerce.number().int().min(0).default(30_000),
});
export type ReconcilerEnv = z.infer<typeof reconcilerEnvSchema>;

export function readReconcilerEnv(env: NodeJS.ProcessEnv = process.env): ReconcilerEnv {
  return parseEnv(reconcilerEnvSchema, env);
}
