import type { ProviderId } from '@payouts/core';
import type { Database } from '@payouts/db';
import type { Logger } from '@payouts/observability';
import type { ProviderAdapter } from '@payouts/providers';
import { createRedis, ProviderGate, providerJobs, providerQueueName, type Queues } from '@payouts/queue';
import { DelayedError, type Job, RateLimitError, Worker } from 'bullmq';
import type { HandlerContext, JobControl } from './handlers/context.ts';
import { handleConfirm, handlePoll } from './handlers/poll.ts';
import { handleSubmit } from './handlers/submit.ts';
import type { PollSchedule } from './poll-schedule.ts';

export interface ProviderWorkerSettings {
  concurrency: number;
  /** Jobs per second across every worker process of this provider (BullMQ's global limiter). */
  ratePerSecond: number;
  schedule: PollSchedule;
}

export interface WorkerOptions {
  db: Database;
  redisUrl: string;
  prefix: string;
  queues: Queues;
  logger: Logger;
  adapters: ReadonlyMap<ProviderId, ProviderAdapter>;
  /** Which provider queues this process serves: each provider scales on its own. */
  providers: readonly ProviderId[];
  settings: (provider: ProviderId) => ProviderWorkerSettings;
  now?: () => number;
}

export interface RunningWorkers {
  close(deadlineMs?: number): Promise<void>;
}

export function startWorkers(o: WorkerOptions): RunningWorkers {
  const workers: Worker[] = [];
  const connection = createRedis(o.redisUrl, 'worker');
  for (const provider of o.providers) {
    const adapter = o.adapters.get(provider);
    if (!adapter) throw new Error(`no adapter configured for provider ${provider}`);
    const settings = o.settings(provider);
    const ctx: HandlerContext = {
      db: o.db,
      queues: o.queues,
      adapter,
      gate: new ProviderGate(o.queues.connection, o.prefix, provider),
      schedule: settings.schedule,
      logger: o.logger.child({ provider }),
      now: o.now ?? Date.now,
    };
    const worker: Worker = new Worker(
      providerQueueName(provider),
      async (job: Job, token?: string) => {
        const control = await dispatch(ctx, job);
        return applyControl(worker, job, token, control);
      },
      {
        connection,
        prefix: o.prefix,
        concurrency: settings.concurrency,
        limiter: { max: settings.ratePerSecond, duration: 1000 },
      },
    );
    worker.on('failed', (job, error) =>
      ctx.logger.warn(
        { err: error, jobId: job?.id, job: job?.name, attempts: job?.attemptsMade },
        'provider job failed',
      ),
    );
    worker.on('error', (error) => ctx.logger.error({ err: error }, 'provider worker error'));
    workers.push(worker);
  }
  return {
    async close(deadlineMs = 10_000) {
      // Stop taking jobs and wait for the ones in flight; past the deadline, hand them back
      // (the lock expires and another worker picks them up as stalled).
      await Promise.race([
        Promise.all(workers.map((w) => w.close())),
        new Promise((r) => setTimeout(r, deadlineMs).unref()),
      ]);
      connection.disconnect();
    },
  };
}

function dispatch(ctx: HandlerContext, job: Job): Promise<JobControl> {
  switch (job.name) {
    case 'submit':
      return handleSubmit(ctx, providerJobs.submit.parse(job.data));
    case 'poll':
      return handlePoll(ctx, providerJobs.poll.parse(job.data));
    case 'confirm':
      return handleConfirm(ctx, providerJobs.confirm.parse(job.data));
    default:
      throw new Error(`unknown provider job ${job.name}`);
  }
}

async function applyControl(worker: Worker, job: Job, token: string | undefined, control: JobControl): Promise<string> {
  switch (control.kind) {
    case 'done':
      return control.result;
    case 'again':
      // The same job, moved back to delayed: one poll chain per payout, whatever re-drives it.
      // Delayed first, data second: if Redis lost this job meanwhile, moveToDelayed fails on the
      // missing lock, and no late write re-creates a half job under its id (see jobStates).
      await job.moveToDelayed(Date.now() + control.delayMs, token);
      await job.updateData(control.data);
      throw new DelayedError();
    case 'rate_limited':
      // Shared through Redis by every worker of this provider, not per process.
      await worker.rateLimit(control.delayMs);
      throw new RateLimitError();
    case 'retry':
      throw new Error(control.reason);
  }
}
