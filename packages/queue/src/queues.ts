import { AsyncLocalStorage } from 'node:async_hooks';
import type { ProviderId } from '@payouts/core';
import { type JobsOptions, Queue } from 'bullmq';
import {
  type JobTrace,
  jobIds,
  jobRetry,
  type ProviderJobData,
  type ProviderJobName,
  providerJobs,
  providerQueueName,
  RECONCILER_QUEUE,
  type ReconcilerJobData,
  type ReconcilerJobName,
  reconcilerJobs,
  SUBMIT_SLICE,
} from './catalog.ts';
import { assertClusterPrefix, type RedisConnection } from './connections.ts';

/**
 * Job priorities on a provider's queue (BullMQ runs jobs without a priority first, then the lowest
 * number, first in first out within one number): single payouts' submissions, webhooks' `confirm`
 * jobs (which call nobody: they add the payout to the next list window) and the window's one
 * `confirm-list` job (so it never waits for a whole run to drain) carry none; then the items of
 * batch runs, then polls (a poll chain watching for a reversal keeps its poll priority), then the
 * sweeper's daily re-checks. The provider's budget (provider-budget.ts) serves the calls in the
 * same order, the reversal watch's last, so a job that is already running waits behind more urgent
 * ones for its token.
 *
 * Batch items take turns across runs: an item's priority is its row in its run
 * (`batchItemPriority`), so while two tenants' runs drain, the queue serves row 1 of each, then
 * row 2 of each, and so on — one tenant's 100,000-row run never makes another's wait for all of
 * it. A run posted while another is deep into its rows goes first until it is as deep (it has been
 * served least), then they alternate. The reconciler's queue orders the runs' slices the same way.
 */
export const BATCH_JOB_PRIORITY = 10;
/** Rows with a priority of their own: a batch run's largest size; rows past it share the last. */
export const BATCH_RANKED_ROWS = 100_000;
export const POLL_JOB_PRIORITY = BATCH_JOB_PRIORITY + BATCH_RANKED_ROWS + 10;
/** The sweeper's daily re-checks of processed payouts: after everything else. */
export const RECHECK_JOB_PRIORITY = POLL_JOB_PRIORITY + 10;

/** The priority of a batch run's item on its provider's queue, from its row in the run (1-based). */
export function batchItemPriority(row: number | undefined): number {
  const rank = Number.isInteger(row) ? Math.max(0, (row as number) - 1) : 0;
  return BATCH_JOB_PRIORITY + Math.min(rank, BATCH_RANKED_ROWS - 1);
}

/**
 * The priority of a batch run's slice on the reconciler's queue (its index from 0): slice k of
 * every run goes before slice k + 1 of any, so runs posted together are reserved in turns.
 */
export function batchSlicePriority(index: number): number {
  return batchItemPriority(index + 1);
}

/**
 * Completed jobs are removed at once and failed ones after a day, so Redis memory stays flat:
 * Postgres keeps the history. (The jobs the API waits on keep their answer a while: see
 * apps/api/src/reconciler-client.ts.) Retries are each job's own, from the catalog (`jobOptions`).
 */
const DEFAULT_JOB_OPTIONS: JobsOptions = {
  removeOnComplete: true,
  removeOnFail: { age: 24 * 3600, count: 10_000 },
};

/**
 * The options a job is added with: its retry from the catalog, then the caller's own (a job id, a
 * delay, a priority), which win. Every add goes through here, the re-drive's included.
 */
export function jobOptions(name: ReconcilerJobName | ProviderJobName, opts: JobsOptions = {}): JobsOptions {
  const { attempts, backoff } = jobRetry(name);
  return { attempts, backoff: { ...backoff }, ...opts };
}

/**
 * Adds jobs in one round trip: in bulk, or one alone by a plain add (addBulk wraps its adds in
 * MULTI/EXEC, two more commands, which a job alone does not need).
 */
async function addAll(queue: Queue, jobs: { name: string; data: object; opts: JobsOptions }[]) {
  const [only] = jobs;
  if (jobs.length === 1 && only) return [await queue.add(only.name, only.data, only.opts)];
  if (jobs.length === 0) return [];
  return queue.addBulk(jobs);
}

