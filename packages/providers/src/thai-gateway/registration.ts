import { z } from 'zod';
import { defineProvider } from '../kit/index.ts';
import { CAPABILITIES, createThaiGatewayAdapter } from './adapter.ts';
import { THAI_GATEWAY_AMOUNT_UNITS } from './transformers.ts';

export const thaiGateway = defineProvider({
  id: 'thai-gateway',
  capabilities: CAPABILITIES,
  env: (sandboxUrl) => ({
    THAI_GATEWAY_BASE_URL: z.string().url().default(`${sandboxUrl}/thai-gateway`),
    THAI_GATEWAY_API_KEY: z.string().min(1).default('thai_sandbox_key'),
    THAI_GATEWAY_API_SECRET: z.string().min(1).default('thai_sandbox_secret'),
    /** How the gateway's amount string reads: `baht` ("1000.00" = ฿1,000) or `satang` (the page's literal ฿10.00). */
    THAI_GATEWAY_AMOUNT_UNIT: z.enum(THAI_GATEWAY_AMOUNT_UNITS).default('baht'),
  }),
  settingsEnv: ['THAI_GATEWAY_AMOUNT_UNIT'],
  settings: (env) => ({
    baseUrl: env.THAI_GATEWAY_BASE_URL,
    apiKey: env.THAI_GATEWAY_API_KEY,
    apiSecret: env.THAI_GATEWAY_API_SECRET,
    amountUnit: env.THAI_GATEWAY_AMOUNT_UNIT,
  }),
  create: createThaiGatewayAdapter,
  defaultRoutes: ['THB'],
  // The page publishes no rate limit: conservative defaults, to be raised per contract.
  worker: { concurrency: 20, ratePerSecond: 10 },
});
