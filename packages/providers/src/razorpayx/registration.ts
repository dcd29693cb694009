import { z } from 'zod';
import { defineProvider } from '../kit/index.ts';
import { CAPABILITIES, createRazorpayxAdapter } from './adapter.ts';
import { RAZORPAYX_RAILS } from './rails.ts';

export const razorpayx = defineProvider({
  id: 'razorpayx',
  capabilities: CAPABILITIES,
  env: (sandboxUrl) => ({
    RAZORPAYX_BASE_URL: z.string().url().default(`${sandboxUrl}/razorpayx`),
    RAZORPAYX_KEY_ID: z.string().min(1).default('rzp_test_sandbox'),
    RAZORPAYX_KEY_SECRET: z.string().min(1).default('sandbox_secret'),
    RAZORPAYX_ACCOUNT_NUMBER: z.string().min(1).default('7878780080316316'),
    RAZORPAYX_WEBHOOK_SECRET: z.string().min(1).default('sandbox_webhook_secret'),
  }),
  settings: (env) => ({
    baseUrl: env.RAZORPAYX_BASE_URL,
    keyId: env.RAZORPAYX_KEY_ID,
    keySecret: env.RAZORPAYX_KEY_SECRET,
    accountNumber: env.RAZORPAYX_ACCOUNT_NUMBER,
    webhookSecret: env.RAZORPAYX_WEBHOOK_SECRET,
  }),
  create: createRazorpayxAdapter,
  defaultRoutes: ['INR'],
  rails: RAZORPAYX_RAILS,
  /** RazorpayX asks for 5–10 requests/s; the sandbox takes far more (set it higher there). */
  worker: { concurrency: 50, ratePerSecond: 10 },
});