/** One payout's own `submit` job: a batch run's item carries its row's priority. */
function submitJob(i: { payoutId: string; batch?: boolean; batchRow?: number; trace?: JobTrace }) {
  return {
    name: 'submit' as const,
    data: { ...i.trace, payoutId: i.payoutId },
    opts: jobOptions('submit', {
      jobId: jobIds.submit(i.payoutId),
      ...(i.batch ? { priority: batchItemPriority(i.batchRow) } : {}),
    }),
  };
}

/** The jobs that carry many payouts, each standing in for one job of its own per payout. */
export type CarryingJob = 'submits' | 'polls';

export type JobPresence = 'alive' | 'failed' | 'completed' | 'orphan';

/** KEYS: the provider's `carried-submits` index. ARGV: the carrier's id ('' for none), the own-job key prefix, the payout ids. */
const CLAIM_SUBMISSIONS_SCRIPT = `
local free = {}
for i = 3, #ARGV do
  local id = ARGV[i]
  if redis.call('HEXISTS', KEYS[1], id) == 0 and redis.call('EXISTS', ARGV[2] .. id) == 0 then
    if ARGV[1] ~= '' then redis.call('HSET', KEYS[1], id, ARGV[1]) end
    free[#free + 1] = id
  end
end
return free`;

/** KEYS: the job hash, then completed, failed, delayed, prioritized, waiting-children (sorted sets), active, wait, paused (lists). */
const JOB_PRESENCE_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local id = ARGV[1]
if redis.call('ZSCORE', KEYS[2], id) then return 'completed' end
if redis.call('ZSCORE', KEYS[3], id) then return 'failed' end
for i = 4, 6 do
  if redis.call('ZSCORE', KEYS[i], id) then return 'alive' end
end
for i = 7, 9 do
  if redis.call('LPOS', KEYS[i], id) then return 'alive' end
