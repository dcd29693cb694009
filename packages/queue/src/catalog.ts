import { PAYOUT_STATUSES, PROVIDER_IDS, type ProviderId } from '@payouts/core';
import { z } from 'zod';

/**
 * The job catalog: every job the system runs, its queue and its payload schema. Payloads carry
 * ids and provider facts only — never bank details (docs/architecture.md#principles). Amounts travel as decimal
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
  queuedReason: z.enum(['wallet_low_balance', 'provider_low_balance']).nullable(),
  source: z.enum(['worker', 'webhook', 'sweeper', 'operator']),
  /** When the worker saw it (ms since epoch); kept in the payout's history. */
  observedAt: z.number(),
  ...jobTraceFields,
});
export type ProviderReport = z.infer<typeof providerReportSchema>;

/** Payouts per `payouts.accepted` job: the reconciler's default batch, so one slice fills one batch. */
export const ACCEPTED_SLICE = 500;

export const reconcilerJobs = {
  /** A new payout was stored by the API: place its hold and hand it to its provider. */
  'payout.accepted': z.object({ payoutId: z.string(), ...jobTraceFields }),
  /**
   * A slice of a batch run stored by the API: `payout.accepted` for each of its payouts, applied
   * together. One job per slice instead of one per payout: enqueueing 100k jobs took longer than
   * storing the 100k payouts. The reconciler expands it before anything is applied.
   */
  'payouts.accepted': z.object({
    payoutIds: z.array(z.string()).min(1).max(ACCEPTED_SLICE),
    ...jobTraceFields,
  }),
  /** A worker or webhook learned something about a payout at its provider. */
  'payout.report': providerReportSchema,
  /** A client or operator asks to cancel a payout that the provider does not have yet. */
  'payout.cancel': z.object({
    payoutId: z.string(),
    tenantId: z.string().nullable(),
    source: z.enum(['api', 'operator']),
    actor: z.string(),
    ...jobTraceFields,
  }),
  /** An operator funds a wallet (idempotent on `reference`); queued payouts are then released. */
  'wallet.fund': z.object({
    tenantId: z.string(),
    currency: z.string(),
    amount: minorUnits,
    reference: z.string(),
    actor: z.string(),
    ...jobTraceFields,
  }),
  /** Release payouts queued on a wallet, first in, first out, as far as its balance goes. */
  'wallet.release': z.object({ tenantId: z.string(), currency: z.string() }),
} as const;

export const providerJobs = {
  /** Submit the payout to its provider (after claiming it). */
  submit: z.object({ payoutId: z.string(), ...jobTraceFields }),
  /**
   * Look the payout up at its provider. One poll job per payout (id `poll-<payoutId>`), moved back
   * to delayed after each look with a growing interval, so a re-drive can never start a second chain.
   */
  poll: z.object({
    payoutId: z.string(),
    attempt: z.number().int().nonnegative(),
    /**
     * The provider's id, when the submission learned it: the first polls can run before the
     * reconciler has recorded it, and a lookup by id is far cheaper than one by reference.
     */
    providerPayoutId: z.string().optional(),
    ...jobTraceFields,
  }),
  /**
   * A provider webhook said something about a payout: look it up now and report what the provider
   * answers (a webhook is a hint to look, never a reason to move money by itself).
   */
  confirm: z.object({ payoutId: z.string(), eventId: z.string(), ...jobTraceFields }),
} as const;

export type ReconcilerJobName = keyof typeof reconcilerJobs;
export type ReconcilerJobData<N extends ReconcilerJobName> = z.infer<(typeof reconcilerJobs)[N]>;
export type ProviderJobName = keyof typeof providerJobs;
export type ProviderJobData<N extends ProviderJobName> = z.infer<(typeof providerJobs)[N]>;

export const RECONCILER_QUEUE = 'reconciler';
/** One queue per provider, so each scales and rate-limits alone. */
export function providerQueueName(provider: ProviderId): string {
  return `provider-${provider}`;
}
export const PROVIDER_QUEUES = PROVIDER_IDS.map(providerQueueName);

/** Job ids: a transport optimisation that collapses duplicate enqueues, never the business guard. */
export const jobIds = {
  accepted: (payoutId: string) => `accepted-${payoutId}`,
  acceptedSlice: (batchId: string, slice: number) => `accepted-${batchId}-${slice}`,
  submit: (payoutId: string) => `submit-${payoutId}`,
  poll: (payoutId: string) => `poll-${payoutId}`,
  confirm: (provider: string, eventId: string) => `confirm-${provider}-${eventId.replace(/:/g, '_')}`,
};
