import type { Currency } from '@payouts/core';
import { describe, expect, it } from 'vitest';
import { pagePayout } from '../../test/thai-gateway/fixtures.ts';
import type { CanonicalPayout } from '../contract/index.ts';
import { validateThaiGatewayPayout } from './adapter.ts';

const beneficiary = { name: 'John Doe', account_number: '1234567890', bank_code: '004' };

function paths(overrides: Partial<CanonicalPayout>): string[] {
  return validateThaiGatewayPayout(pagePayout(overrides)).map((issue) => issue.path);
}

describe('validate (Thai gateway rules, canonical paths)', () => {
  it("accepts the page's example payout", () => {
    expect(validateThaiGatewayPayout(pagePayout())).toEqual([]);
  });

  it('amount: greater than 0', () => {
    expect(paths({ amount: 0n })).toEqual(['amount']);
    expect(paths({ amount: -1n })).toEqual(['amount']);
    expect(paths({ amount: 1n })).toEqual([]);
  });

  it('currency: THB only', () => {
    expect(paths({ currency: 'INR' as Currency })).toEqual(['currency']);
    expect(paths({ currency: 'USD' as Currency })).toEqual(['currency']);
  });

  it('method: bank_account or wallet', () => {
    expect(paths({ method: 'bank_account' })).toEqual([]);
    expect(paths({ method: 'wallet' })).toEqual([]);
    for (const method of ['IMPS', 'Bank_Account', 'card', '']) expect(paths({ method })).toEqual(['method']);
  });

  it('beneficiary.name: required, at most 255 characters', () => {
    expect(paths({ beneficiary: { ...beneficiary, name: undefined } })).toEqual(['beneficiary.name']);
    expect(paths({ beneficiary: { ...beneficiary, name: '' } })).toEqual(['beneficiary.name']);
    expect(paths({ beneficiary: { ...beneficiary, name: 'n'.repeat(255) } })).toEqual([]);
    expect(paths({ beneficiary: { ...beneficiary, name: 'n'.repeat(256) } })).toEqual(['beneficiary.name']);
  });

  it('beneficiary.account_number: required, 6 to 20 digits', () => {
    for (const account_number of ['123456', '12345678901234567890', '0812345678']) {
      expect(paths({ beneficiary: { ...beneficiary, account_number } })).toEqual([]);
    }
    for (const account_number of [undefined, '', '12345', '123456789012345678901', '123-456-7890', 'AB12345678']) {
      expect(paths({ beneficiary: { ...beneficiary, account_number } })).toEqual(['beneficiary.account_number']);
    }
  });

  it('beneficiary.bank_code: required, exactly 3 digits (INVALID_BANK_CODE)', () => {
    for (const bank_code of ['004', '014', '002']) {
      expect(paths({ beneficiary: { ...beneficiary, bank_code } })).toEqual([]);
    }
    for (const bank_code of [undefined, '', '4', '04', '0004', 'KBK', 'HDFC0000053']) {
      expect(paths({ beneficiary: { ...beneficiary, bank_code } })).toEqual(['beneficiary.bank_code']);
    }
  });

  it('description: at most 255 characters; a narration standing in for it is blamed as narration', () => {
    expect(paths({ description: 'd'.repeat(255) })).toEqual([]);
    expect(paths({ description: 'd'.repeat(256) })).toEqual(['description']);
    expect(paths({ description: null, narration: 'n'.repeat(256) })).toEqual(['narration']);
    // The narration is not sent when a description is, so its length does not matter then.
    expect(paths({ description: 'd', narration: 'n'.repeat(256) })).toEqual([]);
  });

  it('metadata: string values; reference_id is reserved for our reference', () => {
    expect(paths({ metadata: { a: 'b' } })).toEqual([]);
    expect(paths({ metadata: { reference_id: 'x' } })).toEqual(['metadata.reference_id']);
    expect(paths({ metadata: { n: 5 as unknown as string } })).toEqual(['metadata.n']);
  });

  it('reports every broken rule at once, each with a message', () => {
    const issues = validateThaiGatewayPayout(
      pagePayout({ amount: 0n, currency: 'INR' as Currency, method: 'UPI', beneficiary: {} }),
    );
    expect(issues.map((i) => i.path)).toEqual([
      'amount',
      'currency',
      'method',
      'beneficiary.name',
      'beneficiary.account_number',
      'beneficiary.bank_code',
    ]);
    for (const issue of issues) expect(issue.message).not.toBe('');
  });
});
