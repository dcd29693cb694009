import type { ProviderId } from '@payouts/core';
import { type JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  jobIds,
  type ProviderJobData,
  type ProviderJobName,
  providerJobs,
  providerQueueName,
  RECONCILER_QUEUE,
  type ReconcilerJobData,
  type ReconcilerJobName,
  reconcilerJobs,
} from './catalog.ts';

/**
 * Completed jobs are removed at once and failed ones after a day, so Redis memory stays flat:
 * Postgres keeps the history. Attempts are the transport's retries; the engine's own retry
 * decisions (backoff, unknown outcomes, parking) are made in the handlers.
 */
/** Jobs of batch runs queue behind single payouts' (which carry no priority and so run first). */
export const BATCH_JOB_PRIORITY = 10;

export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  removeOnComplete: true,
  removeOnFail: { age: 24 * 3600, count: 10_000 },
  attempts: 8,
  // Jitter spreads the retries of many jobs that failed together (a provider outage) apart.
  backoff: { type: 'exponential', delay: 500, jitter: 0.5 },
};

export class Queues {
  readonly reconciler: Queue;
  private readonly providers = new Map<ProviderId, Queue>();

  constructor(
    /** Also used for the small pieces of shared state beside the queues (the provider gates). */
    readonly connection: Redis,
    readonly prefix: string,
  ) {
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
    reconcilerJobs[name].parse(data);
    return this.reconciler.add(name, data, opts);
  }

  async toReconcilerBulk<N extends ReconcilerJobName>(
    name: N,
    items: { data: ReconcilerJobData<N>; opts?: JobsOptions }[],
  ) {
    if (items.length === 0) return [];
    return this.reconciler.addBulk(
      items.map((i) => ({ name, data: reconcilerJobs[name].parse(i.data), opts: i.opts })),
    );
  }

  async toProvider<N extends ProviderJobName>(
    provider: ProviderId,
    name: N,
    data: ProviderJobData<N>,
    opts: JobsOptions = {},
  ) {
    providerJobs[name].parse(data);
    return this.provider(provider).add(name, data, opts);
  }

  /**
   * Hands reserved payouts to their providers' queues, one bulk add per provider. Payouts of a
   * batch run get a lower priority: BullMQ runs jobs without a priority first, so a 100,000-row
   * run never holds up a payout posted on its own.
   */
  async submitAll(items: { provider: ProviderId; payoutId: string; batch?: boolean }[]): Promise<void> {
    const byProvider = new Map<ProviderId, typeof items>();
    for (const i of items) byProvider.set(i.provider, [...(byProvider.get(i.provider) ?? []), i]);
    await Promise.all(
      [...byProvider].map(([provider, group]) =>
        this.provider(provider).addBulk(
          group.map((i) => ({
            name: 'submit',
            data: { payoutId: i.payoutId },
            opts: { jobId: jobIds.submit(i.payoutId), ...(i.batch ? { priority: BATCH_JOB_PRIORITY } : {}) },
          })),
        ),
      ),
    );
  }

  /**
   * The state of each of these jobs that exists — `failed`, `completed`, `alive` (waiting, delayed,
   * active), or `zombie` — in one pipelined round trip; a job that does not exist is absent.
   * A zombie is a job hash without a name: what a late write (a worker updating the data of a job
   * whose keys Redis lost) leaves behind. It is in no queue and never runs, yet its id would make
   * every re-add a no-op — so it must be told apart from a live job.
   */
  async jobStates(queue: Queue, ids: string[]): Promise<Map<string, 'alive' | 'failed' | 'completed' | 'zombie'>> {
    const states = new Map<string, 'alive' | 'failed' | 'completed' | 'zombie'>();
    if (ids.length === 0) return states;
    const base = `${this.prefix}:${queue.name}`;
    const pipeline = this.connection.pipeline();
    for (const id of ids) {
      pipeline.hexists(`${base}:${id}`, 'name');
      pipeline.zscore(`${base}:failed`, id);
      pipeline.zscore(`${base}:completed`, id);
      pipeline.exists(`${base}:${id}`);
    }
    const replies = (await pipeline.exec()) ?? [];
    ids.forEach((id, i) => {
      if (replies[i * 4]?.[1] !== 1) {
        if (replies[i * 4 + 3]?.[1] === 1) states.set(id, 'zombie');
        return;
      }
      if (replies[i * 4 + 1]?.[1] !== null) states.set(id, 'failed');
      else if (replies[i * 4 + 2]?.[1] !== null) states.set(id, 'completed');
      else states.set(id, 'alive');
    });
    return states;
  }

  async close(): Promise<void> {
    await Promise.all([this.reconciler.close(), ...[...this.providers.values()].map((q) => q.close())]);
  }
}
