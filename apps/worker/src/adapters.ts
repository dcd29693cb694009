import { createAdapters } from '@payouts/providers';
import type { WorkerEnv } from './env.ts';

export function adaptersFromEnv(env: WorkerEnv) {
  return createAdapters({
    timeoutMs: env.PROVIDER_TIMEOUT_MS,
    razorpayx: {
      baseUrl: env.RAZORPAYX_BASE_URL,
      keyId: env.RAZORPAYX_KEY_ID,
      keySecret: env.RAZORPAYX_KEY_SECRET,
      accountNumber: env.RAZORPAYX_ACCOUNT_NUMBER,
      webhookSecret: env.RAZORPAYX_WEBHOOK_SECRET,
    },
  });
}
