import { z } from 'zod';
import { FEE_MODES, type FeeMode } from '../contract/index.ts';
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
    /** Whether Krayon's fee is charged on top of the amount (`on_top`) or taken out of it (`deducted`). */
    KRAYON_FEE_MODE: z.enum(FEE_MODES as [FeeMode, ...FeeMode[]]).default('on_top'),
  }),
  settingsEnv: ['KRAYON_FEE_MODE'],
  settings: (env) => ({ baseUrl: env.KRAYON_BASE_URL, apiToken: env.KRAYON_API_TOKEN, feeMode: env.KRAYON_FEE_MODE }),
  create: createKrayonAdapter,
  rails: KRAYON_RAILS,
  // The page publishes no rate limit: conservative defaults, to be raised per contract.
  worker: { concurrency: 20, ratePerSecond: 10 },
});
