import { FINAL_STATUSES, PAYOUT_STATUSES, type PayoutStatus, TRANSITIONS } from '@payouts/core';
import { describe, expect, test } from 'vitest';
import { ledgerSteps, redriveAction, STATE_RULES, SWEPT_STATUSES, SWEPT_WHEN_DUE_STATUSES } from './state-rules.ts';

const at = (status: PayoutStatus, queuedReason: 'wallet_low_balance' | 'provider_low_balance' | null = null) => ({
  status,
  queuedReason,
  providerPayoutId: null,
});

describe('the rules of each state', () => {
  test('every state has exactly one rule, and nothing else does', () => {
    expect(Object.keys(STATE_RULES).sort()).toEqual([...PAYOUT_STATUSES].sort());
    expect(Object.keys(TRANSITIONS).sort()).toEqual(Object.keys(STATE_RULES).sort());
  });

  test('final states are never re-driven nor swept; every other state has a re-drive', () => {
    for (const s of PAYOUT_STATUSES) {
      if (FINAL_STATUSES.has(s)) expect(STATE_RULES[s], s).toMatchObject({ redrive: 'none', swept: false });
      else expect(STATE_RULES[s].redrive, s).not.toBe('none');
    }
  });

  test('the sweeper scans the unfinished states but needs_attention, which is left to operators', () => {
    expect(SWEPT_STATUSES).toEqual(['accepted', 'reserved', 'queued', 'submitted', 'unknown', 'processing']);
  });

  test('a scheduled payout is looked for once it is due, not once it has been still for a while', () => {
    expect(SWEPT_WHEN_DUE_STATUSES).toEqual(['scheduled']);
    expect(STATE_RULES.scheduled).toEqual({ redrive: 'accept', swept: 'when_due', ledger: 'none' });
  });

  test.each([
    ['pending_approval', null, null, 'accept'],
    ['scheduled', null, null, 'accept'],
    ['accepted', null, null, 'accept'],
    ['reserved', null, null, 'submit'],
    ['queued', 'wallet_low_balance', null, null],
    ['queued', 'provider_low_balance', null, 'submit'],
    ['queued', 'provider_low_balance', 'pout_1', 'poll'],
    ['submitted', null, null, 'poll'],
    ['unknown', null, null, 'poll'],
    ['processing', null, null, 'poll'],
    ['needs_attention', null, null, 'poll'],
    ['processed', null, null, null],
    ['failed', null, null, null],
    ['rejected', null, null, null],
    ['cancelled', null, null, null],
    ['reversed', null, null, null],
  ] as const)('%s (%s, provider id %s) is re-driven by %s', (status, queuedReason, providerPayoutId, action) => {
    expect(redriveAction({ status, queuedReason, providerPayoutId })).toBe(action);
  });

  test('every transition of the table has a ledger effect', () => {
    for (const from of PAYOUT_STATUSES)
      for (const to of TRANSITIONS[from]) expect(() => ledgerSteps(at(from), to), `${from} → ${to}`).not.toThrow();
    expect(() => ledgerSteps(at('processed'), 'failed')).toThrow(/not in the table/);
  });

  test.each([
    [at('accepted'), 'reserved', ['hold']],
    [at('queued', 'wallet_low_balance'), 'reserved', ['hold']],
    [at('unknown'), 'reserved', []],
    // A replay out of failed: its hold was released on the way in, so it is placed again.
    [at('failed'), 'reserved', ['hold']],
    [at('accepted'), 'queued', []],
    [at('accepted'), 'cancelled', []],
    [at('pending_approval'), 'accepted', []],
    [at('pending_approval'), 'cancelled', []],
    [at('scheduled'), 'accepted', []],
    [at('scheduled'), 'cancelled', []],
    [at('queued', 'wallet_low_balance'), 'cancelled', []],
    [at('reserved'), 'cancelled', ['void']],
    [at('queued', 'provider_low_balance'), 'failed', ['void']],
    [at('submitted'), 'rejected', ['void']],
    [at('processing'), 'processed', ['post']],
    [at('processed'), 'reversed', ['reverse']],
    [at('processing'), 'reversed', ['post', 'reverse']],
    [at('submitted'), 'processing', []],
  ] as const)('$0.status ($0.queuedReason) → $1 writes $2', (from, to, steps) => {
    expect(ledgerSteps(from, to)).toEqual(steps);
  });
});
