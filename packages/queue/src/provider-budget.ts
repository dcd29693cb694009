import { setTimeout as sleep } from 'node:timers/promises';
import type { ProviderId } from '@payouts/core';
import { ProviderError } from '@payouts/providers';
import type { Queue } from 'bullmq';
import type { RedisConnection } from './connections.ts';
import { BATCH_JOB_PRIORITY, POLL_JOB_PRIORITY } from './queues.ts';

/**
 * What a provider call is for, most urgent first: the order in which a provider's budget serves
 * calls that wait for it. A payout posted on its own goes before the items of a batch run, those
 * before confirming webhooks (the provider already did the work: confirming it can wait a little),
 * those before scheduled polls, then the reversal watch (webhooks tell reversals where the
 * provider sends them), and the reconciler's runs last (a list page, a lookup, a balance read: a
 * run can take hours; a payout cannot wait for it).
 */
export const CALL_PRIORITIES = ['submit', 'batch_submit', 'confirm', 'poll', 'watch', 'reconcile'] as const;
export type CallPriority = (typeof CALL_PRIORITIES)[number];

/**
 * One token bucket per provider account, shared by every worker process and the reconciler's runs
 * through Redis: every call to the provider takes a token first. Tokens refill at the provider's configured rate
 * (`<PROVIDER>_RATE_PER_SECOND`) and the bucket holds one (`budgetBurst`), so calls leave at
 * least 1/rate apart and no second ever holds more than `rate` of them as they leave, whatever the
 * number of processes (delivery can still bunch two into one second at the provider: a little
 * headroom under its limit absorbs that, see docs/operations.md).
 *
 * Priority: a caller that finds no token registers itself as waiting, with its priority, for a
 * short while; while a more urgent caller waits, a less urgent one gets no token even when one is
 * there. So a single payout's submission takes the next token although hundreds of batch items
 * wait for one too, and polls wait while submissions are queued (they are only a safety net).
 * No one starves: a caller that has waited `STARVE_MS` is no longer held back by more urgent ones
 * (it still needs a token), so one list call confirming a window of webhooks gets through every
 * few seconds while a 100,000-item run drains.
 *
 * A 429 from the provider (`pause`) empties the bucket and holds it for the `Retry-After`, for
 * every process at once.
 */
const ACQUIRE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local priority = tonumber(ARGV[3])
local member = ARGV[3] .. '|' .. ARGV[4]
local waitTtl = tonumber(ARGV[5])
local keepMs = tonumber(ARGV[6])
local waited = ARGV[8] == '1'
local h = redis.call('HMGET', KEYS[1], 'tokens', 'ts', 'paused_until', 'granted')
local tokens = tonumber(h[1]) or burst
local ts = tonumber(h[2]) or now
local paused = tonumber(h[3]) or 0
local grantedSoFar = tonumber(h[4]) or 0
if now > ts then
  tokens = math.min(burst, tokens + (now - ts) * rate / 1000)
  ts = now
end
-- The callers still waiting (an entry lapses WAITER_TTL_MS after its caller last asked).
local blocked = false
local urgent = false
for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. now, '+inf')) do
  local p = tonumber(string.match(m, '^(%d+)|'))
  if p and p < priority then
    urgent = true
    break
  end
end
if urgent then
  local since = tonumber(redis.call('HGET', KEYS[3], member) or now)
  blocked = now - since < tonumber(ARGV[7])
end
local granted = 0
local wait = 0
if paused > now then
  wait = paused - now
elseif blocked then
  wait = math.max(1, math.ceil(1000 / rate))
elseif tokens >= 1 then
  tokens = tokens - 1
  granted = 1
else
  wait = math.max(1, math.ceil((1 - tokens) * 1000 / rate))
end
if granted == 1 then
  grantedSoFar = grantedSoFar + 1
  -- Only a caller that waited before is in the waiting set: the first try of most calls is granted.
  if waited then
    redis.call('ZREM', KEYS[2], member)
    redis.call('HDEL', KEYS[3], member)
  end
else
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  redis.call('ZADD', KEYS[2], now + waitTtl, member)
  redis.call('HSETNX', KEYS[3], member, now)
  redis.call('PEXPIRE', KEYS[2], keepMs)
  redis.call('PEXPIRE', KEYS[3], keepMs)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', ts, 'rate', ARGV[1], 'granted', grantedSoFar)
redis.call('PEXPIRE', KEYS[1], keepMs)
return {granted, wait}
`;

/** Empties the bucket and holds it until now + ARGV[1] ms (or later, if already held longer). */
const PAUSE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local untilMs = now + tonumber(ARGV[1])
local paused = tonumber(redis.call('HGET', KEYS[1], 'paused_until') or 0)
if untilMs > paused then paused = untilMs end
redis.call('HSET', KEYS[1], 'tokens', '0', 'ts', paused, 'paused_until', paused)
redis.call('HINCRBY', KEYS[1], 'pauses', 1)
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return paused - now
`;

