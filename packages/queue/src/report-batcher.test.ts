import { must, testQueuePrefix, testRedisUrl } from '@payouts/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type ProviderReport, REPORT_SLICE } from './catalog.ts';
import { jobContext, Queues } from './queues.ts';
import { ReportBatcher } from './report-batcher.ts';

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

const reportOf = (payoutId: string): ProviderReport => ({
  payoutId,
  outcome: 'processing',
  providerPayoutId: `pout_${payoutId}`,
  rawStatus: 'processing',
  fees: null,
  tax: null,
  utr: null,
  failure: null,
  queuedReason: null,
  source: 'worker',
  observedAt: 1,
});

async function reportsJobs() {
  const jobs = await queues.reconciler.getJobs(['waiting', 'prioritized', 'delayed']);
  return jobs.filter((j) => j.name === 'payout.reports');
}

describe('reports leave in bulk', () => {
  test('reports made together are one job, each with the trace of the job that made it, and each caller waits for it', async () => {
    await queues.reconciler.obliterate({ force: true });
    const batcher = new ReportBatcher(queues, 20);
    let stored = 0;
    const adds = ['po_a', 'po_b', 'po_c'].map((id) =>
      jobContext.run({ requestId: `req_${id}` }, () => batcher.add(reportOf(id)).then(() => stored++)),
    );
    // Nothing is acknowledged before the job that carries the reports is in Redis.
    expect(stored).toBe(0);
    await Promise.all(adds);
    const jobs = await reportsJobs();
    expect(jobs).toHaveLength(1);
    const reports = (must(jobs[0], 'the reports job').data as { reports: ProviderReport[] }).reports;
    expect(reports.map((r) => [r.payoutId, r.requestId])).toEqual([
      ['po_a', 'req_po_a'],
      ['po_b', 'req_po_b'],
      ['po_c', 'req_po_c'],
    ]);
    // The job itself carries no one request's trace.
    expect(jobs[0]?.data).not.toHaveProperty('requestId');
  });

  test(`a full slice (${REPORT_SLICE}) leaves at once, the rest after the linger`, async () => {
    await queues.reconciler.obliterate({ force: true });
    const batcher = new ReportBatcher(queues, 60_000);
    const full = Array.from({ length: REPORT_SLICE }, (_, i) => batcher.add(reportOf(`po_${i}`)));
    await Promise.all(full);
    expect((await reportsJobs()).map((j) => (j.data as { reports: unknown[] }).reports.length)).toEqual([REPORT_SLICE]);
  });

  test('when the job cannot be added, every caller of that flush sees the error and nothing is stored', async () => {
    await queues.reconciler.obliterate({ force: true });
    const batcher = new ReportBatcher(queues, 20);
    // A report the catalog refuses makes the whole job unaddable.
    const bad = { ...reportOf('po_bad'), outcome: 'paid' } as unknown as ProviderReport;
    const results = await Promise.allSettled([batcher.add(reportOf('po_x')), batcher.add(bad)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await reportsJobs()).toHaveLength(0);
  });
});
