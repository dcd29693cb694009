/**
 * The payout state machine (docs/architecture.md#the-state-machine, which lists this table and is
 * checked against it by tests/infra/docs.test.ts). The transition table below is the only place that
 * says which state may follow which; the reconciler checks every change against it.
 * A transition not in the table (a late `processing` after `processed`, a duplicate webhook)
 * is recorded in the payout's history and otherwise ignored.
 */
export const PAYOUT_STATUSES = [
  'pending_approval',
  'scheduled',
  'accepted',
  'reserved',
  'queued',
  'submitted',
  'unknown',
  'processing',
  'processed',
  'needs_attention',
  'failed',
  'rejected',
  'cancelled',
  'reversed',
] as const;
export type PayoutStatus = (typeof PAYOUT_STATUSES)[number];

/**
 * The states a payout is created in: `accepted` (the normal flow starts at once), `scheduled`
 * (it waits for its `scheduled_for`, nothing held, nothing sent, then enters the flow at `accepted`)
 * or `pending_approval` (an approval policy caught it: it waits for approvals, nothing held).
 */
export const INITIAL_STATUSES: readonly PayoutStatus[] = ['pending_approval', 'scheduled', 'accepted'];

/**
 * States after which no further change can happen, with one exception: an operator's replay of a
 * payout failed for a systemic reason (`failed → reserved`, below), which no report can ask for.
 */
export const TERMINAL_STATUSES: ReadonlySet<PayoutStatus> = new Set(['failed', 'rejected', 'cancelled', 'reversed']);

/** States in which the engine has nothing left to do (processed may still be reversed by the bank). */
export const FINAL_STATUSES: ReadonlySet<PayoutStatus> = new Set([...TERMINAL_STATUSES, 'processed']);

/** Why a payout waits in `queued`. */
export const QUEUED_REASONS = ['wallet_low_balance', 'provider_low_balance', 'provider_downtime'] as const;
export type QueuedReason = (typeof QUEUED_REASONS)[number];

export function isQueuedReason(value: unknown): value is QueuedReason {
  return typeof value === 'string' && (QUEUED_REASONS as readonly string[]).includes(value);
}

/** Who caused a transition; kept with every entry of the payout's history. */
export const TRANSITION_SOURCES = ['api', 'reconciler', 'worker', 'webhook', 'sweeper', 'operator'] as const;
export type TransitionSource = (typeof TRANSITION_SOURCES)[number];

// Outcomes a provider can report from any in-flight state. `reversed` is included because a
// poll can miss the short-lived `processed` and see the reversal first: the ledger then posts
// and compensates in one go.
const PROVIDER_OUTCOMES = ['processing', 'processed', 'failed', 'rejected', 'reversed', 'cancelled', 'queued'] as const;

export const TRANSITIONS: Readonly<Record<PayoutStatus, readonly PayoutStatus[]>> = {
  // pending_approval: a tenant's approval policy caught it at creation (nothing held, nothing
  // sent). Enough approvals → accepted (the normal flow), or scheduled when its scheduled_for has not
  // come yet; a rejection, its expiry or a cancel → cancelled.
  pending_approval: ['accepted', 'scheduled', 'cancelled'],
  // scheduled → accepted: its time came (the reconciler's release of due payouts), and it enters
  // the normal flow exactly where a payout accepted by the API does; or the client cancels it first.
  scheduled: ['accepted', 'cancelled'],
  accepted: ['reserved', 'queued', 'failed', 'cancelled'],
  // queued: waiting for the tenant's wallet (→ reserved) or for the provider's float (→ submitted …).
  queued: ['reserved', 'submitted', 'unknown', 'needs_attention', ...PROVIDER_OUTCOMES.filter((s) => s !== 'queued')],
  // reserved → needs_attention: the submission's answer names other terms than ours (provider_mismatch).
  reserved: ['submitted', 'unknown', 'needs_attention', ...PROVIDER_OUTCOMES],
  // submitted | processing → reserved: the provider confirmed this attempt failed for a reason that
  // lets the payout try again (its rail unavailable: rail fallback), so a new provider attempt
  // starts, its hold kept. Never after an unknown outcome: only a confirmed failure leads here.
  submitted: ['reserved', 'unknown', 'needs_attention', ...PROVIDER_OUTCOMES],
  // unknown → reserved: a lookup confirmed the provider never saw it, so it may be submitted again.
  unknown: ['reserved', 'submitted', 'needs_attention', ...PROVIDER_OUTCOMES],
  processing: ['reserved', 'needs_attention', ...PROVIDER_OUTCOMES.filter((s) => s !== 'processing')],
  needs_attention: ['submitted', ...PROVIDER_OUTCOMES],
  processed: ['reversed'],
  // failed → reserved: only an operator's replay of a payout failed for a systemic reason (our
  // credentials or account refused, SYSTEMIC_FAILURE_CODES), once a lookup proved its provider has
  // no record of it; its hold is placed again. No provider report may ask for it (the reconciler
  // refuses one), so a late answer can never bring a failed payout back.
  failed: ['reserved'],
  rejected: [],
  cancelled: [],
  reversed: [],
};

export function canTransition(from: PayoutStatus, to: PayoutStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function isPayoutStatus(value: unknown): value is PayoutStatus {
  return typeof value === 'string' && (PAYOUT_STATUSES as readonly string[]).includes(value);
}

/**
 * A client may cancel only before the provider has the payout (one waiting for approval or for its
 * time included), or while it waits for funds.
 */
export const CLIENT_CANCELLABLE: ReadonlySet<PayoutStatus> = new Set([
  'pending_approval',
  'scheduled',
  'accepted',
  'reserved',
  'queued',
]);
