import { DEFAULT_PROVIDER_CONFIG, type ProviderConfigPatch, resolveProviderConfig } from '../common/config.ts';
import type { RuntimeDeps } from '../common/deps.ts';
import type { ProviderMount } from '../common/provider.ts';
import { ProviderRuntime } from '../common/runtime.ts';
import { druoRouter } from './routes.ts';
import { type DruoCredentials, DruoSimulator } from './simulator.ts';

export type { DruoCredentials } from './simulator.ts';
export { DruoSimulator } from './simulator.ts';

export interface DruoOptions extends Partial<DruoCredentials> {
  /** Starting configuration; `POST /_admin/reset` returns to it. `balance` is each currency's. */
  readonly config?: ProviderConfigPatch;
}

/**
 * The engine's env should default to the same values (DRUO_ACCESS_TOKEN, DRUO_TENANT_ID), so both
 * sides agree out of the box. The tenant is the one in the page's field examples.
 */
export const DRUO_DEFAULT_CREDENTIALS: DruoCredentials = {
  accessToken: 'druo_sandbox_token',
  tenantId: 'ten_0521aadc-5fbd-4b3c-af0a-a4f4b8d6f20a',
};

export function createDruo(deps: RuntimeDeps, options: DruoOptions = {}): ProviderMount<DruoSimulator> {
  const { config, ...credentials } = options;
  const runtime = new ProviderRuntime('druo', resolveProviderConfig(DEFAULT_PROVIDER_CONFIG, config), deps);
  const simulator = new DruoSimulator(runtime, { ...DRUO_DEFAULT_CREDENTIALS, ...definedOnly(credentials) });
  return { simulator, router: druoRouter(simulator) };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