end
return 'orphan'
`;

/**
 * The request (or job) on whose behalf this code runs. The API sets it per request, a worker per
 * job; every job enqueued meanwhile carries it (`jobTraceFields`), so a payout's request id and
 * trace follow it from queue to queue without every call site passing them on.
 */
export const jobContext = new AsyncLocalStorage<JobTrace>();

/** `data` with the trace of the request or job this code runs for, if any (see `jobContext`). */
export function traced<T extends object>(data: T): T {
  const trace = jobContext.getStore();
  if (!trace) return data;
  const extra: JobTrace = {};
  if (trace.requestId) extra.requestId = trace.requestId;
  if (trace.traceparent) extra.traceparent = trace.traceparent;
  return { ...extra, ...data };
}

export class Queues {
  readonly reconciler: Queue;
  private readonly providers = new Map<ProviderId, Queue>();

  constructor(
    /** Also used for the small pieces of shared state beside the queues (the provider gates). */
    readonly connection: RedisConnection,
    readonly prefix: string,
  ) {
    assertClusterPrefix(connection, prefix);
    this.reconciler = new Queue(RECONCILER_QUEUE, { connection, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
  }

  provider(id: ProviderId): Queue {
    let q = this.providers.get(id);
    if (!q) {
      q = new Queue(providerQueueName(id), {
        connection: this.connection,
        prefix: this.prefix,
        defaultJobOptions: DEFAULT_JOB_OPTIONS,
      });
      this.providers.set(id, q);
    }
    return q;
  }

  async toReconciler<N extends ReconcilerJobName>(name: N, data: ReconcilerJobData<N>, opts: JobsOptions = {}) {
    const payload = traced(data);
    reconcilerJobs[name].schema.parse(payload);
    return this.reconciler.add(name, payload, jobOptions(name, opts));
  }

  async toReconcilerBulk<N extends ReconcilerJobName>(
    name: N,
    items: { data: ReconcilerJobData<N>; opts?: JobsOptions }[],
  ) {
    return addAll(
      this.reconciler,
      items.map((i) => ({
        name,
        data: reconcilerJobs[name].schema.parse(traced(i.data)),
        opts: jobOptions(name, i.opts),
      })),
    );
  }

  async toProvider<N extends ProviderJobName>(
    provider: ProviderId,
    name: N,
    data: ProviderJobData<N>,
    opts: JobsOptions = {},
  ) {
    const payload = traced(data);
    providerJobs[name].schema.parse(payload);
    return this.provider(provider).add(name, payload, jobOptions(name, opts));
  }

  /**
   * Hands reserved payouts to their providers' queues, one bulk add per provider. Payouts of a
   * batch run get a lower priority, from their row in the run (`batchItemPriority`): BullMQ runs
   * jobs without a priority first, so a 100,000-row run never holds up a payout posted on its own,
   * and runs draining together take turns.
   */
  async submitAll(
    items: { provider: ProviderId; payoutId: string; batch?: boolean; batchRow?: number; trace?: JobTrace }[],
  ): Promise<void> {
    const byProvider = new Map<ProviderId, typeof items>();
    for (const i of items) byProvider.set(i.provider, [...(byProvider.get(i.provider) ?? []), i]);
    await Promise.all(
      [...byProvider].map(async ([provider, group]) => {
        const jobs: { name: ProviderJobName; data: object; opts: JobsOptions }[] = [];
        // Payouts posted on their own ride together, `SUBMIT_SLICE` to a job, ahead of any batch
        // run's items. Those keep a job each: its priority is the item's row in its run, which is
        // how runs draining together take turns.
        const singles = group.filter((i) => !i.batch);
        for (let at = 0; at < singles.length; at += SUBMIT_SLICE) {
          const slice = singles.slice(at, at + SUBMIT_SLICE);
          const jobId = slice.length === 1 ? '' : jobIds.submits(slice.map((i) => i.payoutId));
          // Only the payouts no live job submits yet: two jobs submitting one payout at once could
          // both reach a provider without idempotent create before either's answer is recorded.
          const free = new Set(
            await this.claimSubmissions(
              provider,
              jobId,
              slice.map((i) => i.payoutId),
            ),
          );
          const kept = slice.filter((i) => free.has(i.payoutId));
          const [first] = kept;
          if (!first) continue;
          if (!jobId) {
            jobs.push(submitJob(first));
          } else {
            const payouts = kept.map((i) => ({ ...i.trace, payoutId: i.payoutId }));
            jobs.push({
              name: 'submits',
              data: providerJobs.submits.schema.parse({ payouts }),
              opts: jobOptions('submits', { jobId }),
            });
          }
        }
        for (const i of group) if (i.batch) jobs.push(submitJob(i));
        return addAll(this.provider(provider), jobs);
      }),
    );
  }

  /**
   * Starts the poll chains of payouts just sent to this provider, their first look `delayMs` from
   * now: `SUBMIT_SLICE` to a `polls` job, a payout alone in its own `poll` chain (a no-op when its
   * chain is already there).
   */
  async startPolls(
    provider: ProviderId,
    items: { payoutId: string; providerPayoutId?: string; trace?: JobTrace }[],
    delayMs: number,
  ): Promise<void> {
    const jobs: { name: ProviderJobName; data: object; opts: JobsOptions }[] = [];
    for (let at = 0; at < items.length; at += SUBMIT_SLICE) {
      const slice = items.slice(at, at + SUBMIT_SLICE).map((i) => ({
        ...i.trace,
        payoutId: i.payoutId,
        ...(i.providerPayoutId ? { providerPayoutId: i.providerPayoutId } : {}),
      }));
      const [first] = slice;
      if (!first) continue;
      jobs.push(
        slice.length === 1
          ? {
              name: 'poll',
              data: providerJobs.poll.schema.parse({ ...first, attempt: 0 }),
              opts: jobOptions('poll', {
                jobId: jobIds.poll(first.payoutId),
                delay: delayMs,
                priority: POLL_JOB_PRIORITY,
              }),
            }
          : {
              name: 'polls',
              data: providerJobs.polls.schema.parse({ payouts: slice }),
              opts: jobOptions('polls', {
                jobId: jobIds.polls(slice.map((i) => i.payoutId)),
                delay: delayMs,
                priority: POLL_JOB_PRIORITY,
              }),
            },
      );
    }
    await this.indexCarried(provider, 'polls', jobs);
    await addAll(this.provider(provider), jobs);
  }

  /**
   * Which job of this kind carries each of these payouts, for those that ride in one: what a
   * re-drive and an operator's view ask when a payout has no job of its own. One hash per provider
   * and kind beside its queue, written before the jobs are added (so a job that exists is always
   * found from its payouts; an entry whose job was never added reads as no job, as it is) and
   * emptied by the job as it completes.
   */
  async carriers(provider: ProviderId, kind: CarryingJob, payoutIds: string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    if (payoutIds.length === 0) return found;
    const ids = await this.connection.hmget(this.carriedKey(provider, kind), ...payoutIds);
    payoutIds.forEach((payoutId, i) => {
      const jobId = ids[i];
      if (jobId) found.set(payoutId, jobId);
    });
    return found;
  }

  /** These payouts no longer ride in a job of this kind (it is done with them, or it is dead). */
  async dropCarried(provider: ProviderId, kind: CarryingJob, payoutIds: string[]): Promise<void> {
    if (payoutIds.length > 0) await this.connection.hdel(this.carriedKey(provider, kind), ...payoutIds);
  }

  /**
   * Of these payouts, those that neither a `submits` job (by the index) nor a job of their own
   * (`submit-<id>`, alive or dead) holds: in one atomic step, which also indexes them to
   * `carrierId` (none: they go to jobs of their own). A payout handed over again while a job still
   * holds it (its acceptance re-driven) is left to that job, as a repeated add of its own job id
   * always was; an index entry whose job died is dropped by the sweeper's re-drive.
   */
  private async claimSubmissions(provider: ProviderId, carrierId: string, payoutIds: string[]): Promise<string[]> {
    const queue = this.provider(provider);
    const free = (await this.connection.eval(
      CLAIM_SUBMISSIONS_SCRIPT,
      1,
      this.carriedKey(provider, 'submits'),
      carrierId,
      `${this.prefix}:${queue.name}:${jobIds.submit('')}`,
      ...payoutIds,
    )) as string[];
    return free;
  }

  private async indexCarried(
    provider: ProviderId,
    kind: CarryingJob,
    jobs: { name: ProviderJobName; data: object; opts: JobsOptions }[],
  ): Promise<void> {
    const carried = jobs.flatMap((j) =>
      j.name === kind
        ? (j.data as { payouts: { payoutId: string }[] }).payouts.map((p) => [p.payoutId, j.opts.jobId])
        : [],
    );
    if (carried.length > 0) await this.connection.hset(this.carriedKey(provider, kind), Object.fromEntries(carried));
  }

  private carriedKey(provider: ProviderId, kind: CarryingJob): string {
    return `${this.prefix}:${providerQueueName(provider)}:carried-${kind}`;
  }

  /**
   * The state of each of these jobs that exists — `failed`, `completed`, `alive` (waiting,
   * prioritized, delayed, active, waiting for children), or `orphan` — in one pipelined round
   * trip; a job that does not exist is absent.
   * An orphan is a job hash that sits in none of the queue's lists: what a late write (a worker
   * updating a job whose keys Redis lost) or a deletion that was not atomic leaves behind. It
   * never runs, yet its id would make every re-add a no-op — so it must be told apart from a live
   * job by where it is listed, not by its hash alone. The sorted sets are checked first; only a
   * job in none of them is searched for in the lists (LPOS), so a long wait list is scanned only
   * for jobs that are not in it anyway or sit in it (singles, which rarely wait long).
   */
  async jobStates(queue: Queue, ids: string[]): Promise<Map<string, JobPresence>> {
    const states = new Map<string, JobPresence>();
    if (ids.length === 0) return states;
    const base = `${this.prefix}:${queue.name}`;
    const lists = ['completed', 'failed', 'delayed', 'prioritized', 'waiting-children', 'active', 'wait', 'paused'];
    const pipeline = this.connection.pipeline();
    for (const id of ids) {
      pipeline.eval(JOB_PRESENCE_SCRIPT, 1 + lists.length, `${base}:${id}`, ...lists.map((l) => `${base}:${l}`), id);
    }
    const replies = (await pipeline.exec()) ?? [];
    ids.forEach((id, i) => {
      const [error, reply] = replies[i] ?? [null, null];
      if (error) throw error;
      if (reply === 'completed' || reply === 'failed' || reply === 'alive' || reply === 'orphan') states.set(id, reply);
    });
    return states;
  }

  async close(): Promise<void> {
    await Promise.all([this.reconciler.close(), ...[...this.providers.values()].map((q) => q.close())]);
  }
}