/** Reads the bucket as the acquire script would see it now, without taking anything. */
const READ_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local h = redis.call('HMGET', KEYS[1], 'tokens', 'ts', 'paused_until', 'rate', 'granted', 'pauses')
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
return {now, h[1] or false, h[2] or false, h[3] or false, h[4] or false, h[5] or false, h[6] or false, redis.call('ZRANGE', KEYS[2], 0, -1)}
`;

/**
 * How many tokens the bucket holds: one at the rates providers grant (up to 50/s), so calls leave
 * at least 1/rate apart and no second holds more than `rate` of them as they leave — a bigger bucket would let a quiet spell's tokens go out at once, over the provider's
 * limit for that second. Above 50/s (a sandbox answering at once, a bench), 20 ms worth of calls,
 * so callers are not paced one Redis round trip at a time.
 */
export function budgetBurst(ratePerSecond: number): number {
  return Math.max(1, Math.floor(ratePerSecond / 50));
}
/** How long a waiting caller counts as waiting after its last try (a process that died is forgotten). */
const WAITER_TTL_MS = 2_000;
/** How long a less urgent caller yields to more urgent ones before it competes for tokens as they do. */
const STARVE_MS = 2_000;
/** The bucket's keys go away a day after the last call, so an unused provider leaves nothing. */
const KEEP_MS = 24 * 3600_000;

function budgetKeys(prefix: string, provider: ProviderId): [string, string] {
  // Under the queues' prefix, so on a Redis Cluster these keys share the queues' hash slot.
  return [`${prefix}:budget:${provider}`, `${prefix}:budget:${provider}:waiting`];
}

/** When each waiting caller first asked (for `STARVE_MS`). */
function sinceKey(prefix: string, provider: ProviderId): string {
  return `${prefix}:budget:${provider}:since`;
}

export class BudgetExhaustedError extends Error {
  constructor(readonly waitMs: number) {
    super(`the provider's budget has no token for ${waitMs} ms`);
    this.name = 'BudgetExhaustedError';
  }
}

export interface ProviderBudgetOptions {
  /** Calls per second the provider allows this account (`<PROVIDER>_RATE_PER_SECOND`). */
  ratePerSecond: number;
  /**
   * Past this wait a caller gives up instead of holding its job (a long `Retry-After`): it throws
   * `BudgetExhaustedError`, and its job is tried again later.
   */
  maxWaitMs?: number;
  /** Told how long each call waited for its token (a metric). */
  onWait?: (priority: CallPriority, waitedMs: number) => void;
}

