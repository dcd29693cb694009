import {
  constantTimeEqual,
  headerValue,
  hmacSha256Hex,
  ProviderError,
  type ProviderWebhookEvent,
  parseJsonBody,
} from '../contract/index.ts';
import { referenceOf, toPayoutState } from './transformers.ts';
import { webhookEnvelopeSchema } from './wire.ts';

export const SIGNATURE_HEADER = 'x-razorpay-signature';
export const EVENT_ID_HEADER = 'x-razorpay-event-id';

/**
 * Verifies a RazorpayX webhook and translates it. The signature is the hex HMAC-SHA256 of the raw
 * body with the webhook secret, with no timestamp, so replays cannot be refused by age: the engine
 * de-duplicates on the event id and confirms every event by a lookup before money moves.
 * https://razorpay.com/docs/webhooks/validate-test/
 */
export function verifyRazorpayxWebhook(
  rawBody: Buffer,
  headers: Record<string, string | string[] | undefined>,
  webhookSecret: string,
): ProviderWebhookEvent {
  // Authenticate before reading anything else: an unsigned body is not worth parsing.
  const signature = headerValue(headers, SIGNATURE_HEADER);
  if (!signature) {
    throw new ProviderError('auth', `missing ${SIGNATURE_HEADER} header`, { providerCode: 'INVALID_SIGNATURE' });
  }
  if (!constantTimeEqual(signature, hmacSha256Hex(webhookSecret, rawBody))) {
    throw new ProviderError('auth', 'webhook signature does not match', { providerCode: 'INVALID_SIGNATURE' });
  }

  const eventId = headerValue(headers, EVENT_ID_HEADER);
  if (!eventId) {
    throw new ProviderError('invalid_request', `missing ${EVENT_ID_HEADER} header`, {
      providerCode: 'MISSING_EVENT_ID',
    });
  }

  const parsed = webhookEnvelopeSchema.safeParse(parseJsonBody(rawBody.toString('utf8')));
  if (!parsed.success) {
    throw new ProviderError('invalid_request', 'webhook body does not match the RazorpayX event shape', {
      providerCode: 'INVALID_PAYLOAD',
      cause: parsed.error,
    });
  }
  const envelope = parsed.data;

  // Only events carrying a payout entity have a state; `payout.downtime.*` carries a downtime
  // instead (the engine pauses that mode), anything else neither, for the engine to record.
  const payout = envelope.payload.payout?.entity;
  const downtime = envelope.payload['payout.downtime']?.entity;
  const seconds = (value: number | null | undefined) => (value == null ? null : new Date(value * 1000));
  return {
    eventId,
    eventType: envelope.event,
    providerPayoutId: payout?.id ?? null,
    reference: payout ? referenceOf(payout) : null,
    state: payout ? toPayoutState(payout) : null,
    // The event's name says whether it started or ended; the entity's status may be spelt otherwise.
    ...(downtime && envelope.event.startsWith('payout.downtime.')
      ? {
          downtime: {
            id: downtime.id,
            status: envelope.event === 'payout.downtime.resolved' ? ('resolved' as const) : ('started' as const),
            modes: [downtime.mode],
            startsAt: seconds(downtime.begin),
            endsAt: envelope.event === 'payout.downtime.resolved' ? null : seconds(downtime.end),
          },
        }
      : {}),
  };
}
