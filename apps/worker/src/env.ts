import { baseEnv, metricsPortEnv, parseEnv, providerEnv, tracingEnv, z } from '@payouts/config';
import { PROVIDER_IDS, type ProviderId } from '@payouts/core';
import type { ProviderWorkerSettings } from './settings.ts';

const ms = (fallback: number) => z.coerce.number().int().min(0).default(fallback);

export const workerEnvSchema = z.object({
  ...baseEnv,
  ...providerEnv(),
  ...metricsPortEnv(9464),
  ...tracingEnv,
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
      for (const id of ids) {
        if (!(PROVIDER_IDS as readonly string[]).includes(id)) {
          ctx.addIssue({ code: 'custom', message: `unknown provider "${id}" (known: ${PROVIDER_IDS.join(', ')})` });
        }
      }
      return ids as ProviderId[];
    }),
  RAZORPAYX_CONCURRENCY: z.coerce.number().int().min(1).default(50),
  /** RazorpayX asks for 5–10 requests/s; the sandbox takes far more (set it higher there). */
  RAZORPAYX_RATE_PER_SECOND: z.coerce.number().int().min(1).default(10),
  // The other pages publish no rate limits: conservative defaults, to be raised per contract.
  KRAYON_CONCURRENCY: z.coerce.number().int().min(1).default(20),
  KRAYON_RATE_PER_SECOND: z.coerce.number().int().min(1).default(10),
  THAI_GATEWAY_CONCURRENCY: z.coerce.number().int().min(1).default(20),
  THAI_GATEWAY_RATE_PER_SECOND: z.coerce.number().int().min(1).default(10),
  DRUO_CONCURRENCY: z.coerce.number().int().min(1).default(20),
  DRUO_RATE_PER_SECOND: z.coerce.number().int().min(1).default(10),
  POLL_FIRST_DELAY_MS: ms(500),
  POLL_FACTOR: z.coerce.number().min(1).default(2),
  POLL_MAX_DELAY_MS: ms(60_000),
  /** RazorpayX settles IMPS in seconds and NEFT within a working day; past 3 days an operator looks. */
  POLL_DEADLINE_MS: ms(3 * 24 * 3600_000),
  REVERSAL_WATCH_MS: ms(10 * 60_000),
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
  };
  const settings: Record<ProviderId, ProviderWorkerSettings> = {
    razorpayx: { concurrency: env.RAZORPAYX_CONCURRENCY, ratePerSecond: env.RAZORPAYX_RATE_PER_SECOND, schedule },
    krayon: { concurrency: env.KRAYON_CONCURRENCY, ratePerSecond: env.KRAYON_RATE_PER_SECOND, schedule },
    'thai-gateway': {
      concurrency: env.THAI_GATEWAY_CONCURRENCY,
      ratePerSecond: env.THAI_GATEWAY_RATE_PER_SECOND,
      schedule,
    },
    druo: { concurrency: env.DRUO_CONCURRENCY, ratePerSecond: env.DRUO_RATE_PER_SECOND, schedule },
  };
  return (provider) => settings[provider];
}