export class ProviderBudget {
  private readonly keys: [string, string, string];
  private readonly maxWaitMs: number;
  private seq = 0;
  private readonly id = `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;

  constructor(
    private readonly redis: RedisConnection,
    prefix: string,
    readonly provider: ProviderId,
    private readonly options: ProviderBudgetOptions,
  ) {
    if (!(options.ratePerSecond > 0)) throw new RangeError('a provider budget needs a rate above 0');
    this.keys = [...budgetKeys(prefix, provider), sinceKey(prefix, provider)];
    this.maxWaitMs = options.maxWaitMs ?? 30_000;
  }

  get ratePerSecond(): number {
    return this.options.ratePerSecond;
  }

  /**
   * One try: a token now, or how long to wait before trying again. `waited`: this caller tried
   * before and was told to wait (so it is in the waiting set, to be taken out once granted).
   */
  async tryTake(priority: CallPriority, waiter: string, waited = true): Promise<{ granted: boolean; waitMs: number }> {
    const [granted, waitMs] = (await this.redis.eval(
      ACQUIRE_SCRIPT,
      3,
      ...this.keys,
      String(this.options.ratePerSecond),
      String(budgetBurst(this.options.ratePerSecond)),
      String(CALL_PRIORITIES.indexOf(priority)),
      waiter,
      String(WAITER_TTL_MS),
      String(KEEP_MS),
      String(STARVE_MS),
      waited ? '1' : '0',
    )) as [number, number];
    return { granted: granted === 1, waitMs: Number(waitMs) };
  }

  /**
   * Waits for a token at this priority. Throws `BudgetExhaustedError` when the wait would pass
   * `maxWaitMs` (a long pause after a 429): nothing was sent, the job is tried again later.
   */
  async take(priority: CallPriority): Promise<void> {
    const waiter = `${this.id}-${this.seq++}`;
    const started = Date.now();
    for (let tries = 0; ; tries++) {
      const { granted, waitMs } = await this.tryTake(priority, waiter, tries > 0);
      if (granted) {
        this.options.onWait?.(priority, Date.now() - started);
        return;
      }
      if (Date.now() - started + waitMs > this.maxWaitMs) throw new BudgetExhaustedError(waitMs);
      // A little jitter, so the callers waiting for the same token do not all ask at the same instant.
      await sleep(Math.min(waitMs, 1_000) + Math.floor(Math.random() * Math.min(15, 1 + waitMs / 4)));
    }
  }

  /** The provider said 429: no calls from any process until `ms` from now. Returns the pause left. */
  async pause(ms: number): Promise<number> {
    return Number(await this.redis.eval(PAUSE_SCRIPT, 1, this.keys[0], String(Math.max(0, ms)), String(KEEP_MS)));
  }
}

/** How long a 429 without `Retry-After` holds a provider's bucket. */
export const DEFAULT_RATE_LIMIT_PAUSE_MS = 1_000;

/**
 * One call to a provider under its budget, wherever it is made (a worker's job, a reconciliation
 * run, an operator's lookup from the API): a token first, at the caller's priority, then the call.
 * A wait past the budget's `maxWaitMs` sends nothing and throws a `rate_limited` ProviderError
 * (code `BUDGET_EXHAUSTED`), which every caller already treats like the provider's own 429; a 429
 * from the provider holds the bucket for every process for its `Retry-After`.
 */
export async function callWithinBudget<T>(
  budget: ProviderBudget,
  priority: CallPriority,
  call: () => Promise<T>,
): Promise<T> {
  try {
    await budget.take(priority);
  } catch (error) {
    if (error instanceof BudgetExhaustedError) {
      throw new ProviderError('rate_limited', error.message, {
        providerCode: 'BUDGET_EXHAUSTED',
        retryAfterMs: error.waitMs,
      });
    }
    throw error;
  }
  try {
    return await call();
  } catch (error) {
    if (error instanceof ProviderError && error.kind === 'rate_limited' && error.httpStatus === 429) {
      await budget.pause(error.retryAfterMs ?? DEFAULT_RATE_LIMIT_PAUSE_MS);
    }
    throw error;
  }
}

export interface ProviderBudgetState {
  provider: ProviderId;
  /** The rate the workers last used (null before any call). */
  ratePerSecond: number | null;
  /** Tokens in the bucket now (at most `budgetBurst(rate)`: one at providers' rates). */
  tokens: number;
  /** Until when calls are held after a 429 (ms since epoch), or null. */
  pausedUntil: number | null;
  /** Calls granted since the bucket was created, and 429 pauses. */
  granted: number;
  pauses: number;
  /** Callers waiting for a token now, by priority. */
  waiting: Record<CallPriority, number>;
}

/** The budget of one provider as every process shares it: for operators, metrics and the admin API. */
export async function readProviderBudget(
  redis: RedisConnection,
  prefix: string,
  provider: ProviderId,
): Promise<ProviderBudgetState> {
  const [now, tokens, ts, pausedUntil, rate, granted, pauses, waiters] = (await redis.eval(
    READ_SCRIPT,
    2,
    ...budgetKeys(prefix, provider),
  )) as [number, string | null, string | null, string | null, string | null, string | null, string | null, string[]];
  const ratePerSecond = rate ? Number(rate) : null;
  const burst = budgetBurst(ratePerSecond ?? 1);
  let available = tokens === null ? burst : Number(tokens);
  if (ratePerSecond && ts !== null && now > Number(ts)) {
    available = Math.min(burst, available + ((now - Number(ts)) * ratePerSecond) / 1000);
  }
  const waiting = Object.fromEntries(CALL_PRIORITIES.map((p) => [p, 0])) as Record<CallPriority, number>;
  for (const member of waiters) {
    const priority = CALL_PRIORITIES[Number(member.split('|')[0])];
    if (priority) waiting[priority]++;
  }
  const paused = pausedUntil === null ? 0 : Number(pausedUntil);
  return {
    provider,
    ratePerSecond,
    tokens: available,
    pausedUntil: paused > now ? paused : null,
    granted: granted === null ? 0 : Number(granted),
    pauses: pauses === null ? 0 : Number(pauses),
    waiting,
  };
}

/**
 * Jobs waiting in a provider's queue by the kind of work their priority says (see queues.ts):
 * submissions of single payouts and webhooks' `confirm` and `confirm-list` jobs carry none, so
 * they count together under `submit`; batch items span a range of priorities (their rows); the
 * reversal watch rides its poll job (counted under `poll`, with the daily re-checks) and only its
 * calls take the budget's last place. BullMQ scores a prioritized job `priority × 2^32 + counter`.
 */
export async function queuedByPriority(
  redis: RedisConnection,
  queue: Queue,
): Promise<Partial<Record<CallPriority, number>>> {
  const key = queue.keys.prioritized as string;
  const score = (priority: number) => priority * 0x100000000;
  const [single, batch, poll] = await Promise.all([
    queue.getCountsPerPriority([0]),
    redis.zcount(key, score(BATCH_JOB_PRIORITY), score(POLL_JOB_PRIORITY) - 1),
    redis.zcount(key, score(POLL_JOB_PRIORITY), '+inf'),
  ]);
  return { submit: single['0'] ?? 0, batch_submit: batch, poll };
}
