/**
 * Krayon's fee, in paise: a flat ₹5 per withdrawal, charged on top of the amount. The page shows
 * `payment_fee` but no schedule; a flat fee keeps every balance in tests predictable. The engine's
 * adapter reserves 1000 paise for it (ASSUMPTIONS.md).
 */
export const KRAYON_FEE_PAISE = 500;

export function feeFor(_amount: number): number {
  return KRAYON_FEE_PAISE;
}
