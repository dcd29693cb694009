import { Webhook } from 'standardwebhooks';

/** The secrets an endpoint signs with: during a rotation, the previous one too until it expires. */
export interface SigningSecrets {
  secret: string;
  previousSecret: string | null;
  previousSecretExpiresAt: Date | null;
}

/**
 * Standard Webhooks headers (https://www.standardwebhooks.com): `webhook-id` is the event's id,
 * the same on every attempt so receivers can deduplicate; `webhook-timestamp` is this attempt's
 * time, which receivers check against a tolerance to refuse replays; `webhook-signature` holds a
 * `v1,<base64 HMAC-SHA256>` of `id.timestamp.body` per live secret, space-separated, so a receiver
 * still holding the previous secret verifies too while a rotation overlaps.
 */
export function signedHeaders(
  eventId: string,
  body: string,
  secrets: SigningSecrets,
  now: Date = new Date(),
): { 'webhook-id': string; 'webhook-timestamp': string; 'webhook-signature': string } {
  const signatures = [new Webhook(secrets.secret).sign(eventId, now, body)];
  if (secrets.previousSecret && secrets.previousSecretExpiresAt && secrets.previousSecretExpiresAt > now) {
    signatures.push(new Webhook(secrets.previousSecret).sign(eventId, now, body));
  }
  return {
    'webhook-id': eventId,
    'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
    'webhook-signature': signatures.join(' '),
  };
}
