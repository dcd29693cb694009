import { razorpayx } from '@payouts/providers';
import { defineSimulator, type SimulatorOptions } from '../common/registration.ts';
import { razorpayxRouter } from './routes.ts';
import { type RazorpayXCredentials, RazorpayXSimulator } from './simulator.ts';
import { razorpayxState } from './state.ts';

export type { RazorpayXCredentials } from './simulator.ts';

export type RazorpayXOptions = SimulatorOptions<RazorpayXCredentials>;

/** The same defaults as the engine's RAZORPAYX_* variables, so both sides agree out of the box. */
export const RAZORPAYX_DEFAULT_CREDENTIALS: RazorpayXCredentials = {
  keyId: 'rzp_test_sandbox',
  keySecret: 'sandbox_secret',
  accountNumber: '7878780080316316',
  webhookSecret: 'sandbox_webhook_secret',
};

export const razorpayxSimulator = defineSimulator({
  provider: razorpayx,
  key: 'razorpayx',
  defaults: RAZORPAYX_DEFAULT_CREDENTIALS,
  credentials: (env) => ({
    keyId: env('RAZORPAYX_KEY_ID'),
    keySecret: env('RAZORPAYX_KEY_SECRET'),
    accountNumber: env('RAZORPAYX_ACCOUNT_NUMBER'),
    webhookSecret: env('RAZORPAYX_WEBHOOK_SECRET'),
  }),
  simulator: (runtime, credentials) => new RazorpayXSimulator(runtime, credentials),
  router: razorpayxRouter,
  state: razorpayxState,
});
