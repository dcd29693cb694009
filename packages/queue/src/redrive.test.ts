import type { PayoutStatus, QueuedReason } from '@payouts/core';
import { PATIENCE_MS, testQueuePrefix, testRedisUrl } from '@payouts/testing';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { jobIds, SUBMIT_SLICE } from './catalog.ts';
import { Queues } from './queues.ts';
import { type RedriveTarget, redrive, redriveJob } from './redrive.ts';

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
  status: PayoutStatus,
  extra: Partial<{ queuedReason: QueuedReason; providerPayoutId: string }> = {},
): RedriveTarget => ({
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

  test.each(['processed', 'failed', 'rejected', 'cancelled', 'reversed'] as const)(
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
    await expect.poll(async () => dead?.getState(), { timeout: PATIENCE_MS }).toBe('failed');
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

  test('tells a job listed nowhere (an orphan) from a live one, and re-drives the orphan', async () => {
    const queue = queues.provider('druo');
    const base = `${queues.prefix}:${queue.name}`;
    await queue.add('submit', { payoutId: 'po_waiting' }, { jobId: jobIds.submit('po_waiting') });
    await queue.add('submit', { payoutId: 'po_prio' }, { jobId: jobIds.submit('po_prio'), priority: 10 });
    // An orphan: the hash survives, its place in the wait list does not (a non-atomic deletion).
    await queue.add('submit', { payoutId: 'po_orphan' }, { jobId: jobIds.submit('po_orphan') });
    await redis.lrem(`${base}:wait`, 0, jobIds.submit('po_orphan'));
    // A half job: only a late data write re-created its hash.
    await redis.hset(`${base}:${jobIds.submit('po_half')}`, 'data', '{}');

    const ids = ['po_waiting', 'po_prio', 'po_orphan', 'po_half', 'po_none'].map(jobIds.submit);
    expect(Object.fromEntries(await queues.jobStates(queue, ids))).toEqual({
      [jobIds.submit('po_waiting')]: 'alive',
      [jobIds.submit('po_prio')]: 'alive',
      [jobIds.submit('po_orphan')]: 'orphan',
      [jobIds.submit('po_half')]: 'orphan',
    });

    const driven = await redrive(
      queues,
      ['po_waiting', 'po_prio', 'po_orphan', 'po_half', 'po_none'].map(
        (id): RedriveTarget => ({
          ...target(id, 'reserved'),
          provider: 'druo',
        }),
      ),
    );
    expect(driven.sort()).toEqual(['po_half', 'po_none', 'po_orphan']);
    const after = await queues.jobStates(queue, ids);
    expect([...after.values()]).toEqual(['alive', 'alive', 'alive', 'alive', 'alive']);
    expect(await redis.lpos(`${base}:wait`, jobIds.submit('po_orphan'))).not.toBeNull();
  });
});

describe('payouts that ride together in a `submits` job', () => {
  const singles = (prefix: string, n: number) =>
    Array.from({ length: n }, (_, i) => ({ provider: 'krayon' as const, payoutId: `${prefix}${i}` }));

  test("the payouts posted on their own share a job per slice; a batch run's items keep a job each", async () => {
    const queue = queues.provider('krayon');
    const many = singles('po_many', SUBMIT_SLICE + 1);
    await queues.submitAll([
      ...many.map((p, i) => (i === 0 ? { ...p, trace: { requestId: 'req-first' } } : p)),
      { provider: 'krayon', payoutId: 'po_item', batch: true, batchRow: 3 },
    ]);
    const slice = many.slice(0, SUBMIT_SLICE).map((p) => p.payoutId);
    const carrying = await queue.getJob(jobIds.submits(slice));
    expect(carrying?.name).toBe('submits');
    expect(carrying?.opts.priority ?? 0).toBe(0);
    expect(carrying?.data.payouts).toHaveLength(SUBMIT_SLICE);
    expect(carrying?.data.payouts[0]).toEqual({ payoutId: 'po_many0', requestId: 'req-first' });
    // The slice's last payout is alone in its own: a job of one is a plain `submit`.
    const last = `po_many${SUBMIT_SLICE}`;
    expect((await queue.getJob(jobIds.submit(last)))?.name).toBe('submit');
    expect((await queue.getJob(jobIds.submit('po_item')))?.opts.priority).toBeGreaterThan(0);

    const carriers = await queues.carriers('krayon', 'submits', [
      'po_many0',
      `po_many${SUBMIT_SLICE - 1}`,
      last,
      'po_item',
    ]);
    expect(Object.fromEntries(carriers)).toEqual({
      po_many0: jobIds.submits(slice),
      [`po_many${SUBMIT_SLICE - 1}`]: jobIds.submits(slice),
    });
  });

  test('a re-drive leaves a payout carried by a live job alone, and drives one whose carrier is dead', async () => {
    const queue = queues.provider('thai-gateway');
    await queues.submitAll([
      { provider: 'thai-gateway', payoutId: 'po_ride_a' },
      { provider: 'thai-gateway', payoutId: 'po_ride_b' },
    ]);
    // A carrier that failed for good: its index entry still names it.
    await redis.hset(
      `${queues.prefix}:${queue.name}:carried-submits`,
      'po_ride_dead',
      jobIds.submits(['po_ride_dead', 'po_other']),
    );

    const driven = await redrive(
      queues,
      ['po_ride_a', 'po_ride_b', 'po_ride_dead'].map((id) => ({ ...target(id, 'reserved'), provider: 'thai-gateway' })),
    );
    expect(driven).toEqual(['po_ride_dead']);
    expect(await queue.getJob(jobIds.submit('po_ride_a'))).toBeUndefined();
    expect((await queue.getJob(jobIds.submit('po_ride_dead')))?.name).toBe('submit');
    // The stale entry is gone; the live ones stay until their job is done with them.
    expect(Object.fromEntries(await queues.carriers('thai-gateway', 'submits', ['po_ride_a', 'po_ride_dead']))).toEqual(
      {
        po_ride_a: jobIds.submits(['po_ride_a', 'po_ride_b']),
      },
    );
    await queues.dropCarried('thai-gateway', 'submits', ['po_ride_a', 'po_ride_b']);
    expect((await queues.carriers('thai-gateway', 'submits', ['po_ride_a', 'po_ride_b'])).size).toBe(0);
  });

  test('a payout handed over again while a job holds it is left to that job: never two jobs submitting it', async () => {
    const queue = queues.provider('druo');
    const druo = (payoutId: string) => ({ provider: 'druo' as const, payoutId });
    // Reserved by one batch, then handed over again with others (its acceptance re-driven).
    await queues.submitAll([druo('po_twice'), druo('po_first_set')]);
    await queues.submitAll([druo('po_twice'), druo('po_second_set')]);
    // Alone, too: no job of its own beside the one carrying it.
    await queues.submitAll([druo('po_twice')]);
    // A payout whose own job is there is not carried beside it either.
    await queues.submitAll([druo('po_own')]);
    await queues.submitAll([druo('po_own'), druo('po_third_set')]);
    const first = await queue.getJob(jobIds.submits(['po_twice', 'po_first_set']));
    const second = await queue.getJob(jobIds.submits(['po_twice', 'po_second_set']));
    const third = await queue.getJob(jobIds.submits(['po_own', 'po_third_set']));
    expect(first?.data.payouts).toEqual([{ payoutId: 'po_twice' }, { payoutId: 'po_first_set' }]);
    expect(second?.data.payouts).toEqual([{ payoutId: 'po_second_set' }]);
    expect(third?.data.payouts).toEqual([{ payoutId: 'po_third_set' }]);
    expect(await queue.getJob(jobIds.submit('po_twice'))).toBeUndefined();
    expect((await queue.getJob(jobIds.submit('po_own')))?.name).toBe('submit');
    // Each payout is found in a live job: the re-drive adds nothing.
    const driven = await redrive(
      queues,
      ['po_twice', 'po_first_set', 'po_second_set', 'po_own', 'po_third_set'].map((id) => ({
        ...target(id, 'reserved'),
        provider: 'druo',
      })),
    );
    expect(driven).toEqual([]);

    await queues.startPolls('druo', [{ payoutId: 'po_look' }, { payoutId: 'po_look_a' }], 60_000);
    await queues.startPolls('druo', [{ payoutId: 'po_look' }, { payoutId: 'po_look_b' }], 60_000);
    const looks = await queues.carriers('druo', 'polls', ['po_look_a', 'po_look_b']);
    for (const [payoutId, jobId] of looks) {
      expect((await queue.getJob(jobId))?.data.payouts.map((p: { payoutId: string }) => p.payoutId)).toContain(
        payoutId,
      );
    }
    expect(looks.size).toBe(2);
  });
});
