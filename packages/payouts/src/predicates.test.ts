import { CLIENT_CANCELLABLE, PAYOUT_STATUSES, QUEUED_REASONS } from '@payouts/core';
import { describe, expect, test } from 'vitest';
import {
  cancellable,
  dueForRelease,
  holdPlaced,
  type PayoutState,
  submittable,
  waitsForDowntime,
  waitsForFloat,
  waitsForWallet,
} from './predicates.ts';

/** Every state, and `queued` with each of its reasons. */
const STATES: PayoutState[] = PAYOUT_STATUSES.flatMap((status): PayoutState[] =>
  status === 'queued'
    ? QUEUED_REASONS.map((queuedReason) => ({ status, queuedReason }))
    : [{ status, queuedReason: null }],
);
const name = (p: PayoutState) => (p.queuedReason ? `${p.status} (${p.queuedReason})` : p.status);

describe('payout predicates', () => {
  test('a payout waits for its wallet or for its provider float, never both', () => {
    expect(STATES.filter(waitsForWallet).map(name)).toEqual(['queued (wallet_low_balance)']);
    expect(STATES.filter(waitsForFloat).map(name)).toEqual(['queued (provider_low_balance)']);
    expect(STATES.filter(waitsForDowntime).map(name)).toEqual(['queued (provider_downtime)']);
  });

  test('a hold exists from reserved on, except while waiting for the wallet (or, before it, for approval or for its time), and once failed', () => {
    expect(STATES.filter((p) => !holdPlaced(p)).map(name)).toEqual([
      'pending_approval',
      'scheduled',
      'accepted',
      'queued (wallet_low_balance)',
      'failed',
    ]);
  });

  test('a scheduled payout is due once its time has come, by the clock given, and only while scheduled', () => {
    const at = new Date('2026-12-06T09:00:00Z');
    expect(dueForRelease({ status: 'scheduled', scheduledFor: at }, new Date('2026-12-06T08:59:59.999Z'))).toBe(false);
    expect(dueForRelease({ status: 'scheduled', scheduledFor: at }, at)).toBe(true);
    expect(dueForRelease({ status: 'accepted', scheduledFor: at }, new Date('2026-12-07T00:00:00Z'))).toBe(false);
    expect(dueForRelease({ status: 'cancelled', scheduledFor: at }, new Date('2026-12-07T00:00:00Z'))).toBe(false);
  });

  test('only a reserved payout, or one parked on the provider float or downtime, may be submitted', () => {
    expect(STATES.filter(submittable).map(name)).toEqual([
      'reserved',
      'queued (provider_low_balance)',
      'queued (provider_downtime)',
    ]);
  });

  test('a claimed payout, or one parked for the provider float, is not cancellable', () => {
    expect(cancellable({ status: 'reserved', queuedReason: null }, false)).toBe(true);
    expect(cancellable({ status: 'reserved', queuedReason: null }, true)).toBe(false);
    expect(cancellable({ status: 'queued', queuedReason: 'wallet_low_balance' }, false)).toBe(true);
    expect(cancellable({ status: 'queued', queuedReason: 'provider_low_balance' }, false)).toBe(false);
    for (const s of PAYOUT_STATUSES.filter((s) => !CLIENT_CANCELLABLE.has(s))) {
      expect(cancellable({ status: s, queuedReason: null }, false)).toBe(false);
    }
  });
});
