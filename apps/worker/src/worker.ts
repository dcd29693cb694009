import type { ProviderId } from '@payouts/core';
import type { Database } from '@payouts/db';
import {
  contextFromTraceparent,
  createRegistry,
  type Logger,
  type Registry,
  registerBudgetMetrics,
  registerCircuitMetrics,
  registerQueueMetrics,
  workerMetrics,
} from '@payouts/observability';
import type { ProviderAdapter } from '@payouts/providers';
import {
  BATCH_JOB_PRIORITY,
  type CallPriority,
  createRedis,
  type JobTrace,
  jobContext,
  PollStarts,
  ProviderBudget,
  ProviderGate,
  providerJobs,
  providerQueueName,
  type Queues,
  queuedByPriority,
  ReportBatcher,
  readProviderBudget,
  WebhookClock,
} from '@payouts/queue';
import { DelayedError, type Job, RateLimitError, Worker } from 'bullmq';
import { instrumentAdapter } from './adapters.ts';
import { handleCancelAtProvider } from './handlers/cancel.ts';
import { type CarriedDeps, handlePolls, handleSubmits } from './handlers/carried.ts';
import { handleConfirm, handleConfirmList } from './handlers/confirm.ts';
import type { HandlerContext, JobControl } from './handlers/context.ts';
import { handlePoll } from './handlers/poll.ts';
import { handleSubmit } from './handlers/submit.ts';
import { SubmissionClaims } from './payout-record.ts';
import type { ProviderWorkerSettings } from './settings.ts';
import { SharedReads } from './shared-reads.ts';
import { Slots } from './slots.ts';

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
  /** Where this process's metrics go (served on METRICS_PORT by main.ts); a fresh one by default. */
  registry?: Registry;
}

export interface RunningWorkers {
  registry: Registry;
  close(deadlineMs?: number): Promise<void>;
}

