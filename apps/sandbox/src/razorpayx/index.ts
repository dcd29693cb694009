import { DEFAULT_PROVIDER_CONFIG, type ProviderConfigPatch, resolveProviderConfig } from '../common/config.ts';
import type { RuntimeDeps } from '../common/deps.ts';
import type { ProviderMount } from '../common/provider.ts';
import { ProviderRuntime } from '../common/runtime.ts';
import { razorpayxRouter } from './routes.ts';
import { type RazorpayXCredentials, RazorpayXSimulator } from './simulator.ts';

export type { RazorpayXCredentials } from './simulator.ts';
export { RazorpayXSimulator } from './simulator.ts';

export interface RazorpayXOptions extends Partial<RazorpayXCredentials> {
  /** Starting configuration; `POST /_admin/reset` returns to it. */
  readonly config?: ProviderConfigPatch;
}

/** The same defaults as the engine's env (packages/config), so both sides agree out of the box. */
export const RAZORPAYX_DEFAULT_CREDENTIALS: RazorpayXCredentials = {
  keyId: 'rzp_test_sandbox',
  keySecret: 'sandbox_secret',
  accountNumber: '7878780080316316',
  webhookSecret: 'sandbox_webhook_secret',
};

export function createRazorpayX(deps: RuntimeDeps, options: RazorpayXOptions = {}): ProviderMount<RazorpayXSimulator> {
  const { config, ...credentials } = options;
  const runtime = new ProviderRuntime('razorpayx', resolveProviderConfig(DEFAULT_PROVIDER_CONFIG, config), deps);
  const simulator = new RazorpayXSimulator(runtime, { ...RAZORPAYX_DEFAULT_CREDENTIALS, ...definedOnly(credentials) });
  return { simulator, router: razorpayxRouter(simulator) };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
