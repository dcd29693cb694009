import type { ProviderId } from '@payouts/core';
import { type JobTrace, SUBMIT_SLICE } from './catalog.ts';
import { jobContext, type Queues } from './queues.ts';

interface Start {
  payoutId: string;
  providerPayoutId?: string;
  trace?: JobTrace;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/**
 * Starts a worker process's poll chains in bulk: the payouts sent to one provider within `lingerMs`
 * of the first, with the same first-look delay, start together (`Queues.startPolls`: one `polls`
 * job for up to `SUBMIT_SLICE` of them). Each caller's promise settles when the job that carries
 * its payout is stored in Redis, so a submission job completes only once its payout's polling is
 * safe, as with a chain each; if the add fails, every caller of that flush sees the error and its
 * job is tried again.
 */
export class PollStarts {
  private readonly pending = new Map<
    string,
    { provider: ProviderId; delayMs: number; starts: Start[]; timer: NodeJS.Timeout }
  >();

  constructor(
    private readonly queues: Queues,
    /** How long the first start of a flush waits for others: a few ms, against a job's ~40 Redis commands. */
    private readonly lingerMs = 5,
  ) {}

  start(provider: ProviderId, payout: { payoutId: string; providerPayoutId?: string }, delayMs: number): Promise<void> {
    // The trace of the job that starts it, taken now: the flush runs outside any one job's context.
    const trace = jobContext.getStore();
    return new Promise<void>((resolve, reject) => {
      const key = `${provider}|${delayMs}`;
      let group = this.pending.get(key);
      if (!group) {
        group = { provider, delayMs, starts: [], timer: setTimeout(() => this.flush(key), this.lingerMs) };
        this.pending.set(key, group);
      }
      group.starts.push({ ...payout, ...(trace ? { trace } : {}), resolve, reject });
      if (group.starts.length >= SUBMIT_SLICE) this.flush(key);
    });
  }

  private flush(key: string): void {
    const group = this.pending.get(key);
    if (!group) return;
    this.pending.delete(key);
    clearTimeout(group.timer);
    const added = jobContext.exit(() => this.queues.startPolls(group.provider, group.starts, group.delayMs));
    added.then(
      () => {
        for (const s of group.starts) s.resolve();
      },
      (error: unknown) => {
        for (const s of group.starts) s.reject(error);
      },
    );
  }
}
