import type { Queues, ReconcilerJobData, ReconcilerJobName } from '@payouts/queue';
import type { QueueEvents } from 'bullmq';

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
 * The API never changes payout state or the ledger itself: a cancel or a funding is an event for
 * the reconciler. For an answer the client can act on, the API waits for it, up to a deadline;
 * past that the event still runs and the client gets `202` with the state as it was.
 */
export class ReconcilerClient {
  constructor(
    private readonly queues: Queues,
    private readonly events: QueueEvents,
    private readonly timeoutMs = 10_000,
  ) {}

  async call<N extends ReconcilerJobName>(name: N, data: ReconcilerJobData<N>): Promise<ReconcilerAnswer | null> {
    const job = await this.queues.toReconciler(name, data);
    try {
      return (await job.waitUntilFinished(this.events, this.timeoutMs)) as ReconcilerAnswer;
    } catch (error) {
      if (error instanceof Error && /timed out/i.test(error.message)) return null;
      throw error;
    }
  }
}
