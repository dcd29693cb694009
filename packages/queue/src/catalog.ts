import { createHash } from 'node:crypto';
import { PAYOUT_STATUSES, PROVIDER_IDS, type ProviderId, QUEUED_REASONS } from '@payouts/core';
import { z } from 'zod';

/**
 * The job catalog: every job the system runs, its queue, its payload schema and how the transport
 * retries it. Payloads carry ids and provider facts only — never bank details
 * (docs/architecture.md#principles). Amounts travel as decimal
 * strings of minor units because JSON has no bigint.
 */
const minorUnits = z.string().regex(/^-?\d+$/);

/**
 * Carried along with a payout's jobs, never decided by them: the API request's id (so one id
 * follows a payout through every log line) and its W3C `traceparent` (so a provider call is a span
 * of the request's trace). Optional: the sweeper and operator tooling start work of their own.
 */
export const jobTraceFields = {
  requestId: z.string().max(64).optional(),
  traceparent: z.string().max(128).optional(),
};
export type JobTrace = { requestId?: string; traceparent?: string };

export const providerReportSchema = z.object({
  payoutId: z.string(),
  /** What the provider said, already mapped to our vocabulary by the adapter. */
  outcome: z.enum([...PAYOUT_STATUSES]),
  providerPayoutId: z.string().nullable(),
  rawStatus: z.string().nullable(),
  fees: minorUnits.nullable(),
  tax: minorUnits.nullable(),
  utr: z.string().nullable(),
  failure: z.object({ code: z.string(), message: z.string() }).nullable(),
  queuedReason: z.enum(QUEUED_REASONS).nullable(),
  /**
   * The terms the provider stated in the answer this report comes from (amount, currency, our
   * payout id as echoed, the currency of its fees): the reconciler compares them with the payout
   * before acting. Absent on reports that carry no provider answer, and on jobs queued before it existed.
   */
  stated: z
    .object({
      amount: minorUnits.nullable(),
      currency: z.string().nullable(),
      payoutId: z.string().nullable(),
      feeCurrency: z.string().nullable(),
    })
    .nullable()
    .optional(),
  source: z.enum(['worker', 'webhook', 'sweeper', 'operator']),
  /** When the worker saw it (ms since epoch); kept in the payout's history. */
  observedAt: z.number(),
  /**
   * Set when an operator resolved a payout the provider could not tell about: who, on what
   * evidence. Kept in the payout's (hash-chained) history.
   */
  /**
   * Provider fallback before sending (docs/api.md, "Routing rules"): the worker found `from` unable
   * to take the payout (circuit open, downtime, float short, credentials rejected) before anything
   * was sent, and asks to move it to `to`, the next provider of its route. The reconciler checks
   * under the payout's lock that it is still unsent and at `from`.
   */
  reroute: z
    .object({
      from: z.enum(PROVIDER_IDS),
      to: z.enum(PROVIDER_IDS),
      reason: z.enum(['circuit_open', 'provider_downtime', 'provider_low_balance', 'credentials_rejected']),
    })
    .optional(),
  resolution: z
    .object({
      actor: z.string(),
      evidence: z.object({ utr: z.string().optional(), statement_line: z.string().optional() }),
      note: z.string().optional(),
      provider: z.string(),
    })
    .optional(),
  ...jobTraceFields,
});
export type ProviderReport = z.infer<typeof providerReportSchema>;

/**
 * How BullMQ retries a job whose handler threw (Postgres or Redis out of reach, a serialization
 * failure, a crash mid-job): tries in all, the first included, spaced by an exponential backoff.
 * A job that runs out of tries fails and stays failed until the sweeper or an operator re-drives
 * the payout from its recorded state. These are the transport's retries only: the engine's own
 * decisions (a provider's backoff, an unknown outcome, parking) are made in the handlers.
 * No timeout is carried: BullMQ's job options have none (a provider call's deadline is its HTTP
 * client's `timeoutMs`).
 */
