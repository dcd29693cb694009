/** Fees in paise. `total` is what the wire calls `fees`: RazorpayX's `fees` includes the tax. */
export interface Fees {
  readonly base: number;
  readonly tax: number;
  readonly total: number;
}

/** GST on the fee, in percent. */
const TAX_PERCENT = 18;

/**
 * A deterministic slab schedule, so tests and the ledger can predict every fee: RazorpayX's real
 * fees depend on the plan and the mode, which a sandbox has no business guessing.
 */
export function feesFor(amount: number): Fees {
  const base = amount <= 100_000 ? 500 : amount <= 2_500_000 ? 1000 : 2500;
  // Integer half-up rounding: never a float near money.
  const tax = Math.floor((base * TAX_PERCENT + 50) / 100);
  return { base, tax, total: base + tax };
}
