import { describe, expect, it } from 'vitest';
import { DRUO_STATUSES, toOutcome } from './status.ts';

describe('DRUO status → outcome', () => {
  it.each([
    ['PENDING', 'processing'],
    ['PROCESSING', 'processing'],
    ['IN_PROGRESS', 'processing'],
    ['SUCCESSFUL', 'processed'],
    ['COMPLETED', 'processed'],
    ['DECLINED', 'failed'],
    ['FAILED', 'failed'],
    ['CANCELLED', 'cancelled'],
    ['CANCELED', 'cancelled'],
    ['REVERSED', 'reversed'],
    ['RETURNED', 'reversed'],
  ] as const)('%s → %s', (status, outcome) => {
    expect(toOutcome(status)).toBe(outcome);
  });

  it('maps every status we know of (the table above is complete)', () => {
    expect([...DRUO_STATUSES].sort()).toEqual(
      [
        'PENDING',
        'PROCESSING',
        'IN_PROGRESS',
        'SUCCESSFUL',
        'COMPLETED',
        'DECLINED',
        'FAILED',
        'CANCELLED',
        'CANCELED',
        'REVERSED',
        'RETURNED',
      ].sort(),
    );
  });

  it.each(['ON_HOLD', 'APPROVED', 'successful', 'Declined', '', 'toString', '__proto__'])(
    'an unknown status (%j) is still in progress, never an outcome',
    (status) => {
      expect(toOutcome(status)).toBe('processing');
    },
  );
});
