import { randomUUID } from 'node:crypto';
import type { Queues, ReconcilerJobData, ReconcilerJobName } from '@payouts/queue';
import { Job, type QueueEvents } from 'bullmq';

/** What the reconciler answers for one event (see apps/reconciler/src/apply-events.ts). */
export interface ReconcilerAnswer {
  outcome: 'applied' | 'unchanged' | 'ignored' | 'refused';
  payoutId?: string;
  status?: string;
  reason?: string;
  funded?: boolean;
  /** wallet.fund: what the reference funded (minor units) and its currency; see apply-events.ts. */
  amount?: string;
  currency?: string;
  released?: number;
}

/**
 * What became of an event the API handed to the reconciler:
 * - `answered`: applied (or refused), with the reconciler's answer;
 * - `finished`: its job is gone from Redis, its answer with it: the outcome is in Postgres (or the
 *   job was lost before it ran, which Postgres also shows);
 * - `pending`: not done within the deadline (the reconciler is slow or not running): the event
 *   stays queued and still runs.
 */
export type ReconcilerReply =
  | { state: 'answered'; answer: ReconcilerAnswer }
  | { state: 'finished' }
  | { state: 'pending' };

type Heard = Exclude<ReconcilerReply, { state: 'pending' }> | { state: 'failed'; reason: string };

/**
 * A completed job the API waits on keeps its answer this long, so a caller that missed its
 * `completed` event can still read it (every other job is removed as it completes).
 */
export const ANSWER_KEPT = { age: 3600, count: 1000 };

/**
 * The API never changes payout state or the ledger itself: a cancel or a funding is an event for
 * the reconciler. For an answer the client can act on, the API waits for it, up to a deadline;
 * past that the event still runs and the client gets `202` with the state as it was.
 *
 * BullMQ's `waitUntilFinished` is not used: it reads the job back after subscribing, and a job
 * completed (and removed) in between made it throw "Missing key" — a 500 for a cancel that was
 * applied. Here the job gets its id before it exists, so its listener is in place before it can
 * complete; and the job's state is also looked at now and then, so an event the listener missed
 * (the QueueEvents stream was not yet being read, or was trimmed) ends the wait too. Callers take
 * the outcome from Postgres, the source of truth, whenever the answer is gone.
 */
export class ReconcilerClient {
  private readonly waiting = new Map<string, (heard: Heard) => void>();

  constructor(
    private readonly queues: Queues,
    events: QueueEvents,
    private readonly timeoutMs = 10_000,
    /** How often the job's state is read while its event has not come. */
    private readonly lookEveryMs = 500,
  ) {
    // One listener each for every waiting call: one per job id would pass EventEmitter's limit.
    events.on('completed', ({ jobId, returnvalue }) =>
      this.waiting.get(jobId)?.({ state: 'answered', answer: returnvalue as unknown as ReconcilerAnswer }),
    );
    events.on('failed', ({ jobId, failedReason }) =>
      this.waiting.get(jobId)?.({ state: 'failed', reason: failedReason }),
    );
  }

  async call<N extends ReconcilerJobName>(name: N, data: ReconcilerJobData<N>): Promise<ReconcilerReply> {
    const jobId = `${name}-${randomUUID()}`;
    let hear: (heard: Heard) => void = () => {};
    const heard = new Promise<Heard>((resolve) => {
      hear = resolve;
    });
    this.waiting.set(jobId, hear);
    try {
      await this.queues.toReconciler(name, data, { jobId, removeOnComplete: ANSWER_KEPT });
      const deadline = Date.now() + this.timeoutMs;
      for (;;) {
        const left = deadline - Date.now();
        if (left <= 0) return { state: 'pending' };
        const news = (await within(heard, Math.min(left, this.lookEveryMs))) ?? (await this.look(jobId));
        if (!news) continue;
        // Attempts exhausted: the transaction rolled back each time, so nothing was applied.
        if (news.state === 'failed') throw new Error(`reconciler job ${jobId} (${name}) failed: ${news.reason}`);
        return news;
      }
    } finally {
      this.waiting.delete(jobId);
    }
  }

  /** The job as Redis has it now: finished (with its answer when still there), or null while it runs. */
  private async look(jobId: string): Promise<Heard | null> {
    const queue = this.queues.reconciler;
    const state = await queue.getJobState(jobId);
    if (state === 'unknown') return { state: 'finished' };
    if (state !== 'completed' && state !== 'failed') return null;
    const job = await Job.fromId(queue, jobId);
    if (!job) return { state: 'finished' };
    return state === 'completed'
      ? { state: 'answered', answer: job.returnvalue as ReconcilerAnswer }
      : { state: 'failed', reason: job.failedReason };
  }
}

/** `promise`'s value if it settles within `ms`, else null. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<null>((resolve) => (timer = setTimeout(resolve, ms, null)))]);
  } finally {
    clearTimeout(timer);
  }
}
