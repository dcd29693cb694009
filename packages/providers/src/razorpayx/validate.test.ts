import type { Currency } from '@payouts/core';
import { describe, expect, it } from 'vitest';
import { pagePayout } from '../../test/razorpayx/fixtures.ts';
import type { CanonicalPayout } from '../contract/index.ts';
import { validateRazorpayxPayout } from './adapter.ts';

const bankBeneficiary = { name: 'Gaurav Kumar', account_number: '1121431121541121', bank_code: 'HDFC0000053' };

function paths(overrides: Partial<CanonicalPayout>): string[] {
  return validateRazorpayxPayout(pagePayout(overrides)).map((issue) => issue.path);
}

describe('validate (RazorpayX rules, canonical paths)', () => {
  it("accepts the page's example payout", () => {
    expect(validateRazorpayxPayout(pagePayout())).toEqual([]);
  });

  it('accepts a composite bank-account payout', () => {
    expect(paths({ method: 'IMPS', beneficiary: bankBeneficiary })).toEqual([]);
  });

  it('amount: at least 100 paise', () => {
    expect(paths({ amount: 99n })).toEqual(['amount']);
    expect(paths({ amount: 0n })).toEqual(['amount']);
    expect(paths({ amount: 100n })).toEqual([]);
  });

  it('amount: a safe integer', () => {
    expect(paths({ amount: BigInt(Number.MAX_SAFE_INTEGER) })).toEqual([]);
    expect(paths({ amount: BigInt(Number.MAX_SAFE_INTEGER) + 1n })).toEqual(['amount']);
  });

  it('currency: INR only', () => {
    expect(paths({ currency: 'USD' as Currency })).toEqual(['currency']);
  });

  it('method: one of the modes, case-sensitive', () => {
    for (const method of ['NEFT', 'RTGS', 'IMPS', 'UPI', 'card']) {
      expect(paths({ method })).toEqual([]);
    }
    expect(paths({ method: 'imps', beneficiary: bankBeneficiary })).toEqual(['method']);
    expect(paths({ method: 'CARD' })).toEqual(['method']);
    expect(paths({ method: 'bank_account' })).toEqual(['method']);
  });

  it('purpose: one of the defaults when given', () => {
    for (const purpose of ['refund', 'cashback', 'payout', 'salary', 'utility bill', 'vendor bill', null]) {
      expect(paths({ purpose })).toEqual([]);
    }
    expect(paths({ purpose: 'gift' })).toEqual(['purpose']);
    expect(paths({ purpose: 'Refund' })).toEqual(['purpose']);
  });

  it('narration: 1 to 30 letters, digits and spaces', () => {
    expect(paths({ narration: 'a'.repeat(30) })).toEqual([]);
    expect(paths({ narration: 'a'.repeat(31) })).toEqual(['narration']);
    expect(paths({ narration: 'Acme Corp. Fund-Transfer' })).toEqual(['narration']);
    expect(paths({ narration: 'Tea, Earl Grey' })).toEqual(['narration']);
    expect(paths({ narration: '' })).toEqual(['narration']);
  });

  it('reference_id: at most 40 characters', () => {
    expect(paths({ referenceId: 'r'.repeat(40) })).toEqual([]);
    expect(paths({ referenceId: 'r'.repeat(41) })).toEqual(['reference_id']);
    expect(paths({ referenceId: '' })).toEqual(['reference_id']);
  });

  it('metadata: at most 14 keys (one of the 15 notes is ours)', () => {
    const notes = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));
    expect(paths({ metadata: notes(14) })).toEqual([]);
    expect(paths({ metadata: notes(15) })).toEqual(['metadata']);
  });

  it('metadata: string values of at most 256 characters', () => {
    expect(paths({ metadata: { k: 'v'.repeat(256) } })).toEqual([]);
    expect(paths({ metadata: { k: 'v'.repeat(257) } })).toEqual(['metadata.k']);
    expect(paths({ metadata: { k: 5 as unknown as string } })).toEqual(['metadata.k']);
  });

  it('metadata: payout_id is reserved for our payout id', () => {
    expect(paths({ metadata: { payout_id: 'x' } })).toEqual(['metadata.payout_id']);
  });

  it('beneficiary: name, account number and IFSC without a fund account id', () => {
    expect(paths({ method: 'NEFT', beneficiary: {} })).toEqual([
      'beneficiary.name',
      'beneficiary.account_number',
      'beneficiary.bank_code',
    ]);
    expect(paths({ method: 'NEFT', beneficiary: { ...bankBeneficiary, name: '' } })).toEqual(['beneficiary.name']);
  });

  it('beneficiary.bank_code: an IFSC', () => {
    for (const bank_code of ['HDFC0000053', 'SBIN0ABC123']) {
      expect(paths({ method: 'RTGS', beneficiary: { ...bankBeneficiary, bank_code } })).toEqual([]);
    }
    for (const bank_code of ['hdfc0000053', 'HDFC1000053', 'HDFC000005', 'HDFC00000533', '004']) {
      expect(paths({ method: 'RTGS', beneficiary: { ...bankBeneficiary, bank_code } })).toEqual([
        'beneficiary.bank_code',
      ]);
    }
  });

  it('UPI and card need a fund account id (composite payouts are bank accounts only)', () => {
    expect(paths({ method: 'UPI', beneficiary: bankBeneficiary })).toEqual(['beneficiary.provider_account_id']);
    expect(paths({ method: 'card', beneficiary: bankBeneficiary })).toEqual(['beneficiary.provider_account_id']);
    expect(paths({ method: 'UPI', beneficiary: { provider_account_id: 'fa_00000000000002' } })).toEqual([]);
  });

  it('reports every broken rule at once, each with a message', () => {
    const issues = validateRazorpayxPayout(
      pagePayout({ amount: 1n, method: 'SWIFT', purpose: 'gift', narration: 'x!', referenceId: 'r'.repeat(41) }),
    );
    expect(issues.map((i) => i.path)).toEqual(['amount', 'method', 'purpose', 'narration', 'reference_id']);
    for (const issue of issues) expect(issue.message).not.toBe('');
  });
});
