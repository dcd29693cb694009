import { createHmac } from 'node:crypto';
import { alphanumericId } from '../common/random.ts';
import type { WebhookEvent } from '../common/webhooks.ts';
import type { ThaiGatewayWithdraw } from './wire.ts';

/*
 * The gateway's page documents no webhooks. Assumed (packages/providers/src/thai-gateway/ASSUMPTIONS.md,
 * and the adapter verifies exactly this): `{id, type: "withdraw.<status>", createdAt, data}`, signed
 * like requests with the API secret — `X-Timestamp` (ms) and `X-Signature: sha256=<hex HMAC of
 * "${timestamp}.${body}">` — delivered at least once, possibly out of order.
 */
export function withdrawEvent(withdraw: ThaiGatewayWithdraw, apiSecret: string, nowMs: number): WebhookEvent {
  const id = alphanumericId('evt_');
  const type = `withdraw.${withdraw.status}`;
  const body = JSON.stringify({
    id,
    type,
    createdAt: new Date(nowMs).toISOString(),
    data: withdraw,
  });
  const timestamp = String(nowMs);
  const signature = createHmac('sha256', apiSecret).update(`${timestamp}.${body}`).digest('hex');
  return {
    id,
    type,
    payoutId: withdraw.id,
    body,
    headers: { 'Content-Type': 'application/json', 'X-Timestamp': timestamp, 'X-Signature': `sha256=${signature}` },
  };
}
