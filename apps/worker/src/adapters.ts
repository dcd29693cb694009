import { providersConfigFromEnv } from '@payouts/config';
import { createAdapters } from '@payouts/providers';
import type { WorkerEnv } from './env.ts';

export function adaptersFromEnv(env: WorkerEnv) {
  return createAdapters(providersConfigFromEnv(env));
}