export function startWorkers(o: WorkerOptions): RunningWorkers {
  const workers: Worker[] = [];
  const connection = createRedis(o.redisUrl, 'worker');
  const registry = o.registry ?? createRegistry('worker');
  const metrics = workerMetrics(registry);
  const gates: Array<{ provider: ProviderId; gate: ProviderGate }> = [];
  // Every provider's jobs in this process report through one batcher: one reconciler job per flush.
  const reports = new ReportBatcher(o.queues);
  // Every provider's jobs in this process share their payout and downtime reads (see SharedReads).
  const reads = new SharedReads(o.db, o.now ?? Date.now);
  const claims = new SubmissionClaims(o.db);
  // The poll chains of payouts sent within a few ms of each other start as one job (see PollStarts).
  const pollStarts = new PollStarts(o.queues);
  for (const provider of o.providers) {
    const adapter = o.adapters.get(provider);
    if (!adapter) throw new Error(`no adapter configured for provider ${provider}`);
    const settings = o.settings(provider);
    const ctx: HandlerContext = {
      db: o.db,
      queues: o.queues,
      adapter,
      gate: new ProviderGate(o.queues.connection, o.prefix, provider),
      budget: new ProviderBudget(o.queues.connection, o.prefix, provider, {
        ratePerSecond: settings.ratePerSecond,
        onWait: (priority, waitedMs) => metrics.budgetWait.observe({ provider, priority }, waitedMs / 1000),
      }),
      reports,
      reads,
      claims,
      pollStarts,
      schedule: settings.schedule,
      webhooks: settings.webhooks,
      webhookClock: new WebhookClock(o.queues.connection, o.prefix, provider),
      logger: o.logger.child({ provider }),
      metrics,
      now: o.now ?? Date.now,
    };
    gates.push({ provider, gate: ctx.gate });
    // Jobs of one payout are bounded by BullMQ's concurrency below; the payouts a job carries by
    // these, the same number of each kind at once.
    const carried: CarriedDeps = {
      slots: { submits: new Slots(settings.concurrency), polls: new Slots(settings.concurrency) },
      pauseQueue: (delayMs) => worker.rateLimit(delayMs),
      // Each payout in the trace of the request that posted it, with the adapter instrumented for
      // it alone (from the provider's own context, not the carrying job's), as its own job would be.
      submitOne: (payout) =>
        inTrace(ctx, 'submit', payout, 'submit', (one) => handleSubmit(one, { payoutId: payout.payoutId })),
      pollOne: ({ requestId, traceparent, ...data }) =>
        inTrace(ctx, 'poll', { requestId, traceparent, payoutId: data.payoutId }, 'poll', (one) =>
          handlePoll(one, data),
        ),
    };
    const worker: Worker = new Worker(
      providerQueueName(provider),
      async (job: Job, token?: string) => {
        const control = await runTraced(ctx, job, carried);
        return applyControl(worker, job, token, control);
      },
      {
        connection,
        prefix: o.prefix,
        concurrency: settings.concurrency,
        // The provider's rate is kept by its budget, per call (jobs that call nobody, like a
        // webhook's confirm, cost nothing). BullMQ's limiter stays, far above it, only so that a
        // 429 can pause the whole queue (`worker.rateLimit` needs a limiter to act).
        limiter: { max: Math.max(100, settings.ratePerSecond * 20), duration: 1000 },
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
  registerQueueMetrics(registry, () => o.providers.map((p) => o.queues.provider(p)));
  registerBudgetMetrics(registry, () =>
    o.providers.map((provider) => async () => {
      const [budget, queued] = await Promise.all([
        readProviderBudget(o.queues.connection, o.prefix, provider),
        queuedByPriority(o.queues.connection, o.queues.provider(provider)),
      ]);
      return { provider, tokens: budget.tokens, pausedUntil: budget.pausedUntil, waiting: budget.waiting, queued };
    }),
  );
  registerCircuitMetrics(registry, () =>
    gates.map(({ provider, gate }) => ({
      provider,
      circuitState: () => gate.circuitState(),
      isLowBalance: () => gate.isLowBalance(),
      isCredentialsRejected: () => gate.isCredentialsRejected(),
    })),
  );
  return {
    registry,
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

/**
 * Runs a job in the context of the request that started its payout: its log lines carry the
 * request id, the jobs it enqueues carry it on (see `jobContext`), and its provider calls are spans
 * of the request's trace.
 */
function runTraced(base: HandlerContext, job: Job, carried: CarriedDeps): Promise<JobControl> {
  const data = (job.data ?? {}) as JobTrace & { payoutId?: string };
  return inTrace(base, job.name, data, callPriority(job), (ctx) => dispatch(ctx, job, carried));
}

/** Runs `fn` in the trace of the request behind `carried` (a job's data, or one payout a job carries). */
function inTrace<T>(
  base: HandlerContext,
  jobName: string,
  carried: JobTrace & { payoutId?: string },
  priority: CallPriority,
  fn: (ctx: HandlerContext) => Promise<T>,
): Promise<T> {
  const trace: JobTrace = {};
  if (typeof carried.requestId === 'string') trace.requestId = carried.requestId;
  if (typeof carried.traceparent === 'string') trace.traceparent = carried.traceparent;
  const logger = base.logger.child({
    ...(trace.requestId ? { requestId: trace.requestId } : {}),
    job: jobName,
  });
  const ctx: HandlerContext = {
    ...base,
    logger,
    adapter: instrumentAdapter(base.adapter, {
      metrics: base.metrics,
      logger,
      parent: contextFromTraceparent(trace.traceparent),
      payoutId: carried.payoutId,
      budget: base.budget,
      priority,
    }),
  };
  return jobContext.run(trace, () => fn(ctx));
}

/** Which of the budget's priorities a job's provider calls take (see CALL_PRIORITIES). */
function callPriority(job: Job): CallPriority {
  switch (job.name) {
    case 'submit':
      return (job.opts.priority ?? 0) >= BATCH_JOB_PRIORITY ? 'batch_submit' : 'submit';
    case 'submits':
      // Payouts posted on their own (a batch run's items never ride together).
      return 'submit';
    case 'polls':
      return 'poll';
    case 'cancel':
      // An operator or client waits for it, like a single payout's submission.
      return 'submit';
    case 'confirm':
    case 'confirm-list':
      return 'confirm';
    default:
      return (job.data as { watch?: boolean } | undefined)?.watch ? 'watch' : 'poll';
  }
}

function dispatch(ctx: HandlerContext, job: Job, carried: CarriedDeps): Promise<JobControl> {
  switch (job.name) {
    case 'submit':
      return handleSubmit(ctx, providerJobs.submit.schema.parse(job.data));
    case 'submits':
      return handleSubmits(ctx, providerJobs.submits.schema.parse(job.data), carried);
    case 'polls':
      return handlePolls(ctx, providerJobs.polls.schema.parse(job.data), carried);
    case 'poll':
      return handlePoll(ctx, providerJobs.poll.schema.parse(job.data));
    case 'confirm':
      return handleConfirm(ctx, providerJobs.confirm.schema.parse(job.data));
    case 'confirm-list':
      return handleConfirmList(ctx, providerJobs['confirm-list'].schema.parse(job.data));
    case 'cancel':
      return handleCancelAtProvider(ctx, providerJobs.cancel.schema.parse(job.data));
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
