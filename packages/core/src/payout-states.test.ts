import { describe, expect, test } from 'vitest';
import { must } from './must.ts';
import {
  CLIENT_CANCELLABLE,
  canTransition,
  INITIAL_STATUSES,
  PAYOUT_STATUSES,
  type PayoutStatus,
  TERMINAL_STATUSES,
  TRANSITIONS,
} from './payout-states.ts';

describe('the payout transition table', () => {
  test('terminal states have no way out, but the replay of a failed payout back to reserved', () => {
    for (const s of TERMINAL_STATUSES) expect(TRANSITIONS[s]).toEqual(s === 'failed' ? ['reserved'] : []);
  });

  test('processed can only be reversed (a bank return, possibly days later)', () => {
    expect(TRANSITIONS.processed).toEqual(['reversed']);
  });

  test('late or stale reports are not transitions', () => {
    expect(canTransition('processed', 'processing')).toBe(false);
    expect(canTransition('processed', 'failed')).toBe(false);
    expect(canTransition('failed', 'processed')).toBe(false);
    expect(canTransition('processing', 'submitted')).toBe(false);
    expect(canTransition('cancelled', 'reserved')).toBe(false);
  });

  test('the happy path and its side roads are allowed', () => {
    const path: PayoutStatus[] = ['accepted', 'reserved', 'submitted', 'processing', 'processed', 'reversed'];
    for (const [from, to] of path.slice(1).map((to, i) => [must(path[i], 'the step before'), to] as const)) {
      expect(canTransition(from, to)).toBe(true);
    }
    expect(canTransition('accepted', 'queued')).toBe(true);
    expect(canTransition('queued', 'reserved')).toBe(true);
    expect(canTransition('reserved', 'unknown')).toBe(true);
    expect(canTransition('unknown', 'reserved')).toBe(true);
    expect(canTransition('processing', 'needs_attention')).toBe(true);
  });

  test('every state is reachable from a state a payout is created in, and names only known states', () => {
    const seen = new Set<PayoutStatus>(INITIAL_STATUSES);
    const todo: PayoutStatus[] = [...INITIAL_STATUSES];
    for (let at = todo.pop(); at !== undefined; at = todo.pop()) {
      for (const next of TRANSITIONS[at]) {
        expect(PAYOUT_STATUSES).toContain(next);
        if (!seen.has(next)) {
          seen.add(next);
          todo.push(next);
        }
      }
    }
    expect([...seen].sort()).toEqual([...PAYOUT_STATUSES].sort());
  });

  test('a scheduled payout enters the flow where an accepted one starts, or is cancelled; only an approval (before its time) leads to it', () => {
    expect(TRANSITIONS.scheduled).toEqual(['accepted', 'cancelled']);
    for (const s of PAYOUT_STATUSES) {
      expect(canTransition(s, 'scheduled'), s).toBe(s === 'pending_approval');
    }
  });

  test('no state transitions to itself', () => {
    for (const s of PAYOUT_STATUSES) expect(canTransition(s, s)).toBe(false);
  });

  test('a client may cancel only before the provider has it', () => {
    expect([...CLIENT_CANCELLABLE].sort()).toEqual(['accepted', 'pending_approval', 'queued', 'reserved', 'scheduled']);
    for (const s of CLIENT_CANCELLABLE) expect(canTransition(s, 'cancelled')).toBe(true);
  });
});
