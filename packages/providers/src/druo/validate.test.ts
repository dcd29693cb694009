import type { Currency } from '@payouts/core';
import { describe, expect, it } from 'vitest';
import { pagePayout } from '../../test/druo/fixtures.ts';
import type { CanonicalPayout } from '../contract/index.ts';
import { validateDruoPayout } from './adapter.ts';

function paths(overrides: Partial<CanonicalPayout>): string[] {
  return validateDruoPayout(pagePayout(overrides)).map((issue) => issue.path);
}

const keys = (n: number, value = 'v') => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, value]));

describe('validate (DRUO rules, canonical paths)', () => {
  it("accepts the page's example payout, and one with every optional field", () => {
    expect(validateDruoPayout(pagePayout())).toEqual([]);
    expect(
      paths({
        currency: 'COP',
        description: 'Insurance policy renewal - INV12324',
        referenceId: 'bj39fhow39fhqp3f0hfae4344',
        metadata: { order_id: '6735' },
      }),
    ).toEqual([]);
  });

  it('amount: at least 1 minor unit', () => {
    expect(paths({ amount: 1n })).toEqual([]);
    expect(paths({ amount: 0n })).toEqual(['amount']);
    expect(paths({ amount: -5n })).toEqual(['amount']);
  });

  it('amount: a safe integer', () => {
    expect(paths({ amount: BigInt(Number.MAX_SAFE_INTEGER) })).toEqual([]);
    expect(paths({ amount: BigInt(Number.MAX_SAFE_INTEGER) + 1n })).toEqual(['amount']);
  });

  it('currency: USD or COP', () => {
    expect(paths({ currency: 'USD' })).toEqual([]);
    expect(paths({ currency: 'COP' })).toEqual([]);
    expect(paths({ currency: 'INR' })).toEqual(['currency']);
    expect(paths({ currency: 'usd' as Currency })).toEqual(['currency']);
  });

  it('method: bank_account only (DRUO pays to pre-registered accounts)', () => {
    for (const method of ['IMPS', 'wallet', 'card', 'BANK_ACCOUNT', '']) {
      expect(paths({ method })).toEqual(['method']);
    }
  });

  it('beneficiary.provider_account_id: required', () => {
    expect(paths({ beneficiary: {} })).toEqual(['beneficiary.provider_account_id']);
    expect(paths({ beneficiary: { provider_account_id: '' } })).toEqual(['beneficiary.provider_account_id']);
    expect(paths({ beneficiary: { account_number: '123456789', name: 'Ana' } })).toEqual([
      'beneficiary.provider_account_id',
    ]);
  });

  it('beneficiary.provider_account_id: acc_ then 1 to 64 letters, digits or dashes', () => {
    for (const id of ['acc_7985e8a4-8f38-4eab-8b27-a5d1c6dbf340', 'acc_1', `acc_${'a'.repeat(64)}`, 'acc_ABC-0001']) {
      expect(paths({ beneficiary: { provider_account_id: id } })).toEqual([]);
    }
    for (const id of ['acc_', `acc_${'a'.repeat(65)}`, 'fa_00000000000001', 'ACC_123', 'acc_12 34', 'acc_x/../y']) {
      expect(paths({ beneficiary: { provider_account_id: id } })).toEqual(['beneficiary.provider_account_id']);
    }
  });

  it('description: at most 255 characters', () => {
    expect(paths({ description: 'd'.repeat(255) })).toEqual([]);
    expect(paths({ description: 'd'.repeat(256) })).toEqual(['description']);
  });

  it('narration: checked as the description it becomes, only when there is no description', () => {
    expect(paths({ narration: 'n'.repeat(255) })).toEqual([]);
    expect(paths({ narration: 'n'.repeat(256) })).toEqual(['narration']);
    expect(paths({ narration: 'n'.repeat(256), description: 'short' })).toEqual([]);
  });

  it('reference_id: 1 to 40 characters (it becomes secondary_reference)', () => {
    expect(paths({ referenceId: 'r'.repeat(40) })).toEqual([]);
    expect(paths({ referenceId: 'r'.repeat(41) })).toEqual(['reference_id']);
    expect(paths({ referenceId: '' })).toEqual(['reference_id']);
  });

  it('metadata: at most 50 keys', () => {
    expect(paths({ metadata: keys(50) })).toEqual([]);
    expect(paths({ metadata: keys(51) })).toEqual(['metadata']);
    expect(paths({ metadata: {} })).toEqual([]);
  });

  it('metadata: key names of 1 to 40 characters', () => {
    expect(paths({ metadata: { ['k'.repeat(40)]: 'v' } })).toEqual([]);
    expect(paths({ metadata: { ['k'.repeat(41)]: 'v' } })).toEqual([`metadata.${'k'.repeat(41)}`]);
    expect(paths({ metadata: { '': 'v' } })).toEqual(['metadata.']);
  });

  it('metadata: string values of at most 500 characters', () => {
    expect(paths({ metadata: { order_id: 'v'.repeat(500) } })).toEqual([]);
    expect(paths({ metadata: { order_id: 'v'.repeat(501) } })).toEqual(['metadata.order_id']);
    expect(paths({ metadata: { order_id: 6735 as unknown as string } })).toEqual(['metadata.order_id']);
  });

  it('reports every broken rule at once, in request order, each with a message', () => {
    const issues = validateDruoPayout(
      pagePayout({
        amount: 0n,
        currency: 'THB',
        method: 'IMPS',
        beneficiary: {},
        description: 'd'.repeat(256),
        referenceId: 'r'.repeat(41),
        metadata: { ...keys(51), ['k'.repeat(41)]: 'v' },
      }),
    );
    expect(issues.map((i) => i.path)).toEqual([
      'amount',
      'currency',
      'method',
      'beneficiary.provider_account_id',
      'description',
      'reference_id',
      'metadata',
      `metadata.${'k'.repeat(41)}`,
    ]);
    for (const issue of issues) expect(issue.message).not.toBe('');
  });
});
