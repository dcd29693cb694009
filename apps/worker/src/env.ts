import { baseEnv, confirmWindowEnv, metricsPortEnv, parseEnv, tracingEnv, z } from '@payouts/config';
import type { ProviderId } from '@payouts/core';
import { PROVIDERS, providerEnv, providerWorkerEnv, workerLimits } from '@payouts/providers';
import type { ProviderWorkerSettings } from './settings.ts';

const ms = (fallback: number) => z.coerce.number().int().min(0).default(fallback);

export const workerEnvSchema = z.object({
  ...baseEnv,
  ...providerEnv(),
  ...metricsPortEnv(9464),
  ...tracingEnv,
  /** `<PROVIDER>_CONCURRENCY` and `<PROVIDER>_RATE_PER_SECOND`, defaults from each provider's registration. */
  ...providerWorkerEnv(),
  /** Comma-separated provider ids this process serves; default: every provider with an adapter. */
  WORKER_PROVIDERS: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (!v) return undefined;
      const ids = v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const known: readonly string[] = PROVIDERS.map((p) => p.id);
      for (const id of ids) {
        if (!known.includes(id)) {
          ctx.addIssue({ code: 'custom', message: `unknown provider "${id}" (known: ${known.join(', ')})` });
        }
      }
      return ids as ProviderId[];
    }),
  POLL_FIRST_DELAY_MS: ms(500),
  POLL_FACTOR: z.coerce.number().min(1).default(2),
  POLL_MAX_DELAY_MS: ms(60_000),
  /** RazorpayX settles IMPS in seconds and NEFT within a working day; past 3 days an operator looks. */
  POLL_DEADLINE_MS: ms(3 * 24 * 3600_000),
  REVERSAL_WATCH_MS: ms(10 * 60_000),
  /**
   * A payout whose outcome is unknown counts as never having reached the provider only once a
   * lookup finds nothing this long after it became unknown (a provider with a backlog may still
   * create it); only then is it sent again.
   */
  ABSENCE_AFTER_MS: ms(60_000),
  /** Webhooks count as flowing while one arrived within this long; after it, polling resumes its pace. */
  WEBHOOK_QUIET_MS: ms(30_000),
  /** While webhooks flow, a payout in flight is looked at by polling at most this often. */
  WEBHOOK_SAFETY_POLL_MS: ms(60_000),
  ...confirmWindowEnv,
});
export type WorkerEnv = z.infer<typeof workerEnvSchema>;

export function readWorkerEnv(env: NodeJS.ProcessEnv = process.env): WorkerEnv {
  return parseEnv(workerEnvSchema, env);
}

export function workerSettings(env: WorkerEnv): (provider: ProviderId) => ProviderWorkerSettings {
  const schedule = {
    firstDelayMs: env.POLL_FIRST_DELAY_MS,
    factor: env.POLL_FACTOR,
    maxDelayMs: env.POLL_MAX_DELAY_MS,
    deadlineMs: env.POLL_DEADLINE_MS,
    reversalWatchMs: env.REVERSAL_WATCH_MS,
    absenceAfterMs: env.ABSENCE_AFTER_MS,
  };
  const webhooks = {
    quietMs: env.WEBHOOK_QUIET_MS,
    safetyPollMs: env.WEBHOOK_SAFETY_POLL_MS,
    confirmWindowMs: env.CONFIRM_WINDOW_MS,
  };
  const settings = new Map<string, ProviderWorkerSettings>(
    PROVIDERS.map((registration) => [registration.id, { ...workerLimits(env, registration), schedule, webhooks }]),
  );
  return (provider) => {
    const found = settings.get(provider);
    if (!found) throw new Error(`no worker settings for provider "${provider}"`);
    return found;
  };
}
