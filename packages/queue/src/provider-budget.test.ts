import { testQueuePrefix, testRedisUrl } from '@payouts/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BudgetExhaustedError, budgetBurst, ProviderBudget, readProviderBudget } from './provider-budget.ts';

let redis: Redis;

beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(() => {
  redis.disconnect();
});

describe("a provider's budget", () => {
  test('holds one token at providers’ rates: a second call right after the first waits for the refill', async () => {
    const prefix = testQueuePrefix();
    // One call a minute: the second cannot be granted within this test, whatever the machine's speed.
    const budget = new ProviderBudget(redis, prefix, 'razorpayx', { ratePerSecond: 1 / 60 });
    expect(budgetBurst(10)).toBe(1);
    expect(await budget.tryTake('submit', 'a')).toMatchObject({ granted: true });
    const second = await budget.tryTake('submit', 'b');
    expect(second.granted).toBe(false);
    expect(second.waitMs).toBeGreaterThan(50_000);
    const state = await readProviderBudget(redis, prefix, 'razorpayx');
    expect(state).toMatchObject({ ratePerSecond: 1 / 60, granted: 1, pausedUntil: null });
    expect(state.tokens).toBeLessThan(1);
    expect(state.waiting.submit).toBe(1);
  });

  test('serves the more urgent first: a batch item gets no token while a single submission waits', async () => {
    const prefix = testQueuePrefix();
    const budget = new ProviderBudget(redis, prefix, 'razorpayx', { ratePerSecond: 1 / 60 });
    expect(await budget.tryTake('submit', 'first')).toMatchObject({ granted: true });
    // The bucket is empty: the single submission registers as waiting.
    expect(await budget.tryTake('submit', 'single')).toMatchObject({ granted: false });
    // A token appears (an operator resets the bucket); the batch item, less urgent, still gets none.
    await redis.hset(`${prefix}:budget:razorpayx`, 'tokens', '1');
    expect(await budget.tryTake('batch_submit', 'item')).toMatchObject({ granted: false });
    expect(await budget.tryTake('poll', 'poll')).toMatchObject({ granted: false });
    expect((await readProviderBudget(redis, prefix, 'razorpayx')).waiting).toMatchObject({
      submit: 1,
      batch_submit: 1,
      poll: 1,
    });
    // The single submission takes it; the next token goes to the batch item before the poll.
    expect(await budget.tryTake('submit', 'single')).toMatchObject({ granted: true });
    await redis.hset(`${prefix}:budget:razorpayx`, 'tokens', '1');
    expect(await budget.tryTake('poll', 'poll')).toMatchObject({ granted: false });
    expect(await budget.tryTake('batch_submit', 'item')).toMatchObject({ granted: true });
  });

  test('a 429 empties and holds the bucket for everyone, for its Retry-After', async () => {
    const prefix = testQueuePrefix();
    const one = new ProviderBudget(redis, prefix, 'razorpayx', { ratePerSecond: 1000, maxWaitMs: 5_000 });
    const other = new ProviderBudget(redis, prefix, 'razorpayx', { ratePerSecond: 1000, maxWaitMs: 5_000 });
    await one.take('submit');
    expect(await one.pause(60_000)).toBeGreaterThan(59_000);
    const state = await readProviderBudget(redis, prefix, 'razorpayx');
    expect(state.pausedUntil).not.toBeNull();
    expect(state.tokens).toBe(0);
    expect(state.pauses).toBe(1);
    // Another process's caller: no token, and a wait past its limit is given back as an error.
    const refused = await other.tryTake('submit', 'x');
    expect(refused.granted).toBe(false);
    expect(refused.waitMs).toBeGreaterThan(59_000);
    await expect(other.take('submit')).rejects.toBeInstanceOf(BudgetExhaustedError);
  });

  test('budgets of two providers, or of two prefixes, are apart', async () => {
    const prefix = testQueuePrefix();
    const rzp = new ProviderBudget(redis, prefix, 'razorpayx', { ratePerSecond: 1 / 60 });
    const krayon = new ProviderBudget(redis, prefix, 'krayon', { ratePerSecond: 1 / 60 });
    const elsewhere = new ProviderBudget(redis, testQueuePrefix(), 'razorpayx', { ratePerSecond: 1 / 60 });
    expect(await rzp.tryTake('submit', 'a')).toMatchObject({ granted: true });
    expect(await krayon.tryTake('submit', 'a')).toMatchObject({ granted: true });
    expect(await elsewhere.tryTake('submit', 'a')).toMatchObject({ granted: true });
    expect(await rzp.tryTake('submit', 'b')).toMatchObject({ granted: false });
  });

  test('counts every grant, and a caller that waited is no longer listed as waiting once served', async () => {
    const prefix = testQueuePrefix();
    const budget = new ProviderBudget(redis, prefix, 'razorpayx', { ratePerSecond: 20 });
    await budget.take('submit');
    // The bucket is empty now: the next take waits ~50 ms for the refill, listed as waiting meanwhile.
    const waiting = budget.take('poll');
    await budget.take('submit').catch(() => {});
    await waiting;
    const state = await readProviderBudget(redis, prefix, 'razorpayx');
    expect(state.granted).toBe(3);
    expect(Object.values(state.waiting).reduce((a, b) => a + b, 0)).toBe(0);
  });
});
