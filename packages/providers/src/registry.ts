import type { Currency, ProviderId } from '@payouts/core';
import type { ProviderAdapter } from './contract/types.ts';
import { createDruoAdapter, type DruoConfig } from './druo/index.ts';
import { createKrayonAdapter, type KrayonConfig } from './krayon/index.ts';
import { createRazorpayxAdapter, type RazorpayxConfig } from './razorpayx/index.ts';
import { createThaiGatewayAdapter, type ThaiGatewayConfig } from './thai-gateway/index.ts';

/**
 * The providers the engine knows. Adding one takes a folder like `razorpayx/`, a line here and
 * more (docs/architecture.md#adding-a-provider-today). A provider without configuration is simply
 * not enabled.
 */
export interface ProvidersConfig {
  timeoutMs: number;
  razorpayx?: Omit<RazorpayxConfig, 'timeoutMs'>;
  krayon?: Omit<KrayonConfig, 'timeoutMs'>;
  thaiGateway?: Omit<ThaiGatewayConfig, 'timeoutMs'>;
  druo?: Omit<DruoConfig, 'timeoutMs'>;
}

export function createAdapters(config: ProvidersConfig): Map<ProviderId, ProviderAdapter> {
  const { timeoutMs } = config;
  const adapters = new Map<ProviderId, ProviderAdapter>();
  if (config.razorpayx) adapters.set('razorpayx', createRazorpayxAdapter({ ...config.razorpayx, timeoutMs }));
  if (config.krayon) adapters.set('krayon', createKrayonAdapter({ ...config.krayon, timeoutMs }));
  if (config.thaiGateway) adapters.set('thai-gateway', createThaiGatewayAdapter({ ...config.thaiGateway, timeoutMs }));
  if (config.druo) adapters.set('druo', createDruoAdapter({ ...config.druo, timeoutMs }));
  return adapters;
}

/** Default routing when a payout names no provider (docs/api.md): by currency, configurable. */
export const DEFAULT_ROUTES: Readonly<Partial<Record<Currency, ProviderId>>> = {
  INR: 'razorpayx',
  THB: 'thai-gateway',
  USD: 'druo',
  COP: 'druo',
};
