import { describe, expect, it } from 'vitest';
import { KRAYON_STATUSES, toOutcome } from './status.ts';

describe('Krayon status → outcome', () => {
  it.each([
    ['PENDING', 'processing'],
    ['PROCESSING', 'processing'],
    ['IN_PROGRESS', 'processing'],
    ['COMPLETED', 'processed'],
    ['SUCCESS', 'processed'],
    ['SUCCEEDED', 'processed'],
    ['FAILED', 'failed'],
    ['DECLINED', 'failed'],
    ['ERROR', 'failed'],
    ['REJECTED', 'rejected'],
    ['CANCELLED', 'cancelled'],
    ['CANCELED', 'cancelled'],
    ['EXPIRED', 'cancelled'],
    ['REVERSED', 'reversed'],
    ['REFUNDED', 'reversed'],
  ] as const)('%s → %s', (status, outcome) => {
    expect(toOutcome(status)).toBe(outcome);
  });

  it('maps every assumed status (the table above is complete)', () => {
    expect([...KRAYON_STATUSES].sort()).toEqual(
      [
        'PENDING',
        'PROCESSING',
        'IN_PROGRESS',
        'COMPLETED',
        'SUCCESS',
        'SUCCEEDED',
        'FAILED',
        'DECLINED',
        'ERROR',
        'REJECTED',
        'CANCELLED',
        'CANCELED',
        'EXPIRED',
        'REVERSED',
        'REFUNDED',
      ].sort(),
    );
  });

  it('never maps anything to queued: Krayon refuses what it cannot fund', () => {
    expect(KRAYON_STATUSES.map(toOutcome)).not.toContain('queued');
  });

  it.each(['ON_HOLD', 'completed', 'Failed', 'SETTLED', '', 'toString', '__proto__'])(
    'an unknown status (%j) is still in progress, never an outcome',
    (status) => {
      expect(toOutcome(status)).toBe('processing');
    },
  );
});
