import type { BatchShortfall } from '@payouts/db';

/**
 * A run's wallet pre-flight (docs/batches.md): the currencies whose wallet's available balance
 * cannot cover what the run needs (amounts plus the fee reserves held with them). The same rule at
 * upload (the API) and, for a scheduled run, when it is due (the reconciler's release).
 */
export function shortfallsOf(
  needed: ReadonlyMap<string, bigint>,
  wallets: readonly { currency: string; available: bigint }[],
): BatchShortfall[] {
  const available = new Map(wallets.map((w) => [w.currency, w.available]));
  return [...needed].flatMap(([currency, need]) => {
    const has = available.get(currency) ?? 0n;
    return need > has ? [{ currency, needed: need.toString(), available: has.toString() }] : [];
  });
}
