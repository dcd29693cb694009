import type { ProviderId } from '@payouts/core';
import { type PayoutState, redriveAction } from '@payouts/payouts';
import type { Queue } from 'bullmq';
import { jobIds, type ProviderJobName, type ReconcilerJobName } from './catalog.ts';
import { type CarryingJob, type JobPresence, jobOptions, type Queues } from './queues.ts';

type JobName = ReconcilerJobName | ProviderJobName;

/** What the re-drive needs to know of a payout: its recorded state, from Postgres. */
export interface RedriveTarget extends PayoutState {
  id: string;
  provider: ProviderId;
  providerPayoutId: string | null;
}

/**
 * The job that moves a payout on from its recorded state, or null when no job can (final states,
 * a payout waiting for its wallet): which action is the payout rules' (`redriveAction` in
 * @payouts/payouts); which queue and job id carry it is the queue's.
 */
export function redriveJob(
  p: RedriveTarget,
): { queue: 'reconciler' | ProviderId; name: JobName; jobId: string } | null {
  switch (redriveAction(p)) {
    case 'accept':
      return { queue: 'reconciler', name: 'payout.accepted', jobId: jobIds.accepted(p.id) };
    case 'submit':
      return { queue: p.provider, name: 'submit', jobId: jobIds.submit(p.id) };
    case 'poll':
      return { queue: p.provider, name: 'poll', jobId: jobIds.poll(p.id) };
    case null:
      return null;
  }
}

function dataFor(name: JobName, payoutId: string): Record<string, unknown> {
  return name === 'poll' ? { payoutId, attempt: 0 } : { payoutId };
}

/**
 * Re-drives payouts from their recorded state. A job that is still alive (waiting, delayed,
 * active) is left alone — its id makes the add a no-op; a job that failed for good is removed
 * first, so the re-drive is not swallowed by a dead job holding its id. Safe to run any number
 * of times: every handler is idempotent, and provider calls carry the payout's own key.
 */
export async function redrive(queues: Queues, targets: RedriveTarget[]): Promise<string[]> {
  return addUnlessAlive(
    queues,
    targets.flatMap((t) => {
      const job = redriveJob(t);
      return job ? [{ ...job, payoutId: t.id }] : [];
    }),
  );
}

/**
 * `processed` payouts still inside their reversal watch whose poll chain was lost (a flushed or
 * restarted Redis): their chain is started again, so a reversal at a provider without webhooks is
 * still seen. A payout whose chain is alive is left alone.
 */
export async function redriveReversalWatch(
  queues: Queues,
  targets: { id: string; provider: ProviderId }[],
  options: { priority?: number } = {},
) {
  return addUnlessAlive(
    queues,
    targets.map((t) => ({ queue: t.provider, name: 'poll', jobId: jobIds.poll(t.id), payoutId: t.id })),
    options.priority,
  );
}

async function addUnlessAlive(
  queues: Queues,
  jobs: { queue: 'reconciler' | ProviderId; name: JobName; jobId: string; payoutId: string }[],
  priority?: number,
): Promise<string[]> {
  const driven: string[] = [];
  const byQueue = new Map<Queue, typeof jobs>();
  for (const job of jobs) {
    const queue = job.queue === 'reconciler' ? queues.reconciler : queues.provider(job.queue);
    byQueue.set(queue, [...(byQueue.get(queue) ?? []), job]);
  }
  for (const [queue, queued] of byQueue) {
    const states = await queues.jobStates(
      queue,
      queued.map((j) => j.jobId),
    );
    const carried = await liveCarriers(queues, queue, queued[0]?.queue, queued, states);
    const toAdd = [];
    for (const j of queued) {
      if (carried.has(j.payoutId)) continue; // a live `submits` job carries it: it will move it on
      const state = states.get(j.jobId);
      if (state === 'failed' || state === 'completed') await queue.remove(j.jobId);
      else if (state === 'orphan') await queues.connection.del(`${queues.prefix}:${queue.name}:${j.jobId}`);
      else if (state !== undefined) continue; // alive: it will move the payout on by itself
      toAdd.push({
        name: j.name,
        data: dataFor(j.name, j.payoutId),
        opts: jobOptions(j.name, priority === undefined ? { jobId: j.jobId } : { jobId: j.jobId, priority }),
      });
      driven.push(j.payoutId);
    }
    if (toAdd.length > 0) await queue.addBulk(toAdd);
  }
  return driven;
}

/** The job that may carry a payout in place of each job of its own (see `Queues.submitAll`, `startPolls`). */
const CARRIED_IN: Partial<Record<JobName, CarryingJob>> = { submit: 'submits', poll: 'polls' };

/**
 * The payouts among these that have no job of their own but ride in a live job carrying many
 * (`submits`, `polls`). An index entry whose job is dead or gone is dropped.
 */
async function liveCarriers(
  queues: Queues,
  queue: Queue,
  provider: 'reconciler' | ProviderId | undefined,
  jobs: { name: JobName; payoutId: string; jobId: string }[],
  states: Map<string, JobPresence>,
): Promise<Set<string>> {
  const live = new Set<string>();
  if (!provider || provider === 'reconciler') return live;
  for (const kind of ['submits', 'polls'] as const) {
    const alone = jobs
      .filter((j) => CARRIED_IN[j.name] === kind && states.get(j.jobId) !== 'alive')
      .map((j) => j.payoutId);
    if (alone.length === 0) continue;
    const carriers = await queues.carriers(provider, kind, alone);
    const carrierStates = await queues.jobStates(queue, [...new Set(carriers.values())]);
    const stale: string[] = [];
    for (const [payoutId, jobId] of carriers) {
      if (carrierStates.get(jobId) === 'alive') live.add(payoutId);
      else stale.push(payoutId);
    }
    await queues.dropCarried(provider, kind, stale);
  }
  return live;
}
