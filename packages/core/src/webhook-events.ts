import { PAYOUT_STATUSES, type PayoutStatus } from './payout-states.ts';

/**
 * Outbound webhook event types (docs/webhooks.md). One `payout.<state>` per state a payout can
 * be in but `accepted`: every target of the transition table, and `scheduled`, a payout's first
 * state when it was created with a `scheduled_for` (sent by the create, since no transition
 * reaches it). `accepted` is never sent: a payout created in it is answered by the POST that
 * created it, and a scheduled payout passes through it in the transaction that also holds its
 * money, so its client hears `payout.reserved` (or `queued`, `failed`) next. `batch.scheduled`
 * when a run is stored with a `scheduled_for`, `batch.completed` when every payout of a batch is
 * final. The API validates `enabled_events` against this list; the reconciler names its events from it.
 */
export const PAYOUT_EVENT_STATUSES = PAYOUT_STATUSES.filter(
  (s): s is Exclude<PayoutStatus, 'accepted'> => s !== 'accepted',
);

export type PayoutEventType = `payout.${Exclude<PayoutStatus, 'accepted'>}`;
/**
 * `payout.updated`: news about a payout after its money moved, without a change of state (a UTR,
 * fees or tax the provider reported after `processed`).
 */
/**
 * Approval decisions (docs/webhooks.md, "Approvals"). `payout.approved` is sent for the move
 * `pending_approval` → `accepted` (a payout enters the normal flow); a rejection or the expiry of
 * the wait cancels the payout and sends `payout.approval_rejected` / `payout.approval_expired`
 * instead of `payout.cancelled`. Not `payout.rejected`: that name is the provider's refusal of a
 * payout (the `rejected` state) and keeps that one meaning. Batches the same, once per run:
 * `batch.pending_approval` when uploaded, then one decision.
 */
export const APPROVAL_EVENT_TYPES = [
  'payout.approved',
  'payout.approval_rejected',
  'payout.approval_expired',
  'batch.pending_approval',
  'batch.approved',
  'batch.approval_rejected',
  'batch.approval_expired',
] as const;
export type ApprovalEventType = (typeof APPROVAL_EVENT_TYPES)[number];

export type WebhookEventType =
  | PayoutEventType
  | ApprovalEventType
  | 'payout.updated'
  | 'batch.scheduled'
  | 'batch.completed';

export const WEBHOOK_EVENT_TYPES: readonly WebhookEventType[] = [
  ...PAYOUT_EVENT_STATUSES.map((s) => `payout.${s}` as const),
  ...APPROVAL_EVENT_TYPES,
  'payout.updated',
  'batch.scheduled',
  'batch.completed',
];

export function payoutEventType(status: Exclude<PayoutStatus, 'accepted'>): PayoutEventType {
  return `payout.${status}`;
}

export function isWebhookEventType(value: unknown): value is WebhookEventType {
  return typeof value === 'string' && (WEBHOOK_EVENT_TYPES as readonly string[]).includes(value);
}
