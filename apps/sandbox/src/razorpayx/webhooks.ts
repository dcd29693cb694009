import { createHmac } from 'node:crypto';
import { alphanumericId } from '../common/random.ts';
import type { WebhookEvent } from '../common/webhooks.ts';
import type { PayoutStatus, RazorpayXPayout } from './wire.ts';

/*
 * RazorpayX's payout webhooks, as its public docs describe them: a JSON event naming the payout's
 * new state, signed with the webhook secret as hex HMAC-SHA256 of the raw body, with no timestamp;
 * receivers deduplicate on `X-Razorpay-Event-Id`. Delivered at least once and possibly out of order.
 */

const SIGNATURE_HEADER = 'X-Razorpay-Signature';
const EVENT_ID_HEADER = 'X-Razorpay-Event-Id';
/** The merchant account id events name; the sandbox has one account. */
export const WEBHOOK_ACCOUNT_ID = 'acc_sandbox';

export type RazorpayXEventType =
  | 'payout.pending'
  | 'payout.rejected'
  | 'payout.queued'
  | 'payout.initiated'
  | 'payout.processed'
  | 'payout.updated'
  | 'payout.reversed'
  | 'payout.failed';

/**
 * The event each state the simulator reaches sends. `cancelled` has none: RazorpayX documents
 * no `payout.cancelled`. The UTR is set together with `processed`, so no `payout.updated` follows.
 */
export const EVENT_FOR_STATUS: Readonly<Record<PayoutStatus, RazorpayXEventType | null>> = {
  queued: 'payout.queued',
  processing: 'payout.initiated',
  processed: 'payout.processed',
  failed: 'payout.failed',
  reversed: 'payout.reversed',
  cancelled: null,
};

export interface RazorpayXEventBody {
  readonly entity: 'event';
  readonly account_id: string;
  readonly event: RazorpayXEventType;
  readonly contains: readonly ['payout'];
  readonly payload: { readonly payout: { readonly entity: RazorpayXPayout } };
  /** Unix seconds. */
  readonly created_at: number;
}

/** Hex HMAC-SHA256 of the exact body string: what a receiver recomputes to verify. */
export function signWebhook(body: string, secret: string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/** `payout` is the entity exactly as `GET /v1/payouts/:id` returns it at the moment of the change. */
export function payoutEvent(
  type: RazorpayXEventType,
  payout: RazorpayXPayout,
  secret: string,
  nowMs: number,
): WebhookEvent {
  const event: RazorpayXEventBody = {
    entity: 'event',
    account_id: WEBHOOK_ACCOUNT_ID,
    event: type,
    contains: ['payout'],
    payload: { payout: { entity: payout } },
    created_at: Math.floor(nowMs / 1000),
  };
  const body = JSON.stringify(event);
  const id = alphanumericId('evt_');
  return {
    id,
    type,
    payoutId: payout.id,
    body,
    headers: {
      'Content-Type': 'application/json',
      [EVENT_ID_HEADER]: id,
      [SIGNATURE_HEADER]: signWebhook(body, secret),
    },
  };
}

/**
 * A RazorpayX downtime on one mode (`IMPS`, `NEFT`, …), as `payout.downtime.started|resolved`
 * carries it: `payload["payout.downtime"].entity`. RazorpayX documents the events but not the
 * entity in full; the sandbox sends `{id, entity, mode, status, begin, end}` (Unix seconds; `end`
 * null while it is not known).
 */
export interface RazorpayXDowntime {
  readonly id: string;
  readonly entity: 'payout.downtime';
  readonly mode: string;
  readonly status: 'started' | 'resolved';
  readonly begin: number;
  readonly end: number | null;
}

export function downtimeEvent(downtime: RazorpayXDowntime, secret: string, nowMs: number): WebhookEvent {
  const type = `payout.downtime.${downtime.status}`;
  const body = JSON.stringify({
    entity: 'event',
    account_id: WEBHOOK_ACCOUNT_ID,
    event: type,
    contains: ['payout.downtime'],
    payload: { 'payout.downtime': { entity: downtime } },
    created_at: Math.floor(nowMs / 1000),
  });
  const id = alphanumericId('evt_');
  return {
    id,
    type,
    payoutId: null,
    body,
    headers: {
      'Content-Type': 'application/json',
      [EVENT_ID_HEADER]: id,
      [SIGNATURE_HEADER]: signWebhook(body, secret),
    },
  };
}
