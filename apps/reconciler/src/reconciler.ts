import type { Database } from '@payouts/db';
import { createRegistry, type Logger, type Registry, reconcilerMetrics } from '@payouts/observability';
import type { ProviderAdapter } from '@payouts/providers';
import {
  createRedis,
  type JobTrace,
  type Queues,
  RECONCILER_QUEUE,
  type ReconcilerJobData,
  type ReconcilerJobName,
  reconcilerJobs,
} from '@payouts/queue';
import { type Job, Worker } from 'bullmq';
import { applyEvents, type BatchOutcome, type EventResult, type ReconcilerEvent } from './apply-events.ts';
import { type GroupCommitOptions, GroupCommitter } from './group-commit.ts';
import { recordBatch, registerReconcilerGauges } from './metrics.ts';
import { applyProviderFunding } from './provider-funding.ts';
import { ReconciliationRunner, type ReconciliationSettings } from './reconciliation/runner.ts';
import { type NightlyOptions, scheduleNightly } from './reconciliation/schedule.ts';
import { type ReleaseResult, ScheduledRelease } from './scheduled-release.ts';
import { type RecheckOptions, recheckProcessed, sweep } from './sweeper.ts';
import { DEFAULT_WEBHOOK_DELIVERY, WebhookDeliverer, type WebhookDeliverySettings } from './webhooks/deliverer.ts';

export interface ReconcilerOptions {
  db: Database;
  redisUrl: string;
  prefix: string;
  queues: Queues;
  logger: Logger;
  batch: GroupCommitOptions;
  sweepIntervalMs: number;
  sweepAfterMs: number;
  /** How often due scheduled payouts are looked for (SCHEDULE_RELEASE_INTERVAL_MS); a second by default. */
  releaseIntervalMs?: number;
  /** REVERSAL_WATCH_MS: see SweeperOptions. */
  reversalWatchMs?: number;
  /** The daily re-check of processed payouts at providers without webhooks; off when absent. */
  recheck?: RecheckOptions;
  /** Where this process's metrics go (served on METRICS_PORT by main.ts); a fresh one by default. */
  registry?: Registry;
  /** Outbound webhook delivery (docs/webhooks.md); defaults when absent. */
  webhooks?: WebhookDeliverySettings;
  /** Reconciliation runs (docs/operations.md, "Reconciliation"); none are worked when absent. */
  reconciliation?: {
    adapters: ReadonlyMap<string, ProviderAdapter>;
    ratePerSecond(provider: string): number;
    settings: ReconciliationSettings;
    nightly: NightlyOptions;
  };
}

export interface RunningReconciler {
  registry: Registry;
  /** Stops taking jobs, finishes the batches in flight, then stops webhook delivery and the sweeper. */
  close(deadlineMs?: number): Promise<void>;
  sweepNow(): ReturnType<typeof sweep>;
  /** One pass of the release of due scheduled payouts (see scheduled-release.ts). */
  releaseDueNow(): Promise<ReleaseResult>;
  /** One run of the late-reversal re-check (`now` shifts the clock, for tests). */
  recheckNow(now?: number): ReturnType<typeof recheckProcessed>;
  /** Look for a reconciliation run to work on now (after one was started). */
  nudgeReconciliation(): void;
}

