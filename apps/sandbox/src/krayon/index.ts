import { DEFAULT_PROVIDER_CONFIG, type ProviderConfigPatch, resolveProviderConfig } from '../common/config.ts';
import type { RuntimeDeps } from '../common/deps.ts';
import type { ProviderMount } from '../common/provider.ts';
import { ProviderRuntime } from '../common/runtime.ts';
import { krayonRouter } from './routes.ts';
import { type KrayonCredentials, KrayonSimulator } from './simulator.ts';

export type { KrayonCredentials } from './simulator.ts';
export { KrayonSimulator } from './simulator.ts';

export interface KrayonOptions extends Partial<KrayonCredentials> {
  /** Starting configuration; `POST /_admin/reset` returns to it. */
  readonly config?: ProviderConfigPatch;
}

/** The sandbox's default token; the engine's KRAYON_API_TOKEN should default to the same. */
export const KRAYON_DEFAULT_CREDENTIALS: KrayonCredentials = {
  apiToken: 'krayon_sandbox_token',
};

export function createKrayon(deps: RuntimeDeps, options: KrayonOptions = {}): ProviderMount<KrayonSimulator> {
  const { config, ...credentials } = options;
  const runtime = new ProviderRuntime('krayon', resolveProviderConfig(DEFAULT_PROVIDER_CONFIG, config), deps);
  const simulator = new KrayonSimulator(runtime, { ...KRAYON_DEFAULT_CREDENTIALS, ...definedOnly(credentials) });
  return { simulator, router: krayonRouter(simulator) };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
