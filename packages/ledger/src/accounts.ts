import type { Currency, ProviderId } from '@payouts/core';

/** Account keys name every account of the ledger (docs/architecture.md#the-ledger). */
export type AccountKind =
  | 'wallet_available'
  | 'wallet_held'
  | 'provider_clearing'
  | 'provider_float'
  | 'fees'
  | 'tax'
  | 'external_funding';

export interface AccountRef {
  key: string;
  kind: AccountKind;
  currency: Currency;
  tenantId?: string;
  provider?: ProviderId;
}

export const accounts = {
  /** What the tenant may spend. Never below zero. */
  available: (tenantId: string, currency: Currency): AccountRef => ({
    key: `wallet:${tenantId}:${currency}:available`,
    kind: 'wallet_available',
    currency,
    tenantId,
  }),
  /** Money promised to payouts in flight: the sum of open holds. */
  held: (tenantId: string, currency: Currency): AccountRef => ({
    key: `wallet:${tenantId}:${currency}:held`,
    kind: 'wallet_held',
    currency,
    tenantId,
  }),
  /** What a provider has paid out for us (and owes back on a reversal). */
  clearing: (provider: ProviderId, currency: Currency): AccountRef => ({
    key: `clearing:${provider}:${currency}`,
    kind: 'provider_clearing',
    currency,
    provider,
  }),
  /**
   * What we hold at a provider (our float there): raised by operator fundings of the provider.
   * Payouts post to clearing, fees and tax, never here, so what the provider should hold is this
   * less those three (`expectedProviderBalances`).
   */
  float: (provider: ProviderId, currency: Currency): AccountRef => ({
    key: `float:${provider}:${currency}`,
    kind: 'provider_float',
    currency,
    provider,
  }),
  fees: (provider: ProviderId, currency: Currency): AccountRef => ({
    key: `fees:${provider}:${currency}`,
    kind: 'fees',
    currency,
    provider,
  }),
  tax: (provider: ProviderId, currency: Currency): AccountRef => ({
    key: `tax:${provider}:${currency}`,
    kind: 'tax',
    currency,
    provider,
  }),
  /** The outside world that funds wallets; its balance is minus everything ever funded. */
  externalFunding: (currency: Currency): AccountRef => ({
    key: `external:${currency}`,
    kind: 'external_funding',
    currency,
  }),
};
