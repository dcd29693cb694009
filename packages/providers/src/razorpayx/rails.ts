import type { Rails } from '../kit/index.ts';

/**
 * RazorpayX's rails and their limits in paise, by the networks' rules: IMPS up to ₹5,00,000, RTGS
 * from ₹2,00,000, UPI up to ₹1,00,000 (the limit for most purposes), NEFT without a limit. A
 * deployment whose account has other limits overrides them (PROVIDER_RAIL_LIMITS).
 */
export const RAZORPAYX_RAILS: Rails = {
  IMPS: { max: 50_000_000n },
  RTGS: { min: 20_000_000n },
  UPI: { max: 10_000_000n },
  NEFT: {},
};
