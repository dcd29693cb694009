import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { expect, test } from 'vitest';
import { signedHeaders } from './sign.ts';

const current = `whsec_${Buffer.from('c'.repeat(32)).toString('base64')}`;
const previous = `whsec_${Buffer.from('p'.repeat(32)).toString('base64')}`;
const other = `whsec_${Buffer.from('o'.repeat(32)).toString('base64')}`;
const body = JSON.stringify({ type: 'payout.processed', timestamp: '2025-01-01T00:00:00.000Z', data: { id: 'po_1' } });

test('signs with the current secret only when no rotation overlaps', () => {
  const headers = signedHeaders('msg_1', body, {
    secret: current,
    previousSecret: null,
    previousSecretExpiresAt: null,
  });
  expect(headers['webhook-id']).toBe('msg_1');
  expect(headers['webhook-signature'].split(' ')).toHaveLength(1);
  expect(new Webhook(current).verify(body, headers)).toEqual(JSON.parse(body));
  expect(() => new Webhook(previous).verify(body, headers)).toThrow(WebhookVerificationError);
});

test('while a rotation overlaps, both secrets verify; after it, only the new one', () => {
  const now = new Date();
  const rotating = {
    secret: current,
    previousSecret: previous,
    previousSecretExpiresAt: new Date(now.getTime() + 60_000),
  };
  const during = signedHeaders('msg_2', body, rotating, now);
  expect(during['webhook-signature'].split(' ')).toHaveLength(2);
  expect(new Webhook(current).verify(body, during)).toEqual(JSON.parse(body));
  expect(new Webhook(previous).verify(body, during)).toEqual(JSON.parse(body));
  expect(() => new Webhook(other).verify(body, during)).toThrow(WebhookVerificationError);

  const after = signedHeaders('msg_2', body, rotating, new Date(now.getTime() + 61_000));
  expect(after['webhook-signature'].split(' ')).toHaveLength(1);
});

test('a changed body or id does not verify', () => {
  const headers = signedHeaders('msg_3', body, {
    secret: current,
    previousSecret: null,
    previousSecretExpiresAt: null,
  });
  expect(() => new Webhook(current).verify(`${body} `, headers)).toThrow(WebhookVerificationError);
  expect(() => new Webhook(current).verify(body, { ...headers, 'webhook-id': 'msg_4' })).toThrow(
    WebhookVerificationError,
  );
});