export interface JobRetry {
  readonly attempts: number;
  readonly backoff: { readonly type: 'exponential'; readonly delay: number; readonly jitter: number };
}

/**
 * The retry every job has today: eight tries, the waits doubling from 0.5 s (about a minute in
 * all), with jitter to spread apart the retries of many jobs that failed together (a provider
 * outage). Each job below names its retry, so a new job chooses one rather than inheriting it.
 */
const TRANSPORT_RETRY: JobRetry = { attempts: 8, backoff: { type: 'exponential', delay: 500, jitter: 0.5 } };

/** Reports per `payout.reports` job at most (see ReportBatcher). */
export const REPORT_SLICE = 200;

/** Payouts per `submits` or `polls` job at most: fewer jobs, while each still completes within a few calls' time. */
export const SUBMIT_SLICE = 50;

/** Payouts per `payouts.accepted` job: the reconciler's default batch, so one slice fills one batch. */
export const ACCEPTED_SLICE = 500;

export const reconcilerJobs = {
  /** A new payout was stored by the API: place its hold and hand it to its provider. */
  'payout.accepted': { schema: z.object({ payoutId: z.string(), ...jobTraceFields }), retry: TRANSPORT_RETRY },
  /**
   * `payout.accepted` for each of its payouts, applied together: a slice of a batch run stored by
   * the API, of scheduled payouts that are due (released by the reconciler), or the payouts of one
   * group commit of `POST /v1/payouts`. One job per slice or group instead of one per payout:
   * enqueueing 100k jobs took longer than storing the 100k payouts, and a job costs about forty
   * Redis commands whatever it carries. The reconciler expands it before anything is applied.
   */
  'payouts.accepted': {
    schema: z.object({
      payoutIds: z.array(z.string()).min(1).max(ACCEPTED_SLICE),
      /**
       * Each payout's own request id and trace, by payout id, when its payouts came from different
       * requests (a group commit); a payout absent here carries the job's own (a batch's request).
       * Absent on jobs queued before it existed.
       */
      traces: z.record(z.string(), z.object(jobTraceFields)).optional(),
      ...jobTraceFields,
    }),
    retry: TRANSPORT_RETRY,
  },
  /** A worker or webhook learned something about a payout at its provider. */
  'payout.report': { schema: providerReportSchema, retry: TRANSPORT_RETRY },
  /**
   * Reports a worker process made within a few milliseconds of each other (its jobs' submissions
   * and looks), carried by one job instead of one each: a job costs about forty Redis commands
   * (add, move to active, completion, their event-stream entries), a report a few hundred bytes.
   * The reconciler applies each like a `payout.report` (each carries its own trace).
   */
  'payout.reports': {
    schema: z.object({ reports: z.array(providerReportSchema).min(1).max(REPORT_SLICE) }),
    retry: TRANSPORT_RETRY,
  },
  /** A client or operator asks to cancel a payout that the provider does not have yet. */
  'payout.cancel': {
    schema: z.object({
      payoutId: z.string(),
      tenantId: z.string().nullable(),
      source: z.enum(['api', 'operator']),
      actor: z.string(),
      /** The label of the client's key, so the history names who cancelled (absent for operators). */
      actorLabel: z.string().nullable().optional(),
      ...jobTraceFields,
    }),
    retry: TRANSPORT_RETRY,
  },
  /**
   * An operator replays a payout failed for a systemic reason, once its provider confirmed it has
   * no record of it: the reconciler holds its money again and hands it to its provider with the
   * same idempotency key, if the payout is still failed with `failureCode` and the wallet covers it.
   */
  'payout.replay': {
    schema: z.object({
      payoutId: z.string(),
      /** The failure code the API judged systemic: the replay applies only while the payout still has it. */
      failureCode: z.string(),
      actor: z.string(),
      /** What the provider answered to the lookup that proved it has no record (kept in the history). */
      lookup: z.string(),
      ...jobTraceFields,
    }),
    retry: TRANSPORT_RETRY,
  },
  /** An operator funds a wallet (idempotent on `reference`); queued payouts are then released. */
  'wallet.fund': {
    schema: z.object({
      tenantId: z.string(),
      currency: z.string(),
      amount: minorUnits,
      reference: z.string(),
      actor: z.string(),
      ...jobTraceFields,
    }),
    retry: TRANSPORT_RETRY,
  },
  /**
   * An operator sent money to a provider (our float there): external → provider float, idempotent
   * on `reference`. Applied on its own, outside the payout batches: it touches no wallet and no payout.
   */
  'provider.fund': {
    schema: z.object({
      provider: z.enum(PROVIDER_IDS),
      currency: z.string(),
      amount: minorUnits,
      reference: z.string(),
      actor: z.string(),
      ...jobTraceFields,
    }),
    retry: TRANSPORT_RETRY,
  },
  /** Release payouts queued on a wallet, first in, first out, as far as its balance goes. */
  'wallet.release': { schema: z.object({ tenantId: z.string(), currency: z.string() }), retry: TRANSPORT_RETRY },
} as const;

