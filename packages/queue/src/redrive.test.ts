import { testQueuePrefix, testRedisUrl } from '@payouts/testing';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { jobIds } from './catalog.ts';
import { Queues } from './queues.ts';
import { redrive, redriveJob } from './redrive.ts';

let redis: Redis;
let queues: Queues;

beforeAll(() => {
  redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
  queues = new Queues(redis, testQueuePrefix());
});
afterAll(async () => {
  await queues.close();
  redis.disconnect();
});

const target = (
  id: string,
  status: string,
  extra: Partial<{ queuedReason: string; providerPayoutId: string }> = {},
) => ({
  id,
  status,
  provider: 'razorpayx',
  queuedReason: extra.queuedReason ?? null,
  providerPayoutId: extra.providerPayoutId ?? null,
});

describe('re-driving a payout from its recorded state', () => {
  test.each([
    ['accepted', {}, 'payout.accepted'],
    ['reserved', {}, 'submit'],
    ['queued', { queuedReason: 'provider_low_balance' }, 'submit'],
    ['queued', { queuedReason: 'provider_low_balance', providerPayoutId: 'pout_1' }, 'poll'],
    ['unknown', {}, 'poll'],
    ['processing', {}, 'poll'],
    ['needs_attention', {}, 'poll'],
  ] as const)('%s %j → %s', (status, extra, name) => {
    expect(redriveJob(target('po_x', status, extra))?.name).toBe(name);
  });

  test.each(['processed', 'failed', 'rejected', 'cancelled', 'reversed'])(
    '%s is final: nothing to re-drive',
    (status) => {
      expect(redriveJob(target('po_x', status))).toBeNull();
    },
  );

  test('leaves a live job alone, and replaces one that died after its retries', async () => {
    const queue = queues.provider('razorpayx');
    await queue.add('submit', { payoutId: 'po_live' }, { jobId: jobIds.submit('po_live'), delay: 60_000 });
    await queue.add('submit', { payoutId: 'po_dead' }, { jobId: jobIds.submit('po_dead'), attempts: 1 });
    const worker = new Worker(
      queue.name,
      async (job) => {
        if (job.data.payoutId === 'po_dead') throw new Error('provider unavailable');
      },
      { connection: redis.duplicate(), prefix: queues.prefix },
    );
    const dead = await queue.getJob(jobIds.submit('po_dead'));
    await expect.poll(async () => dead?.getState(), { timeout: 10_000 }).toBe('failed');
    await worker.close();

    const driven = await redrive(queues, [
      target('po_live', 'reserved'),
      target('po_dead', 'reserved'),
      target('po_gone', 'reserved'),
    ]);
    expect(driven.sort()).toEqual(['po_dead', 'po_gone']);
    const states = await queues.jobStates(queue, [
      jobIds.submit('po_live'),
      jobIds.submit('po_dead'),
      jobIds.submit('po_gone'),
    ]);
    expect([...states.values()]).toEqual(['alive', 'alive', 'alive']);
  });
});
