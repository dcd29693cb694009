import { type CarryingJob, type JobTrace, jobIds, jobRetry, POLL_JOB_PRIORITY } from '@payouts/queue';
import type { Slots } from '../slots.ts';
import type { HandlerContext, JobControl } from './context.ts';

type Carried = { payoutId: string; providerPayoutId?: string } & JobTrace;

export interface CarriedDeps {
  /** Submits one payout exactly as its own `submit` job would, in the trace of the request that posted it. */
  submitOne(payout: Carried): Promise<JobControl>;
  /** Looks at one payout exactly as the first run of its own `poll` job would, in its request's trace. */
  pollOne(payout: Carried & { attempt: number }): Promise<JobControl>;
  /**
   * The carried payouts worked at once in this process, at most the provider's concurrency of
   * each kind. Apart, so looks waiting for the provider's budget (polls come after submissions
   * there) never hold the places of submissions.
   */
  slots: Record<CarryingJob, Slots>;
  /** Pauses the provider's whole queue for every worker (a 429's `Retry-After`). */
  pauseQueue(delayMs: number): Promise<void>;
}

/**
 * A `submits` job: the payouts of one hold batch posted on their own, each submitted as its own
 * `submit` job would be (`handleSubmit`, unchanged), side by side through the provider's slots.
 */
export function handleSubmits(ctx: HandlerContext, data: { payouts: Carried[] }, deps: CarriedDeps) {
  return handleCarried(ctx, 'submits', data.payouts, deps, (p) => deps.submitOne(p));
}

/** A `polls` job: the first look at payouts sent together, each as its own `poll` job's first run would look. */
export function handlePolls(ctx: HandlerContext, data: { payouts: Carried[] }, deps: CarriedDeps) {
  return handleCarried(ctx, 'polls', data.payouts, deps, (p) => deps.pollOne({ ...p, attempt: 0 }));
}

/**
 * Only what comes after a payout's run differs from a job of its own: a payout that must run again
 * later (parked, the provider's backoff, the next look, a run that threw) goes on as its own job,
 * as it would have had it come alone, so no waiting is done while holding this job. The job
 * completes when every payout is done or handed on; a hand-on that fails (Redis out of reach)
 * fails the job, and its retry runs its payouts again: a submission is claimed in Postgres before
 * the provider is called, and a look only reports what changed.
 */
async function handleCarried(
  ctx: HandlerContext,
  kind: CarryingJob,
  carried: Carried[],
  deps: CarriedDeps,
  runOne: (payout: Carried) => Promise<JobControl>,
): Promise<JobControl> {
  const ids = new Set<string>();
  const payouts = carried.filter((p) => !ids.has(p.payoutId) && ids.add(p.payoutId));
  const outcomes = await Promise.all(
    payouts.map((p) =>
      deps.slots[kind].run(async () => {
        let control: JobControl;
        try {
          control = await runOne(p);
        } catch (error) {
          ctx.logger.warn(
            { err: error, payoutId: p.payoutId, job: kind },
            'a carried payout failed; it goes on as its own job',
          );
          control = { kind: 'retry', reason: error instanceof Error ? error.message : String(error) };
        }
        await handOn(ctx, kind, deps, p, control);
        return control.kind === 'done' ? control.result : `handed_on:${control.kind}`;
      }),
    ),
  );
  // Done with them: a re-drive or an operator's view no longer finds them here.
  await ctx.queues.dropCarried(ctx.adapter.id, kind, [...ids]);
  const counts = new Map<string, number>();
  for (const o of outcomes) counts.set(o, (counts.get(o) ?? 0) + 1);
  return { kind: 'done', result: [...counts].map(([o, n]) => `${o}=${n}`).join(' ') };
}

/** What the payout's own job would have done with this answer, as a job of its own. */
async function handOn(
  ctx: HandlerContext,
  kind: CarryingJob,
  deps: CarriedDeps,
  p: Carried,
  control: JobControl,
): Promise<void> {
  if (control.kind === 'done') return;
  const trace: JobTrace = {
    ...(p.requestId ? { requestId: p.requestId } : {}),
    ...(p.traceparent ? { traceparent: p.traceparent } : {}),
  };
  // The data its own job would carry now: the next look's, or this run's again.
  const own =
    kind === 'submits'
      ? { payoutId: p.payoutId }
      : { payoutId: p.payoutId, attempt: 0, ...(p.providerPayoutId ? { providerPayoutId: p.providerPayoutId } : {}) };
  const alone = (data: object, delayMs: number, attempts?: number) => {
    const delay = Math.max(0, Math.round(delayMs));
    const extra = attempts ? { attempts } : {};
    return kind === 'submits'
      ? ctx.queues.toProvider(
          ctx.adapter.id,
          'submit',
          { ...trace, ...(data as { payoutId: string }) },
          {
            jobId: jobIds.submit(p.payoutId),
            delay,
            ...extra,
          },
        )
      : ctx.queues.toProvider(
          ctx.adapter.id,
          'poll',
          { ...trace, ...(data as { payoutId: string; attempt: number }) },
          {
            jobId: jobIds.poll(p.payoutId),
            delay,
            priority: POLL_JOB_PRIORITY,
            ...extra,
          },
        );
  };
  switch (control.kind) {
    case 'again':
      await alone({ ...own, ...control.data }, control.delayMs);
      return;
    case 'rate_limited':
      await deps.pauseQueue(control.delayMs);
      await alone(own, control.delayMs);
      return;
    case 'retry': {
      // The transport's retry, as BullMQ would have made it: this was the first try, so the
      // payout's own job waits the first backoff and has the tries that are left.
      const { attempts, backoff } = jobRetry(kind === 'submits' ? 'submit' : 'poll');
      await alone(own, backoff.delay * (1 - Math.random() * backoff.jitter), Math.max(1, attempts - 1));
      return;
    }
  }
}
