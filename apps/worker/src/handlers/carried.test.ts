import { createLogger } from '@payouts/observability';
import { createRedis, jobIds, jobRetry, POLL_JOB_PRIORITY, Queues } from '@payouts/queue';
import { testQueuePrefix, testRedisUrl } from '@payouts/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Slots } from '../slots.ts';
import { type CarriedDeps, handlePolls, handleSubmits } from './carried.ts';
import type { HandlerContext, JobControl } from './context.ts';

/**
 * What a carrying job does after each payout's run, against a real Redis: the runs themselves are
 * `handleSubmit` and `handlePoll` (tested with the whole system), here replaced by answers given.
 */
let queues: Queues;
let ctx: HandlerContext;

beforeAll(() => {
  queues = new Queues(createRedis(testRedisUrl(), 'worker'), testQueuePrefix());
  // Only what the carrying job itself touches: the queues, the provider's id and a logger.
  ctx = {
    queues,
    adapter: { id: 'druo' },
    logger: createLogger({ name: 'test', level: 'silent' }),
  } as unknown as HandlerContext;
});
afterAll(async () => {
  await queues.close();
  queues.connection.disconnect();
});

function deps(answers: Record<string, () => Promise<JobControl>>, paused: number[]): CarriedDeps {
  const answer = (id: string) => {
    const run = answers[id];
    if (!run) throw new Error(`no answer for ${id}`);
    return run();
  };
  return {
    submitOne: (p) => answer(p.payoutId),
    pollOne: (p) => answer(p.payoutId),
    slots: { submits: new Slots(2), polls: new Slots(2) },
    pauseQueue: async (ms) => {
      paused.push(ms);
    },
  };
}

describe('a job carrying many payouts', () => {
  test('hands each payout that must run again on as its own `submit` job, as its own job would have run again', async () => {
    const paused: number[] = [];
    const ids = ['po_c_done', 'po_c_again', 'po_c_429', 'po_c_retry', 'po_c_threw'];
    const result = await handleSubmits(
      ctx,
      { payouts: ids.map((payoutId) => ({ payoutId, requestId: `req-${payoutId}` })) },
      deps(
        {
          po_c_done: async () => ({ kind: 'done', result: 'processing' }),
          po_c_again: async () => ({ kind: 'again', delayMs: 60_000, data: { payoutId: 'po_c_again' } }),
          po_c_429: async () => ({ kind: 'rate_limited', delayMs: 2_000 }),
          po_c_retry: async () => ({ kind: 'retry', reason: 'provider unavailable' }),
          po_c_threw: async () => {
            throw new Error('Postgres out of reach');
          },
        },
        paused,
      ),
    );
    expect(result).toEqual({
      kind: 'done',
      result: 'processing=1 handed_on:again=1 handed_on:rate_limited=1 handed_on:retry=2',
    });
    const queue = queues.provider('druo');
    expect(await queue.getJob(jobIds.submit('po_c_done'))).toBeUndefined();
    const again = await queue.getJob(jobIds.submit('po_c_again'));
    expect(again?.data).toEqual({ payoutId: 'po_c_again', requestId: 'req-po_c_again' });
    expect(again?.opts).toMatchObject({ delay: 60_000, attempts: jobRetry('submit').attempts });
    // A 429 pauses the provider's whole queue, and the payout waits out the same time.
    expect(paused).toEqual([2_000]);
    expect((await queue.getJob(jobIds.submit('po_c_429')))?.opts.delay).toBe(2_000);
    // A failed run was the first try: its own job waits the first backoff and has the tries left.
    for (const id of ['po_c_retry', 'po_c_threw']) {
      const own = await queue.getJob(jobIds.submit(id));
      expect(own?.opts.attempts).toBe(jobRetry('submit').attempts - 1);
      expect(own?.opts.delay).toBeGreaterThan(0);
      expect(own?.opts.delay).toBeLessThanOrEqual(jobRetry('submit').backoff.delay);
    }
  });

  test("a look that needs another goes on in the payout's own chain, from the next attempt", async () => {
    const result = await handlePolls(
      ctx,
      { payouts: [{ payoutId: 'po_l_final' }, { payoutId: 'po_l_next', providerPayoutId: 'pay_9' }] },
      deps(
        {
          po_l_final: async () => ({ kind: 'done', result: 'processed' }),
          po_l_next: async () => ({
            kind: 'again',
            delayMs: 100,
            data: { payoutId: 'po_l_next', attempt: 1, providerPayoutId: 'pay_9' },
          }),
        },
        [],
      ),
    );
    expect(result.kind).toBe('done');
    const queue = queues.provider('druo');
    expect(await queue.getJob(jobIds.poll('po_l_final'))).toBeUndefined();
    const next = await queue.getJob(jobIds.poll('po_l_next'));
    expect(next?.data).toEqual({ payoutId: 'po_l_next', attempt: 1, providerPayoutId: 'pay_9' });
    expect(next?.opts).toMatchObject({ delay: 100, priority: POLL_JOB_PRIORITY });
  });

  test('runs no more of its payouts at once than its slots, and empties its index when done', async () => {
    const ids = ['po_s_1', 'po_s_2', 'po_s_3', 'po_s_4', 'po_s_5'];
    await queues.startPolls(
      'druo',
      ids.map((payoutId) => ({ payoutId })),
      60_000,
    );
    expect((await queues.carriers('druo', 'polls', ids)).size).toBe(5);
    let running = 0;
    let most = 0;
    const slow = async (): Promise<JobControl> => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setImmediate(r));
      running--;
      return { kind: 'done', result: 'processed' };
    };
    await handlePolls(
      ctx,
      { payouts: ids.map((payoutId) => ({ payoutId })) },
      deps(Object.fromEntries(ids.map((id) => [id, slow])), []),
    );
    expect(most).toBe(2);
    expect((await queues.carriers('druo', 'polls', ids)).size).toBe(0);
  });
});
