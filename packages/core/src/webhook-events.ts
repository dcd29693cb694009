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
export type WebhookEventType = PayoutEventType | 'payout.updated' | 'batch.scheduled' | 'batch.completed';

export const WEBHOOK_EVENT_TYPES: readonly WebhookEventType[] = [
  ...PAYOUT_EVENT_STATUSES.map((s) => `payout.${s}` as const),
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
