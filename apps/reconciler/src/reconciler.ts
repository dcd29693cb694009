import type { Database } from '@payouts/db';
import type { Logger } from '@payouts/observability';
import { createRedis, type Queues, RECONCILER_QUEUE, type ReconcilerJobName, reconcilerJobs } from '@payouts/queue';
import { type Job, Worker } from 'bullmq';
import { applyEvents, type EventResult, type ReconcilerEvent } from './apply-events.ts';
import { type GroupCommitOptions, GroupCommitter } from './group-commit.ts';
import { sweep } from './sweeper.ts';

export interface ReconcilerOptions {
  db: Database;
  redisUrl: string;
  prefix: string;
  queues: Queues;
  logger: Logger;
  batch: GroupCommitOptions;
  sweepIntervalMs: number;
  sweepAfterMs: number;
}

export interface RunningReconciler {
  /** Stops taking jobs, finishes the batches in flight, then stops the sweeper. */
  close(deadlineMs?: number): Promise<void>;
  sweepNow(): ReturnType<typeof sweep>;
}

export function startReconciler(o: ReconcilerOptions): RunningReconciler {
  const committer = new GroupCommitter<ReconcilerEvent, EventResult>(async (events) => {
    const outcome = await applyEvents(o.db, events);
    // Only after the commit: a submit job for a payout whose hold rolled back would pay unfunded.
    // If this enqueue fails, the jobs fail and are retried; the retry re-enqueues (see accepted()).
    await o.queues.submitAll(outcome.submits);
    return outcome.results;
  }, o.batch);

  const connection = createRedis(o.redisUrl, 'worker');
  const worker = new Worker(
    RECONCILER_QUEUE,
    async (job: Job) => {
      const name = job.name as ReconcilerJobName;
      const schema = reconcilerJobs[name];
      if (!schema) throw new Error(`unknown reconciler job ${job.name}`);
      const data = schema.parse(job.data);
      return committer.add({ name, data } as ReconcilerEvent);
    },
    {
      connection,
      prefix: o.prefix,
      // Enough jobs in flight at once to fill the batches.
      concurrency: o.batch.maxBatch * o.batch.maxConcurrent,
    },
  );
  worker.on('failed', (job, error) =>
    o.logger.error(
      { err: error, jobId: job?.id, job: job?.name, attempts: job?.attemptsMade },
      'reconciler job failed',
    ),
  );
  worker.on('error', (error) => o.logger.error({ err: error }, 'reconciler worker error'));

  let sweeping: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    sweeping = sweep(o.db, o.queues, { sweepAfterMs: o.sweepAfterMs }, o.logger).catch((error) =>
      o.logger.error({ err: error }, 'sweep failed'),
    );
  }, o.sweepIntervalMs);
  timer.unref();

  return {
    sweepNow: () => sweep(o.db, o.queues, { sweepAfterMs: o.sweepAfterMs }, o.logger),
    async close(deadlineMs = 10_000) {
      clearInterval(timer);
      // worker.close() waits for active jobs, which wait for their batch: bounded by a deadline so a
      // stuck database cannot hold shutdown forever (unfinished jobs are retried by another process).
      await Promise.race([worker.close(), new Promise((r) => setTimeout(r, deadlineMs).unref())]);
      await committer.drain();
      await sweeping;
      connection.disconnect();
    },
  };
}
