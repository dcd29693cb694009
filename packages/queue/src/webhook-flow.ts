import type { ProviderId } from '@payouts/core';
import { jobIds } from './catalog.ts';
import type { RedisConnection } from './connections.ts';
import type { Queues } from './queues.ts';

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

/**
 * `lastWebhookAt` as a worker process reads it for every submission and look: the value read at
 * most `maxAgeMs` ago is reused. It only sets the pace of polling (a safety net while webhooks
 * flow), so a reading a fraction of a second old decides the same as a fresh one, and a busy
 * worker reads it a few times a second instead of once or twice per payout.
 */
export class WebhookClock {
  private cached: { readAt: number; value: Promise<number | null> } | null = null;

  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix: string,
    private readonly provider: ProviderId,
    private readonly maxAgeMs = 250,
    private readonly now: () => number = Date.now,
  ) {}

  lastWebhookAt(): Promise<number | null> {
    const now = this.now();
    if (this.cached && now - this.cached.readAt < this.maxAgeMs) return this.cached.value;
    const value = lastWebhookAt(this.redis, this.prefix, this.provider);
    this.cached = { readAt: now, value };
    // A failed read is not kept: the next caller asks Redis again.
    value.catch(() => {
      if (this.cached?.value === value) this.cached = null;
    });
    return value;
  }
}

/** The payouts waiting for the provider's next list confirmation, scored by when their webhook came. */
export function confirmWindowKey(prefix: string, provider: ProviderId): string {
  return `${prefix}:confirm:${provider}`;
}

/**
 * The window's one `confirm-list` job, whichever webhook came first; the others find it there (its
 * id is the window's). No job priority: it must not wait for a whole batch run to drain (BullMQ's
 * priorities are strict). Its call takes the budget's `confirm` place.
 */
export async function scheduleConfirmWindow(
  queues: Queues,
  provider: ProviderId,
  windowMs: number,
  now: number,
): Promise<void> {
  const window = Math.floor(now / Math.max(1, windowMs));
  await queues.toProvider(
    provider,
    'confirm-list',
    {},
    { jobId: jobIds.confirmList(provider, window), delay: windowMs },
  );
}

/**
 * The window whose job each process last added, per provider. The job runs `windowMs` after its
 * first add, so until its window has passed it is there (delayed): adding it again would be a
 * no-op that still costs a script run per webhook.
 */
const scheduledWindows = new WeakMap<Queues, Map<ProviderId, number>>();

/**
 * A webhook about a payout at a provider that lists: the payout joins the current window, which
 * one list call confirms when it closes. One command, and the window's job added once per window
 * by each process: the API does this as the webhook arrives (a `confirm` job per webhook cost ~40
 * Redis commands to say the same).
 */
export async function joinConfirmWindow(
  queues: Queues,
  provider: ProviderId,
  payoutId: string,
  windowMs: number,
  now: number,
): Promise<void> {
  await queues.connection.zadd(confirmWindowKey(queues.prefix, provider), now, payoutId);
  const window = Math.floor(now / Math.max(1, windowMs));
  const scheduled = scheduledWindows.get(queues) ?? new Map<ProviderId, number>();
  scheduledWindows.set(queues, scheduled);
  if (scheduled.get(provider) === window) return;
  await scheduleConfirmWindow(queues, provider, windowMs, now);
  scheduled.set(provider, window);
}
