import type { ApprovalPolicy } from '@payouts/db';
import { describe, expect, test } from 'vitest';
import { approvalsRequired } from './approvals.ts';

const policy: ApprovalPolicy = {
  rules: [
    { kind: 'payout', min_amount: { INR: 1_000, THB: 5_000 }, approvals_required: 1 },
    { kind: 'payout', min_amount: { INR: 100_000 }, approvals_required: 2 },
    { kind: 'batch', min_amount: { INR: 50_000 }, approvals_required: 2 },
  ],
  expires_after_hours: 24,
};
const of = (entries: [string, bigint][]) => new Map(entries);

describe('how many approvals a policy asks for', () => {
  test.each([
    ['payout', 'INR 999', 0],
    ['payout', 'INR 1000', 1],
    ['payout', 'INR 100000', 2],
    ['payout', 'THB 4999', 0],
    ['payout', 'THB 5000', 1],
    ['payout', 'USD 1000000000000000', 0],
    ['batch', 'INR 49999', 0],
    ['batch', 'INR 10, THB 1000000000', 0],
    ['batch', 'THB 10, INR 50000', 2],
  ] as const)('a %s of %s needs %i', (kind, totals, required) => {
    const parsed = totals.split(', ').map((t): [string, bigint] => {
      const [currency = '', amount = '0'] = t.split(' ');
      return [currency, BigInt(amount)];
    });
    expect(approvalsRequired(policy, kind, of(parsed))).toBe(required);
  });

  test('no policy, no approval', () => {
    expect(approvalsRequired(null, 'payout', of([['INR', 10n ** 15n]]))).toBe(0);
  });
});
