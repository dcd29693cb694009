import type { PayoutStatus, ProviderId } from '@payouts/core';
import { must, testQueuePrefix, testRedisUrl } from '@payouts/testing';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  jobIds,
  jobRetry,
  type ProviderJobName,
  providerJobs,
  type ReconcilerJobName,
  reconcilerJobs,
} from './catalog.ts';
import { BATCH_JOB_PRIORITY, Queues } from './queues.ts';
import { type RedriveTarget, redrive } from './redrive.ts';

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

/** What every job was added with when the retry was one queue-wide default; no job differs yet. */
const TODAY = { attempts: 8, backoff: { type: 'exponential', delay: 500, jitter: 0.5 } };

function retryOf(job: Job | undefined) {
  return { attempts: job?.opts.attempts, backoff: job?.opts.backoff };
}

const target = (id: string, status: PayoutStatus, provider: ProviderId = 'razorpayx'): RedriveTarget => ({
  id,
  status,
  provider,
  queuedReason: null,
  providerPayoutId: null,
});

describe('each job carries its retry from the catalog', () => {
  test.each([...Object.keys(reconcilerJobs), ...Object.keys(providerJobs)] as (ReconcilerJobName | ProviderJobName)[])(
    '%s retries as every job did before the catalog carried it',
    (name) => {
      expect(jobRetry(name)).toEqual(TODAY);
    },
  );

  test('single and bulk adds to the reconciler', async () => {
    const single = await queues.toReconciler('wallet.release', { tenantId: 'ten_1', currency: 'INR' });
    const [bulk] = await queues.toReconcilerBulk('payout.accepted', [
      { data: { payoutId: 'po_bulk' }, opts: { jobId: jobIds.accepted('po_bulk') } },
    ]);
    expect(retryOf(await queues.reconciler.getJob(must(single.id, 'the single job id')))).toEqual(
      jobRetry('wallet.release'),
    );
    expect(retryOf(await queues.reconciler.getJob(must(must(bulk, 'the bulk job').id, 'the bulk job id')))).toEqual(
      jobRetry('payout.accepted'),
    );
  });

  test('adds to a provider queue, the hand-over of reserved payouts included', async () => {
    await queues.toProvider(
      'razorpayx',
      'poll',
      { payoutId: 'po_poll', attempt: 0 },
      {
        jobId: jobIds.poll('po_poll'),
        delay: 60_000,
      },
    );
    await queues.submitAll([{ provider: 'druo', payoutId: 'po_batch', batch: true }]);
    expect(retryOf(await queues.provider('razorpayx').getJob(jobIds.poll('po_poll')))).toEqual(jobRetry('poll'));
    const submit = await queues.provider('druo').getJob(jobIds.submit('po_batch'));
    expect(retryOf(submit)).toEqual(jobRetry('submit'));
    expect(submit?.opts.priority).toBe(BATCH_JOB_PRIORITY);
  });

  test('the re-drive adds its jobs with the same retry', async () => {
    await redrive(queues, [target('po_redrive_a', 'accepted'), target('po_redrive_s', 'reserved', 'krayon')]);
    expect(retryOf(await queues.reconciler.getJob(jobIds.accepted('po_redrive_a')))).toEqual(
      jobRetry('payout.accepted'),
    );
    expect(retryOf(await queues.provider('krayon').getJob(jobIds.submit('po_redrive_s')))).toEqual(jobRetry('submit'));
  });

  test("a caller's own options win over the catalog's", async () => {
    const job = await queues.toProvider('druo', 'confirm', { payoutId: 'po_c', eventId: 'ev_1' }, { attempts: 2 });
    expect((await queues.provider('druo').getJob(must(job.id, 'the job id')))?.opts.attempts).toBe(2);
  });
});

describe('payouts.accepted', () => {
  const schema = reconcilerJobs['payouts.accepted'].schema;

  test("carries each payout's own trace, and still reads a job queued before it did", () => {
    const group = {
      payoutIds: ['po_a', 'po_b'],
      traces: { po_a: { requestId: 'req-a', traceparent: '00-aa-01' }, po_b: { requestId: 'req-b' } },
    };
    expect(schema.parse(group)).toEqual(group);
    const before = { payoutIds: ['po_a'], requestId: 'req-batch' };
    expect(schema.parse(before)).toEqual(before);
  });

  test('a trace is held to the bounds of any job trace', () => {
    expect(() => schema.parse({ payoutIds: ['po_a'], traces: { po_a: { requestId: 'x'.repeat(65) } } })).toThrow();
  });
});
