import type { ProviderId } from '@payouts/core';
import type { PayoutRow } from './rows.ts';

/**
 * Provider attempts (docs/api.md, "Rail fallback"). A payout has one attempt unless its provider
 * confirmed the attempt failed for a reason that lets it try again; then the reconciler starts the
 * next one (`submitted | processing → reserved`), the hold kept: the ledger holds once per payout.
 */

/**
 * The provider idempotency key of a payout's attempt: the payout's own key for its first (minted at
 * ingestion, so existing payouts keep theirs), `<payout id>-a<n>` after. Derived, never random, so
 * every retry and replay of an attempt sends the same key, and a new attempt can never be taken for
 * the one before it (RazorpayX would answer the first payout for its key). At most 36 characters
 * (RazorpayX's limit): a `po_` id is 29.
 */
export function attemptIdempotencyKey(row: Pick<PayoutRow, 'id' | 'providerIdempotencyKey'>, attempt: number): string {
  return attempt <= 1 ? row.providerIdempotencyKey : `${row.id}-a${attempt}`;
}

/**
 * Failure reasons that say "this rail is unavailable for this payout" (not "this payout is
 * wrong"), by provider, as the provider names them in the failure it confirms. RazorpayX:
 * `imps_not_allowed` (the beneficiary's bank does not take IMPS; status_details.reason).
 */
export const RAIL_UNAVAILABLE_REASONS: Readonly<Partial<Record<ProviderId, readonly string[]>>> = {
  razorpayx: ['imps_not_allowed'],
};

/** The rail a payout falls back to when its rail is unavailable: IMPS → NEFT (no limit, every bank). */
export const FALLBACK_RAILS: Readonly<Record<string, string>> = { IMPS: 'NEFT' };

/**
 * The rail a payout's next attempt uses after the provider confirmed `failure` for the current one,
 * or null when it does not fall back: rail fallback off (the payout's own flag, else the tenant's
 * setting), a reason that is not "rail unavailable", or a rail with nothing to fall back to (so a
 * NEFT attempt never falls back again: at most one fallback per payout).
 */
export function railFallbackTarget(
  row: Pick<PayoutRow, 'provider' | 'method' | 'railFallback'>,
  failure: { code: string } | null,
  tenantRailFallback: boolean,
): string | null {
  if (!(row.railFallback ?? tenantRailFallback) || !failure) return null;
  if (!RAIL_UNAVAILABLE_REASONS[row.provider]?.includes(failure.code)) return null;
  return FALLBACK_RAILS[row.method] ?? null;
}

/**
 * Provider fallback (docs/api.md, "Routing rules"): the next provider of the payout's route after
 * its current provider confirmed `failure`, or null — no route, a code its routing rule does not
 * list in `fallback_on`, or the route's last provider. Only ever after a confirmed failure: an
 * outcome not known never moves a payout to another provider.
 */
export function nextRouteProvider(
  row: Pick<PayoutRow, 'provider' | 'route' | 'routeFallbackOn'>,
  failure: { code: string } | null,
): ProviderId | null {
  if (!failure || !row.routeFallbackOn?.includes(failure.code)) return null;
  return routeNext(row);
}

/** The provider after the payout's current one in its route, or null (no route, or the last). */
export function routeNext(row: Pick<PayoutRow, 'provider' | 'route'>): ProviderId | null {
  if (!row.route) return null;
  const at = row.route.indexOf(row.provider);
  return at >= 0 && at + 1 < row.route.length ? (row.route[at + 1] as ProviderId) : null;
}
