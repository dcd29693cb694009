import type { Currency, ProviderId } from '@payouts/core';
import type { ProviderAdapter } from './contract/types.ts';
import { createRazorpayxAdapter, type RazorpayxConfig } from './razorpayx/index.ts';

/**
 * The list of providers the engine knows. Adding a provider is a folder like `razorpayx/` and a
 * line here; nothing else changes.
 */
export interface ProvidersConfig {
  timeoutMs: number;
  razorpayx?: Omit<RazorpayxConfig, 'timeoutMs'>;
}

export function createAdapters(config: ProvidersConfig): Map<ProviderId, ProviderAdapter> {
  const adapters = new Map<ProviderId, ProviderAdapter>();
  if (config.razorpayx)
    adapters.set('razorpayx', createRazorpayxAdapter({ ...config.razorpayx, timeoutMs: config.timeoutMs }));
  return adapters;
}

/** Default routing when a payout names no provider (DESIGN §5): by currency, configurable. */
export const DEFAULT_ROUTES: Readonly<Partial<Record<Currency, ProviderId>>> = {
  INR: 'razorpayx',
  THB: 'thai-gateway',
  USD: 'druo',
  COP: 'druo',
};
