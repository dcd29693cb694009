import type { Currency } from '@payouts/core';
import { describe, expect, it } from 'vitest';
import { pagePayout } from '../../test/krayon/fixtures.ts';
import type { Beneficiary, CanonicalPayout } from '../contract/index.ts';
import { validateKrayonPayout } from './adapter.ts';

function paths(overrides: Partial<CanonicalPayout>): string[] {
  return validateKrayonPayout(pagePayout(overrides)).map((issue) => issue.path);
}

function beneficiaryPaths(patch: Partial<Beneficiary>): string[] {
  return paths({ beneficiary: { ...pagePayout().beneficiary, ...patch } });
}

describe('validate (Krayon rules, canonical paths)', () => {
  it("accepts the page's example payout", () => {
    expect(validateKrayonPayout(pagePayout())).toEqual([]);
  });

  it('amount: at least 100 paise (₹1, assumed)', () => {
    expect(paths({ amount: 99n })).toEqual(['amount']);
    expect(paths({ amount: 0n })).toEqual(['amount']);
    expect(paths({ amount: -100n })).toEqual(['amount']);
    expect(paths({ amount: 100n })).toEqual([]);
  });

  it('amount: within the safe integer range the sandbox and ledger count in', () => {
    expect(paths({ amount: BigInt(Number.MAX_SAFE_INTEGER) })).toEqual([]);
    expect(paths({ amount: BigInt(Number.MAX_SAFE_INTEGER) + 1n })).toEqual(['amount']);
  });

  it('currency: INR only', () => {
    expect(paths({ currency: 'USD' as Currency })).toEqual(['currency']);
  });

  it('method: IMPS only, case-sensitive', () => {
    for (const method of ['NEFT', 'RTGS', 'UPI', 'imps', 'bank_account']) {
      expect(paths({ method })).toEqual(['method']);
    }
  });

  it('description: at most 255 characters, blamed on description, or on narration when it stood in', () => {
    expect(paths({ description: 'd'.repeat(255) })).toEqual([]);
    expect(paths({ description: 'd'.repeat(256) })).toEqual(['description']);
    expect(paths({ description: null, narration: 'n'.repeat(256) })).toEqual(['narration']);
    expect(paths({ description: 'short', narration: 'n'.repeat(256) })).toEqual([]);
    expect(paths({ description: null, narration: null })).toEqual([]);
  });

  it.each(['email', 'first_name', 'last_name', 'phone', 'account_number', 'bank_code'] as const)(
    'beneficiary.%s: required',
    (field) => {
      expect(beneficiaryPaths({ [field]: undefined })).toEqual([`beneficiary.${field}`]);
      expect(beneficiaryPaths({ [field]: '' })).toEqual([`beneficiary.${field}`]);
    },
  );

  it('beneficiary.address.line1: required', () => {
    expect(beneficiaryPaths({ address: undefined })).toEqual(['beneficiary.address.line1']);
    expect(beneficiaryPaths({ address: { line1: '' } })).toEqual(['beneficiary.address.line1']);
  });

  it('beneficiary.email: an email address', () => {
    expect(beneficiaryPaths({ email: 'a.b@example.co.in' })).toEqual([]);
    for (const email of ['[email protected]', 'elon', 'elon@', 'elon@example', 'el on@example.com']) {
      expect(beneficiaryPaths({ email })).toEqual(['beneficiary.email']);
    }
  });

  it('beneficiary.phone: 10 to 15 digits', () => {
    for (const phone of ['9895270111', '919895270111', '123456789012345']) {
      expect(beneficiaryPaths({ phone })).toEqual([]);
    }
    for (const phone of ['989527011', '1234567890123456', '+919895270111', '98952 70111']) {
      expect(beneficiaryPaths({ phone })).toEqual(['beneficiary.phone']);
    }
  });

  it("beneficiary.bank_code: an IFSC, or the page's 12-character form", () => {
    for (const bank_code of ['KKBK0000958', 'HDFC0ABC123', 'KKBK00000000', 'KKBK1234567']) {
      expect(beneficiaryPaths({ bank_code })).toEqual([]);
    }
    for (const bank_code of ['kkbk0000958', 'KKBK000095', 'KKBK000000000', '1234KKBK000', 'KKBK-000958']) {
      expect(beneficiaryPaths({ bank_code })).toEqual(['beneficiary.bank_code']);
    }
  });

  it('beneficiary.country and address.country: two capital letters when given (IN when absent)', () => {
    expect(beneficiaryPaths({ country: undefined, address: { line1: 'L1' } })).toEqual([]);
    expect(beneficiaryPaths({ country: 'in' })).toEqual(['beneficiary.country']);
    expect(beneficiaryPaths({ country: 'IND' })).toEqual(['beneficiary.country']);
    expect(beneficiaryPaths({ address: { line1: 'L1', country: 'India' } })).toEqual(['beneficiary.address.country']);
  });

  it('optional beneficiary fields are not required', () => {
    expect(beneficiaryPaths({ bank_name: undefined, name: undefined, provider_account_id: undefined })).toEqual([]);
  });

  it('reports every broken rule at once, in request order, each with a message', () => {
    const issues = validateKrayonPayout(
      pagePayout({
        amount: 1n,
        currency: 'THB' as Currency,
        method: 'UPI',
        description: 'd'.repeat(300),
        beneficiary: { country: 'india' },
      }),
    );
    expect(issues.map((i) => i.path)).toEqual([
      'amount',
      'currency',
      'method',
      'description',
      'beneficiary.country',
      'beneficiary.email',
      'beneficiary.first_name',
      'beneficiary.last_name',
      'beneficiary.phone',
      'beneficiary.account_number',
      'beneficiary.address.line1',
      'beneficiary.bank_code',
    ]);
    for (const issue of issues) expect(issue.message).not.toBe('');
  });
});
