import { must } from '@payouts/testing';
import { describe, expect, test } from 'vitest';
import { circuitDelayMs, DEFAULT_RETRY_SCHEDULE, retryDelayMs } from './backoff.ts';
import { outcomeOf } from './deliverer.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const noJitter = () => 0.5;

describe('retry schedule', () => {
  test('without jitter, the default steps are 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, 8 h, 8 h', () => {
    const delays = [];
    for (let attempts = 1; attempts < DEFAULT_RETRY_SCHEDULE.maxAttempts; attempts++)
      delays.push(retryDelayMs(attempts, DEFAULT_RETRY_SCHEDULE, noJitter));
    expect(delays).toEqual([
      5 * SECOND,
      30 * SECOND,
      2 * MINUTE,
      10 * MINUTE,
      30 * MINUTE,
      HOUR,
      2 * HOUR,
      4 * HOUR,
      8 * HOUR,
      8 * HOUR,
    ]);
    const total = delays.reduce<number>((a, b) => a + must(b, 'a retry delay'), 0);
    expect(total).toBeGreaterThan(23 * HOUR);
    expect(total).toBeLessThan(25 * HOUR);
  });

  test('after the last attempt there is no next one', () => {
    expect(retryDelayMs(DEFAULT_RETRY_SCHEDULE.maxAttempts, DEFAULT_RETRY_SCHEDULE, noJitter)).toBeNull();
    expect(retryDelayMs(3, { baseMs: 10, maxAttempts: 3 }, noJitter)).toBeNull();
    expect(retryDelayMs(2, { baseMs: 10, maxAttempts: 3 }, noJitter)).toBe(60);
  });

  test('jitter stays within ±20 % of the step', () => {
    expect(retryDelayMs(1, DEFAULT_RETRY_SCHEDULE, () => 0)).toBe(4 * SECOND);
    expect(retryDelayMs(1, DEFAULT_RETRY_SCHEDULE, () => 0.999_999)).toBe(6 * SECOND);
    expect(retryDelayMs(4, DEFAULT_RETRY_SCHEDULE, () => 0)).toBe(8 * MINUTE);
  });

  test('the base scales every step, so tests can run the schedule in milliseconds', () => {
    expect(retryDelayMs(1, { baseMs: 10, maxAttempts: 11 }, noJitter)).toBe(10);
    expect(retryDelayMs(2, { baseMs: 10, maxAttempts: 11 }, noJitter)).toBe(60);
    expect(retryDelayMs(5, { baseMs: 10, maxAttempts: 11 }, noJitter)).toBe(3600);
  });

  test('past the table, with more attempts allowed, the last step repeats', () => {
    const schedule = { baseMs: 10, maxAttempts: 20 };
    expect(retryDelayMs(15, schedule, noJitter)).toBe(retryDelayMs(10, schedule, noJitter));
  });
});

describe('what an answer means', () => {
  test.each([
    [200, 'succeeded'],
    [204, 'succeeded'],
    [299, 'succeeded'],
    [400, 'failed'],
    [401, 'failed'],
    [404, 'failed'],
    [410, 'failed'],
    [408, 'retry'],
    [429, 'retry'],
    [301, 'retry'],
    [500, 'retry'],
    [503, 'retry'],
    [null, 'retry'],
  ] as const)('%s → %s', (status, outcome) => {
    expect(outcomeOf(status)).toBe(outcome);
  });
});

describe('circuit schedule', () => {
  test('without jitter, an open circuit waits 5 s, 30 s, 2 min, 10 min, 30 min, then every hour', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 20].map((n) => circuitDelayMs(n, DEFAULT_RETRY_SCHEDULE, noJitter));
    expect(delays).toEqual([5 * SECOND, 30 * SECOND, 2 * MINUTE, 10 * MINUTE, 30 * MINUTE, HOUR, HOUR, HOUR]);
  });

  test('jitter stays within ±20 %, and there is no opening before the first', () => {
    expect(circuitDelayMs(2, DEFAULT_RETRY_SCHEDULE, () => 0)).toBe(24 * SECOND);
    expect(circuitDelayMs(2, DEFAULT_RETRY_SCHEDULE, () => 0.999999)).toBeLessThanOrEqual(36 * SECOND);
    expect(() => circuitDelayMs(0)).toThrow(RangeError);
  });
});
