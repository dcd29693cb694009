import { DEFAULT_PROVIDER_CONFIG, type ProviderConfigPatch, resolveProviderConfig } from '../common/config.ts';
import type { RuntimeDeps } from '../common/deps.ts';
import type { ProviderMount } from '../common/provider.ts';
import { ProviderRuntime } from '../common/runtime.ts';
import { thaiGatewayRouter } from './routes.ts';
import { type ThaiGatewayCredentials, ThaiGatewaySimulator } from './simulator.ts';

export type { ThaiGatewayCredentials } from './simulator.ts';
export { ThaiGatewaySimulator } from './simulator.ts';

export interface ThaiGatewayOptions extends Partial<ThaiGatewayCredentials> {
  /** Starting configuration (balance in satang); `POST /_admin/reset` returns to it. */
  readonly config?: ProviderConfigPatch;
}

/** The sandbox's default credentials; the engine's env must default to the same pair. */
export const THAI_GATEWAY_DEFAULT_CREDENTIALS: ThaiGatewayCredentials = {
  apiKey: 'thai_sandbox_key',
  apiSecret: 'thai_sandbox_secret',
};

export function createThaiGateway(
  deps: RuntimeDeps,
  options: ThaiGatewayOptions = {},
): ProviderMount<ThaiGatewaySimulator> {
  const { config, ...credentials } = options;
  const runtime = new ProviderRuntime('thai-gateway', resolveProviderConfig(DEFAULT_PROVIDER_CONFIG, config), deps);
  const simulator = new ThaiGatewaySimulator(runtime, {
    ...THAI_GATEWAY_DEFAULT_CREDENTIALS,
    ...definedOnly(credentials),
  });
  return { simulator, router: thaiGatewayRouter(simulator) };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
