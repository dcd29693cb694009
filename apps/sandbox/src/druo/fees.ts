/** Fees in minor units of the payout's currency. */
export interface Fees {
  readonly fixed: number;
  readonly variable: number;
  readonly total: number;
}

/** The page's example: amount 20000, variable_fee 400, fixed_fee 0, total_fee 400. */
const VARIABLE_FEE_PERCENT = 2n;

/**
 * 2% of the amount, rounded up to the next minor unit, no fixed fee. Computed in bigint so an
 * amount near JSON's safe-integer limit is not rounded as a float.
 */
export function feesFor(amount: number): Fees {
  const variable = Number((BigInt(amount) * VARIABLE_FEE_PERCENT + 99n) / 100n);
  return { fixed: 0, variable, total: variable };
}
