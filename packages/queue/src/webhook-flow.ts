import type { ProviderId } from '@payouts/core';
import type { RedisConnection } from './connections.ts';

/**
 * When a provider's webhooks last arrived, shared through Redis by the API (which receives them)
 * and every worker (which polls less while they flow: polling is the safety net). A lost key only
 * means "quiet": polling goes back to its normal pace, which is the safe side.
 */
function key(prefix: string, provider: ProviderId): string {
  return `${prefix}:webhooks:${provider}:last`;
}

/** Kept a day after the last webhook: older than any quiet period anyone configures. */
const KEEP_SECONDS = 24 * 3600;

export async function recordWebhookArrival(
  redis: RedisConnection,
  prefix: string,
  provider: ProviderId,
  at: number = Date.now(),
): Promise<void> {
  await redis.set(key(prefix, provider), String(at), 'EX', KEEP_SECONDS);
}

/** When the provider's last webhook arrived (ms since epoch), or null if none for a day. */
export async function lastWebhookAt(
  redis: RedisConnection,
  prefix: string,
  provider: ProviderId,
): Promise<number | null> {
  const value = await redis.get(key(prefix, provider));
  return value === null ? null : Number(value);
}
