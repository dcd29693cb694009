import { describe, expect, it } from 'vitest';
import { THAI_GATEWAY_STATUSES, toOutcome } from './status.ts';

describe('Thai gateway status → outcome', () => {
  it.each([
    ['pending', 'processing'],
    ['processing', 'processing'],
    ['completed', 'processed'],
    ['paid', 'processed'],
    ['success', 'processed'],
    ['failed', 'failed'],
    ['canceled', 'cancelled'],
    ['cancelled', 'cancelled'],
    ['rejected', 'rejected'],
    ['reversed', 'reversed'],
    ['refunded', 'reversed'],
  ] as const)('%s → %s', (status, outcome) => {
    expect(toOutcome(status)).toBe(outcome);
  });

  it('maps every status it knows (the table above is complete)', () => {
    expect([...THAI_GATEWAY_STATUSES].sort()).toEqual(
      [
        'pending',
        'processing',
        'completed',
        'paid',
        'success',
        'failed',
        'canceled',
        'cancelled',
        'rejected',
        'reversed',
        'refunded',
      ].sort(),
    );
  });

  it.each(['on_hold', 'settling', 'COMPLETED', '', 'toString', '__proto__'])(
    'an unknown status (%j) is still in progress, never an outcome',
    (status) => {
      expect(toOutcome(status)).toBe('processing');
    },
  );
});
