import { z } from 'zod';
import { defineProvider } from '../kit/index.ts';
import { CAPABILITIES, createKrayonAdapter } from './adapter.ts';
import { KRAYON_RAILS } from './rails.ts';

/** Used only when a payout names it, or when PROVIDER_ROUTES sends a currency here. */
export const krayon = defineProvider({
  id: 'krayon',
  capabilities: CAPABILITIES,
  env: (sandboxUrl) => ({
    KRAYON_BASE_URL: z.string().url().default(`${sandboxUrl}/krayon`),
    KRAYON_API_TOKEN: z.string().min(1).default('krayon_sandbox_token'),
  }),
  settings: (env) => ({ baseUrl: env.KRAYON_BASE_URL, apiToken: env.KRAYON_API_TOKEN }),
  create: createKrayonAdapter,
  rails: KRAYON_RAILS,
  // The page publishes no rate limit: conservative defaults, to be raised per contract.
  worker: { concurrency: 20, ratePerSecond: 10 },
});
