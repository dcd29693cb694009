import { z } from 'zod';
import { defineProvider } from '../kit/index.ts';
import { CAPABILITIES, createThaiGatewayAdapter } from './adapter.ts';

export const thaiGateway = defineProvider({
  id: 'thai-gateway',
  capabilities: CAPABILITIES,
  env: (sandboxUrl) => ({
    THAI_GATEWAY_BASE_URL: z.string().url().default(`${sandboxUrl}/thai-gateway`),
    THAI_GATEWAY_API_KEY: z.string().min(1).default('thai_sandbox_key'),
    THAI_GATEWAY_API_SECRET: z.string().min(1).default('thai_sandbox_secret'),
  }),
  settings: (env) => ({
    baseUrl: env.THAI_GATEWAY_BASE_URL,
    apiKey: env.THAI_GATEWAY_API_KEY,
    apiSecret: env.THAI_GATEWAY_API_SECRET,
  }),
  create: createThaiGatewayAdapter,
  defaultRoutes: ['THB'],
  // The page publishes no rate limit: conservative defaults, to be raised per contract.
  worker: { concurrency: 20, ratePerSecond: 10 },
});