export const providerJobs = {
  /** Submit the payout to its provider (after claiming it). */
  submit: { schema: z.object({ payoutId: z.string(), ...jobTraceFields }), retry: TRANSPORT_RETRY },
  /**
   * Submit several payouts posted on their own (not items of a batch run) that one hold batch
   * reserved for this provider: one job for up to `SUBMIT_SLICE` of them instead of one each, as
   * a job costs about forty Redis commands whatever it carries (id `submits-<first payoutId>-<digest of the set>`).
   * The worker submits each as a `submit` job would, at most its concurrency at a time; a payout
   * that must wait (parked, a provider's backoff) or whose submission threw goes on alone as its
   * own `submit` job, with the tries this one had left. The job completes once each of its payouts
   * is submitted or handed on; if a hand-on fails, the whole job is tried again, which is safe
   * because a submission is claimed in Postgres before the provider is called.
   */
  submits: {
    schema: z.object({
      payouts: z
        .array(z.object({ payoutId: z.string(), ...jobTraceFields }))
        .min(1)
        .max(SUBMIT_SLICE),
    }),
    retry: TRANSPORT_RETRY,
  },
  /**
   * Look the payout up at its provider. One poll job per payout (id `poll-<payoutId>`), moved back
   * to delayed after each look with a growing interval, so a re-drive can never start a second chain.
   */
  poll: {
    schema: z.object({
      payoutId: z.string(),
      attempt: z.number().int().nonnegative(),
      /**
       * The provider's id, when the submission learned it: the first polls can run before the
       * reconciler has recorded it, and a lookup by id is far cheaper than one by reference.
       */
      providerPayoutId: z.string().optional(),
      /** Set once the payout is processed and the chain only watches for a reversal (lowest priority). */
      watch: z.boolean().optional(),
      ...jobTraceFields,
    }),
    retry: TRANSPORT_RETRY,
  },
  /**
   * The first look of several payouts whose poll chains start together (`PollStarts`): one job
   * instead of a chain each, `SUBMIT_SLICE` at most (id `polls-<first payoutId>-<digest of the set>`). The worker looks
   * at each as its `poll` job would; a payout that needs another look goes on in a chain of its
   * own (`poll-<payoutId>`), so only the first look rides together, and most payouts of a provider
   * that answers fast need no other. The job completes once each payout is looked at and, where
   * needed, handed on; a hand-on that fails fails the job, and its retry looks again.
   */
  polls: {
    schema: z.object({
      payouts: z
        .array(
          z.object({
            payoutId: z.string(),
            providerPayoutId: z.string().optional(),
            ...jobTraceFields,
          }),
        )
        .min(1)
        .max(SUBMIT_SLICE),
    }),
    retry: TRANSPORT_RETRY,
  },
  /**
   * A provider webhook said something about a payout: look it up now and report what the provider
   * answers (a webhook is a hint to look, never a reason to move money by itself).
   */
  confirm: {
    schema: z.object({
      payoutId: z.string(),
      eventId: z.string(),
      /** What the webhook claims (unverified): a claim we already recorded needs no confirmation. */
      claimed: z.enum([...PAYOUT_STATUSES]).optional(),
      ...jobTraceFields,
    }),
    retry: TRANSPORT_RETRY,
  },
  /**
   * Confirms, with the provider's list of payouts, the webhooks that arrived over a short window
   * for a provider that lists (capability `list`): one list call (paged by 100) instead of one
   * lookup per webhook. The payouts waiting for it are in Redis (`confirm` jobs add them); one
   * such job per window (id `confirm-list-<provider>-<window>`).
   */
  'confirm-list': { schema: z.object({ ...jobTraceFields }), retry: TRANSPORT_RETRY },
  /**
   * A cancel asked for a payout queued at the provider itself (RazorpayX's own low-balance
   * queue): call the provider's cancel and report what it answers, which decides the state.
   */
  cancel: { schema: z.object({ payoutId: z.string(), ...jobTraceFields }), retry: TRANSPORT_RETRY },
} as const;

