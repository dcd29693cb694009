import type { ProviderId } from '@payouts/core';
import { jobIds } from './catalog.ts';
import type { Queues } from './queues.ts';
import { type RedriveTarget, redrive } from './redrive.ts';

/**
 * Releases payouts parked on a provider's low float, in the order given (oldest first): each
 * parked submit job waiting out its delay is promoted to run now; one that is gone is re-driven.
 */
export async function releaseParked(queues: Queues, provider: ProviderId, parked: RedriveTarget[]): Promise<number> {
  const queue = queues.provider(provider);
  const missing: RedriveTarget[] = [];
  let released = 0;
  for (const p of parked) {
    const job = await queue.getJob(jobIds.submit(p.id));
    if (job && (await job.isDelayed())) {
      await job.promote();
      released++;
    } else if (!job) {
      missing.push(p);
    }
  }
  released += (await redrive(queues, missing)).length;
  return released;
}
