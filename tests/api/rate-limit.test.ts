import { createRedis } from '@payouts/queue';
import { must, testQueuePrefix } from '@payouts/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { RateLimiter } from '../../apps/api/src/rate-limit.ts';
import { client, createFundedTenant, startTestSystem, type TestSystem } from '../support/system.ts';

/**
 * Per-key rate limits. A burst of 5 refilled at one request per 100 s, so the 6th request in a row
 * is refused whatever the machine's speed (no timing in the assertions).
 */
let system: TestSystem;
let tenant: Awaited<ReturnType<typeof createFundedTenant>>;

beforeAll(async () => {
  system = await startTestSystem({ env: { RATE_LIMIT_PER_SECOND: '0.01', RATE_LIMIT_BURST: '5' } });
  tenant = await createFundedTenant(system, 'limited'); // three operator requests of its five
});
afterAll(async () => {
  await system?.stop();
});

describe('per-key rate limits', () => {
  test('a key gets its burst, then 429 problem+json with Retry-After; other keys keep their own budget', async () => {
    for (let i = 4; i >= 0; i--) {
      const ok = await tenant.api('GET', '/v1/balances');
      expect(ok.status).toBe(200);
      expect(ok.headers.get('ratelimit-limit')).toBe('5');
      expect(ok.headers.get('ratelimit-remaining')).toBe(String(i));
    }
    const refused = await tenant.api('GET', '/v1/balances');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({ code: 'rate_limited', errors: [{ field: 'Authorization' }] });
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(1);
    expect(retryAfter).toBeLessThanOrEqual(100);
    expect(refused.body.retry_after).toBe(retryAfter);
    expect(refused.headers.get('ratelimit-remaining')).toBe('0');

    // A write is refused the same way, and writes nothing.
    const post = await tenant.api('POST', '/v1/payouts', {}, { 'idempotency-key': 'limited-1' });
    expect(post.status).toBe(429);

    // The operator key has its own bucket (two left after creating the tenant).
    const op = client(system.api.url, system.operatorKey);
    expect((await op('GET', '/v1/admin/dead-letters')).status).toBe(200);
    // Requests without a valid key are refused before any bucket is touched.
    expect((await client(system.api.url)('GET', '/v1/balances')).status).toBe(401);
  });

  test('with Redis unreachable the limiter lets requests through and says so in the log', async () => {
    const dead = createRedis('redis://127.0.0.1:1', 'producer', { lazyConnect: true, retryStrategy: () => null });
    const warnings: unknown[] = [];
    const limiter = new RateLimiter(
      dead,
      { perSecond: 1, burst: 1, prefix: testQueuePrefix(), timeoutMs: 500 },
      { warn: (obj: unknown) => warnings.push(obj) },
    );
    expect(await limiter.take('key_test')).toBeNull();
    expect(await limiter.take('key_test')).toBeNull();
    expect(warnings).toHaveLength(2);
    dead.disconnect();
  });

  test('the limiter itself: one bucket per key, refilled at the configured rate', async () => {
    const prefix = testQueuePrefix();
    const limiter = new RateLimiter(system.redis, { perSecond: 0.01, burst: 2, prefix }, { warn: () => {} });
    const a1 = await limiter.take('key_a');
    const a2 = await limiter.take('key_a');
    const a3 = await limiter.take('key_a');
    const b1 = await limiter.take('key_b');
    expect([a1?.allowed, a2?.allowed, a3?.allowed, b1?.allowed]).toEqual([true, true, false, true]);
    expect(a1?.remaining).toBe(1);
    // The next token is one interval (100 s) away, less the moments the test took.
    const refused = must(a3, 'the third take');
    expect(refused.retryAfterMs).toBeGreaterThan(90_000);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(100_000);
    await system.redis.del(`${prefix}:ratelimit:key_a`, `${prefix}:ratelimit:key_b`);
  });

  test("one key's requests of one event-loop turn share one run of the script, each judged as if alone", async () => {
    const prefix = testQueuePrefix();
    // The real Redis, with its script runs counted.
    let runs = 0;
    const counted = {
      eval: (...args: Parameters<typeof system.redis.eval>) => {
        runs++;
        return system.redis.eval(...args);
      },
      evalsha: (...args: Parameters<typeof system.redis.evalsha>) => {
        runs++;
        return system.redis.evalsha(...args);
      },
    };
    const limiter = new RateLimiter(counted, { perSecond: 0.01, burst: 3, prefix }, { warn: () => {} });
    const decisions = await Promise.all([
      ...Array.from({ length: 5 }, () => limiter.take('key_a')),
      limiter.take('key_b'),
    ]);
    expect(decisions.map((d) => d?.allowed)).toEqual([true, true, true, false, false, true]);
    expect(decisions.map((d) => d?.remaining)).toEqual([2, 1, 0, 0, 0, 2]);
    // One run per key (two if Redis had to be sent the script first: evalsha, then eval).
    expect(runs).toBeLessThanOrEqual(4);
    expect(runs).toBeGreaterThanOrEqual(2);
    // The bucket holds what three separate takes would have left: the next one is refused.
    expect((await limiter.take('key_a'))?.allowed).toBe(false);
    await system.redis.del(`${prefix}:ratelimit:key_a`, `${prefix}:ratelimit:key_b`);
  });
});
