import { describe, expect, it } from 'vitest';
import { describeMismatches, termsMismatches } from './provider-terms.ts';

const payout = { id: 'po_01JDA8Z6B9Y4X3W2V1T0S9R8Q7', amount: 50_000n, currency: 'INR' };
const stated = { amount: '50000', currency: 'INR', payoutId: payout.id, feeCurrency: 'INR' };

describe('termsMismatches: a provider answer against the payout', () => {
  it('an answer with our terms, or that states none, matches', () => {
    expect(termsMismatches(payout, stated, 'processed')).toEqual([]);
    expect(termsMismatches(payout, null, 'processed')).toEqual([]);
    expect(termsMismatches(payout, undefined, 'processing')).toEqual([]);
    expect(
      termsMismatches(payout, { amount: null, currency: null, payoutId: null, feeCurrency: null }, 'processed'),
    ).toEqual([]);
  });

  it("names every field that differs, with both values (Krayon's own example: 100.0 USDT for ₹500)", () => {
    expect(termsMismatches(payout, { ...stated, amount: '10000', currency: 'USDT' }, 'processing')).toEqual([
      { field: 'amount', ours: '50000', theirs: '10000' },
      { field: 'currency', ours: 'INR', theirs: 'USDT' },
    ]);
    expect(termsMismatches(payout, { ...stated, payoutId: 'po_other' }, 'processing')).toEqual([
      { field: 'payout_id', ours: payout.id, theirs: 'po_other' },
    ]);
  });

  it('fees in another currency matter only where fees are posted (processed, reversed)', () => {
    const usdFees = { ...stated, feeCurrency: 'USD' };
    expect(termsMismatches(payout, usdFees, 'processing')).toEqual([]);
    expect(termsMismatches(payout, usdFees, 'processed')).toEqual([
      { field: 'fee_currency', ours: 'INR', theirs: 'USD' },
    ]);
    expect(termsMismatches(payout, usdFees, 'reversed')).toHaveLength(1);
  });

  it('the failure message carries both values', () => {
    expect(describeMismatches([{ field: 'amount', ours: '50000', theirs: '40000' }])).toContain(
      "amount: ours 50000, provider's 40000",
    );
  });
});
