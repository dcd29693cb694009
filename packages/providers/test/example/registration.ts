import { z } from 'zod';
import { defineProvider } from '../../src/kit/index.ts';
import { CAPABILITIES, createExamplePayAdapter } from './adapter.ts';

/** Named nowhere else: the tests add it to a list of registrations and the engine derives the rest. */
export const examplePay = defineProvider({
  id: 'example-pay',
  capabilities: CAPABILITIES,
  env: (sandboxUrl) => ({
    EXAMPLE_PAY_BASE_URL: z.string().url().default(`${sandboxUrl}/example-pay`),
    EXAMPLE_PAY_API_KEY: z.string().min(1).default('example_sandbox_key'),
  }),
  settings: (env) => ({ baseUrl: env.EXAMPLE_PAY_BASE_URL, apiKey: env.EXAMPLE_PAY_API_KEY }),
  create: createExamplePayAdapter,
  worker: { concurrency: 5, ratePerSecond: 2 },
});
