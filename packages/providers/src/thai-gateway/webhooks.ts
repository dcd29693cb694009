import { headerValue, ProviderError, type ProviderWebhookEvent, parseJsonBody } from '../contract/index.ts';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from './signing.ts';
import { referenceOf, type ThaiGatewayAmountUnit, toPayoutState } from './transformers.ts';
import { webhookEventSchema } from './wire.ts';

/**
 * Verifies a gateway webhook and translates it. The page documents no webhooks; we assume
 * (ASSUMPTIONS.md) they are signed exactly like requests, with the API secret:
 * `X-Signature: sha256=HMAC(secret, "${X-Timestamp}.${rawBody}")`, refused outside a five-minute
 * replay window, and that the body is `{id: "evt_…", type: "withdraw.<status>", createdAt, data}`.
 * The engine de-duplicates on the event id and confirms every event by a lookup before money moves.
 */
export function verifyThaiGatewayWebhook(
  rawBody: Buffer,
  headers: Record<string, string | string[] | undefined>,
  apiSecret: string,
  now: number,
  unit: ThaiGatewayAmountUnit = 'baht',
): ProviderWebhookEvent {
  // Authenticate before reading anything else: an unsigned body is not worth parsing.
  const verdict = verifySignature({
    secret: apiSecret,
    timestamp: headerValue(headers, TIMESTAMP_HEADER),
    signature: headerValue(headers, SIGNATURE_HEADER),
    rawBody,
    now,
  });
  if (!verdict.ok) {
    throw new ProviderError('auth', `webhook refused: ${verdict.reason}`, { providerCode: 'INVALID_SIGNATURE' });
  }

  const parsed = webhookEventSchema.safeParse(parseJsonBody(rawBody.toString('utf8')));
  if (!parsed.success) {
    throw new ProviderError('invalid_request', 'webhook body does not match the assumed Thai gateway event shape', {
      providerCode: 'INVALID_PAYLOAD',
      cause: parsed.error,
    });
  }
  const event = parsed.data;
  return {
    eventId: event.id,
    eventType: event.type,
    providerPayoutId: event.data.id,
    reference: referenceOf(event.data),
    state: toPayoutState(event.data, unit),
  };
}