export type ReconcilerJobName = keyof typeof reconcilerJobs;
export type ReconcilerJobData<N extends ReconcilerJobName> = z.infer<(typeof reconcilerJobs)[N]['schema']>;
export type ProviderJobName = keyof typeof providerJobs;
export type ProviderJobData<N extends ProviderJobName> = z.infer<(typeof providerJobs)[N]['schema']>;

function isReconcilerJob(name: string): name is ReconcilerJobName {
  return Object.hasOwn(reconcilerJobs, name);
}

/** A job's retry, by its name (the reconciler's and the providers' job names do not overlap). */
export function jobRetry(name: ReconcilerJobName | ProviderJobName): JobRetry {
  return isReconcilerJob(name) ? reconcilerJobs[name].retry : providerJobs[name].retry;
}

export const RECONCILER_QUEUE = 'reconciler';
/** One queue per provider, so each scales and rate-limits alone. */
export function providerQueueName(provider: ProviderId): string {
  return `provider-${provider}`;
}
export const PROVIDER_QUEUES = PROVIDER_IDS.map(providerQueueName);

/** A short name for a set of payout ids, whatever their order. */
function setDigest(payoutIds: readonly string[]): string {
  return createHash('sha256')
    .update([...payoutIds].sort().join(' '))
    .digest('hex')
    .slice(0, 16);
}

/** Job ids: a transport optimisation that collapses duplicate enqueues, never the business guard. */
export const jobIds = {
  accepted: (payoutId: string) => `accepted-${payoutId}`,
  acceptedSlice: (batchId: string, slice: number) => `accepted-${batchId}-${slice}`,
  /** The payouts of one group commit of `POST /v1/payouts`, named by the group's first payout. */
  acceptedGroup: (firstPayoutId: string) => `accepted-group-${firstPayoutId}`,
  /** A slice of a run whose approval was decided (approved, rejected): `payouts.accepted` applies it. */
  decidedSlice: (batchId: string, slice: number) => `decided-${batchId}-${slice}`,
  submit: (payoutId: string) => `submit-${payoutId}`,
  /**
   * The payouts of one hold batch posted on their own: named by the first and by the set, so a
   * repeated hand-over of the same payouts collapses into one job, while another set that happens
   * to start with the same payout (a payout handed over twice, in two batches) is a job of its own.
   */
  submits: (payoutIds: readonly string[]) => `submits-${payoutIds[0]}-${setDigest(payoutIds)}`,
  poll: (payoutId: string) => `poll-${payoutId}`,
  /** The first looks of payouts whose chains started together, named like `submits`. */
  polls: (payoutIds: readonly string[]) => `polls-${payoutIds[0]}-${setDigest(payoutIds)}`,
  confirm: (provider: string, eventId: string) => `confirm-${provider}-${eventId.replace(/:/g, '_')}`,
  confirmList: (provider: string, window: number) => `confirm-list-${provider}-${window}`,
  cancel: (payoutId: string) => `cancel-${payoutId}`,
};
