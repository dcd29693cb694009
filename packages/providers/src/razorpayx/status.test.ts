import { describe, expect, it } from 'vitest';
import { RAZORPAYX_STATUSES, toOutcome } from './status.ts';

describe('RazorpayX status → outcome', () => {
  it.each([
    ['queued', 'queued'],
    ['pending', 'processing'],
    ['scheduled', 'processing'],
    ['processing', 'processing'],
    ['processed', 'processed'],
    ['rejected', 'rejected'],
    ['cancelled', 'cancelled'],
    ['reversed', 'reversed'],
    ['failed', 'failed'],
  ] as const)('%s → %s', (status, outcome) => {
    expect(toOutcome(status)).toBe(outcome);
  });

  it('maps every documented status (the table above is complete)', () => {
    expect([...RAZORPAYX_STATUSES].sort()).toEqual(
      [
        'queued',
        'pending',
        'scheduled',
        'processing',
        'processed',
        'rejected',
        'cancelled',
        'reversed',
        'failed',
      ].sort(),
    );
  });

  it.each(['initiated', 'on_hold', 'PROCESSED', '', 'toString', '__proto__'])(
    'an unknown status (%j) is still in progress, never an outcome',
    (status) => {
      expect(toOutcome(status)).toBe('processing');
    },
  );
});
