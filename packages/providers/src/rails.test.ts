import { describe, expect, test } from 'vitest';
import { autoRail, railIssues } from './kit/rails.ts';
import { PROVIDER_RAILS, railLimitsEnv } from './registry.ts';

const rzp = PROVIDER_RAILS.get('razorpayx') ?? {};
const bank = { name: 'A', account_number: '123456789012', bank_code: 'HDFC0001234' };

describe('rails', () => {
  test("RazorpayX's declared defaults: IMPS ≤ ₹5,00,000, RTGS ≥ ₹2,00,000, UPI ≤ ₹1,00,000, NEFT unlimited", () => {
    expect(rzp).toEqual({
      IMPS: { max: 50_000_000n },
      RTGS: { min: 20_000_000n },
      UPI: { max: 10_000_000n },
      NEFT: {},
    });
  });

  test('an amount outside its rail names amount and method; a method that is no rail has no limits', () => {
    expect(railIssues(rzp, { method: 'RTGS', amount: 10_000n }).map((i) => i.path)).toEqual(['amount', 'method']);
    expect(railIssues(rzp, { method: 'IMPS', amount: 50_000_001n })[0]?.message).toContain('NEFT');
    expect(railIssues(rzp, { method: 'IMPS', amount: 50_000_000n })).toEqual([]);
    expect(railIssues(rzp, { method: 'card', amount: 10n ** 12n })).toEqual([]);
  });

  test('auto: UPI for a vpa, else IMPS up to its limit, else NEFT; nothing when no rail fits', () => {
    expect(autoRail(rzp, { amount: 1_000n, beneficiary: { ...bank, account_type: 'vpa' } })).toBe('UPI');
    expect(autoRail(rzp, { amount: 10_000_001n, beneficiary: { account_type: 'VPA' } })).toBeNull();
    expect(autoRail(rzp, { amount: 50_000_000n, beneficiary: bank })).toBe('IMPS');
    expect(autoRail(rzp, { amount: 50_000_001n, beneficiary: bank })).toBe('NEFT');
    expect(autoRail(PROVIDER_RAILS.get('krayon') ?? {}, { amount: 50_000_001n, beneficiary: bank })).toBeNull();
    expect(autoRail(PROVIDER_RAILS.get('druo') ?? {}, { amount: 1n, beneficiary: bank })).toBeNull();
  });

  test('PROVIDER_RAIL_LIMITS overrides rail by rail; unset keeps the defaults; nonsense is refused', () => {
    expect(railLimitsEnv.parse(undefined)).toBe(PROVIDER_RAILS);
    const overridden = railLimitsEnv.parse('{"razorpayx": {"IMPS": {"max": 20000000}}}');
    expect(overridden.get('razorpayx')).toEqual({ ...rzp, IMPS: { max: 20_000_000n } });
    expect(overridden.get('krayon')).toEqual(PROVIDER_RAILS.get('krayon'));
    expect(railLimitsEnv.safeParse('{"paypal": {}}').success).toBe(false);
    expect(railLimitsEnv.safeParse('{"razorpayx": {"IMPS": {"max": -1}}}').success).toBe(false);
    expect(railLimitsEnv.safeParse('not json').success).toBe(false);
  });
});
