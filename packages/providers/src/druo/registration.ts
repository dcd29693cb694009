import { z } from 'zod';
import { defineProvider } from '../kit/index.ts';
import { CAPABILITIES, createDruoAdapter } from './adapter.ts';

export const druo = defineProvider({
  id: 'druo',
  capabilities: CAPABILITIES,
  env: (sandboxUrl) => ({
    DRUO_BASE_URL: z.string().url().default(`${sandboxUrl}/druo`),
    DRUO_ACCESS_TOKEN: z.string().min(1).default('druo_sandbox_token'),
    /** DRUO's originator tenant (a merchant setting at DRUO), not one of ours. */
    DRUO_TENANT_ID: z.string().min(1).default('ten_0521aadc-5fbd-4b3c-af0a-a4f4b8d6f20a'),
  }),
  settings: (env) => ({ baseUrl: env.DRUO_BASE_URL, accessToken: env.DRUO_ACCESS_TOKEN, tenantId: env.DRUO_TENANT_ID }),
  create: createDruoAdapter,
  defaultRoutes: ['USD', 'COP'],
  // The page publishes no rate limit: conservative defaults, to be raised per contract.
  worker: { concurrency: 20, ratePerSecond: 10 },
});