export function startReconciler(o: ReconcilerOptions): RunningReconciler {
  const registry = o.registry ?? createRegistry('reconciler');
  const metrics = reconcilerMetrics(registry);
  registerReconcilerGauges(registry, o.db, o.queues);
  const deliverer = new WebhookDeliverer({
    ...(o.webhooks ?? DEFAULT_WEBHOOK_DELIVERY),
    db: o.db,
    logger: o.logger.child({ component: 'webhooks' }),
  }).start();
  // Where each provider takes its fee decides how a payout is posted (KRAYON_FEE_MODE).
  const feeModes = (provider: string) => o.reconciliation?.adapters.get(provider)?.feeMode ?? 'on_top';
  const committer = new GroupCommitter<ReconcilerEvent, EventResult>(async (events) => {
    const started = performance.now();
    let outcome: BatchOutcome | null = null;
    try {
      outcome = await applyEvents(o.db, events, { feeModes });
      // Committed: its webhook deliveries go out now rather than at the next poll.
      if (outcome.webhookDeliveries > 0) deliverer.nudge();
      // Only after the commit: a submit job for a payout whose hold rolled back would pay unfunded.
      // If this enqueue fails, the jobs fail and are retried; the retry re-enqueues (see accepted()).
      const traces = tracesOf(events);
      await o.queues.submitAll(outcome.submits.map((s) => ({ ...s, trace: traces.get(s.payoutId) })));
      return outcome.results;
    } finally {
      recordBatch(metrics, events.length, (performance.now() - started) / 1000, outcome);
    }
  }, o.batch);

  /** One event through the committer; its line names the request the payout came from. */
  const applyOne = async (event: ReconcilerEvent, job: Job): Promise<EventResult> => {
    const result = await committer.add(event);
    const requestId = 'requestId' in event.data ? event.data.requestId : undefined;
    o.logger.debug({ requestId, job: job.name, jobId: job.id, ...result }, 'reconciler event applied');
    return result;
  };

  const connection = createRedis(o.redisUrl, 'worker');
  const worker = new Worker(
    RECONCILER_QUEUE,
    async (job: Job) => {
      const name = job.name as ReconcilerJobName;
      const entry = reconcilerJobs[name];
      if (!entry) throw new Error(`unknown reconciler job ${job.name}`);
      const data = entry.schema.parse(job.data);
      if (name === 'payouts.accepted') {
        // A batch run's slice, or a group commit's payouts: they go through the committer like
        // single acceptances (and so into one batch), each with its own request's trace when the
        // job has it (a group's payouts came from different requests), else the job's. The job is
        // done when every one is applied, and retried, all of them, if any failed (each is
        // idempotent: a payout already reserved is left as it is).
        const { payoutIds, traces, ...jobTrace } = data as ReconcilerJobData<'payouts.accepted'>;
        await allApplied(
          payoutIds.map((payoutId) => {
            const { requestId, traceparent } = traces?.[payoutId] ?? jobTrace;
            return applyOne({ name: 'payout.accepted', data: { payoutId, requestId, traceparent } }, job);
          }),
        );
        return { outcome: 'applied', payouts: payoutIds.length };
      }
      if (name === 'payout.reports') {
        // A worker's reports, bundled: each goes through the committer as if it came alone, and
        // the job is retried, all of them, if any failed (a report applied twice is recorded as
        // not applied the second time: it changes nothing).
        const { reports } = data as ReconcilerJobData<'payout.reports'>;
        await allApplied(reports.map((r) => committer.add({ name: 'payout.report', data: r })));
        o.logger.debug({ job: name, jobId: job.id, reports: reports.length }, 'reports applied');
        return { outcome: 'applied', reports: reports.length };
      }
      if (name === 'provider.fund') {
        // Our float at a provider: no wallet, no payout, so not part of the payout batches.
        return applyProviderFunding(o.db, data as ReconcilerJobData<'provider.fund'>);
      }
      return applyOne({ name, data } as ReconcilerEvent, job);
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

  const sweepOptions = { sweepAfterMs: o.sweepAfterMs, reversalWatchMs: o.reversalWatchMs };
  let sweeping: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    sweeping = sweep(o.db, o.queues, sweepOptions, o.logger).catch((error) =>
      o.logger.error({ err: error }, 'sweep failed'),
    );
  }, o.sweepIntervalMs);
  timer.unref();
  // Scheduled payouts whose time has come: looked for every second, from Postgres (scheduled-release.ts).
  const release = new ScheduledRelease(o.db, o.queues, { resendAfterMs: o.sweepAfterMs }, o.logger);
  let releasing: Promise<unknown> = Promise.resolve();
  const releaseTimer = setInterval(() => {
    // One pass at a time: a pass that outlasts the interval is not overlapped by the next.
    releasing = releasing.then(() =>
      release.releaseDue().catch((error) => o.logger.error({ err: error }, 'release of due scheduled payouts failed')),
    );
  }, o.releaseIntervalMs ?? 1000);
  releaseTimer.unref();
  const recheck = o.recheck;
  let rechecking: Promise<unknown> = Promise.resolve();
  const recheckTimer =
    recheck && recheck.intervalMs > 0
      ? setInterval(() => {
          rechecking = recheckProcessed(o.db, o.queues, recheck, o.logger).catch((error) =>
            o.logger.error({ err: error }, 'late-reversal re-check failed'),
          );
        }, recheck.intervalMs)
      : null;
  recheckTimer?.unref();
  const recon = o.reconciliation;
  const runner = recon
    ? new ReconciliationRunner(
        {
          db: o.db,
          queues: o.queues,
          adapters: recon.adapters,
          ratePerSecond: recon.ratePerSecond,
          logger: o.logger.child({ component: 'reconciliation' }),
          metrics,
        },
        recon.settings,
      ).start()
    : null;
  const stopNightly = recon ? scheduleNightly(o.db, recon.nightly, o.logger, () => runner?.nudge()) : () => {};

  return {
    registry,
    sweepNow: () => sweep(o.db, o.queues, sweepOptions, o.logger),
    releaseDueNow: () => release.releaseDue(),
    recheckNow: (now?: number) =>
      recheck ? recheckProcessed(o.db, o.queues, recheck, o.logger, now) : Promise.resolve({ rechecked: 0 }),
    nudgeReconciliation: () => runner?.nudge(),
    async close(deadlineMs = 10_000) {
      clearInterval(timer);
      stopNightly();
      // A run stops at its next checkpoint; its lease lapses and any process resumes it.
      await runner?.close();
      clearInterval(releaseTimer);
      if (recheckTimer) clearInterval(recheckTimer);
      // worker.close() waits for active jobs, which wait for their batch: bounded by a deadline so a
      // stuck database cannot hold shutdown forever (unfinished jobs are retried by another process).
      await Promise.race([worker.close(), new Promise((r) => setTimeout(r, deadlineMs).unref())]);
      await committer.drain();
      await deliverer.close(deadlineMs);
      await sweeping;
      await releasing;
      await rechecking;
      connection.disconnect();
    },
  };
}

/**
 * The request id and trace of each payout's event in a batch, handed on to its submit job: the
 * batch runs outside any one job's context, so they are passed explicitly.
 */
function tracesOf(events: ReconcilerEvent[]): Map<string, JobTrace> {
  const traces = new Map<string, JobTrace>();
  for (const e of events) {
    if (!('payoutId' in e.data)) continue;
    const { requestId, traceparent } = e.data;
    if (requestId || traceparent) traces.set(e.data.payoutId, { requestId, traceparent });
  }
  return traces;
}

/** Waits for every event of a job; throws the first failure, so the job is retried, all of it. */
async function allApplied(applied: Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(applied)).find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
}
