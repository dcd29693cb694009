import type { FieldIssue } from '@payouts/core';
import type { Beneficiary } from '../contract/index.ts';

/**
 * The limits of one rail (a payment network: IMPS, NEFT, RTGS, UPI, …) at one provider, in minor
 * units of the payout's currency. A bound left out is no bound.
 */
export interface RailLimit {
  readonly min?: bigint;
  readonly max?: bigint;
}

/**
 * The rails a provider offers and their limits, by method name as the public API spells it. A
 * method the provider accepts but that is not listed here (a card payout) has no rail limits.
 */
export type Rails = Readonly<Record<string, RailLimit>>;

/** The method a payout may name to let the engine choose the rail (`autoRail`). */
export const AUTO_METHOD = 'auto';

/** `5000000` paise → `₹50,000.00`-like text is locale work; minor units are what the API speaks. */
const units = (value: bigint) => `${value} minor units`;

/**
 * Why a payout's amount is outside its method's rail limits, as issues naming both `amount` and
 * `method` (either may be what the client got wrong). Nothing when the rail has no limits or the
 * method is not a rail.
 */
export function railIssues(rails: Rails, payout: { method: string; amount: bigint }): FieldIssue[] {
  const limit = rails[payout.method];
  if (!limit) return [];
  const { method, amount } = payout;
  let broken: string | null = null;
  if (limit.min !== undefined && amount < limit.min) broken = `${method} payouts are at least ${units(limit.min)}`;
  if (limit.max !== undefined && amount > limit.max) broken = `${method} payouts are at most ${units(limit.max)}`;
  if (!broken) return [];
  const others = Object.keys(rails).filter((rail) => rail !== method && withinLimit(rails[rail], amount));
  const hint = others.length > 0 ? `; ${amount} fits ${others.join(', ')}` : '';
  return [
    { path: 'amount', message: `${broken}${hint}` },
    { path: 'method', message: `${method} cannot carry ${units(amount)}${hint}` },
  ];
}

function withinLimit(limit: RailLimit | undefined, amount: bigint): boolean {
  if (!limit) return false;
  return (limit.min === undefined || amount >= limit.min) && (limit.max === undefined || amount <= limit.max);
}

/** A beneficiary reached by a UPI address (a virtual payment address) rather than a bank account. */
export function isUpiBeneficiary(beneficiary: Beneficiary): boolean {
  return beneficiary.upi_address !== undefined || beneficiary.account_type?.toLowerCase() === 'vpa';
}

/**
 * The rail `method: "auto"` picks at a provider: UPI for a UPI address (when the provider offers
 * UPI and the amount fits it), else IMPS (instant) up to its limit, else NEFT (no limit). `null`
 * when the provider offers none of these that fits: the payout must name its method.
 */
export function autoRail(rails: Rails, payout: { amount: bigint; beneficiary: Beneficiary }): string | null {
  const fits = (rail: string) => withinLimit(rails[rail], payout.amount);
  if (isUpiBeneficiary(payout.beneficiary)) return fits('UPI') ? 'UPI' : null;
  if (fits('IMPS')) return 'IMPS';
  if (fits('NEFT')) return 'NEFT';
  return null;
}

/** Overrides laid over a provider's declared rails, rail by rail (a rail named replaces its limits). */
export function withRailOverrides(rails: Rails, overrides: Rails | undefined): Rails {
  return overrides ? { ...rails, ...overrides } : rails;
}
