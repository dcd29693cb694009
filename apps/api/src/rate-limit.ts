import { createHash } from 'node:crypto';
import type { Logger } from '@payouts/observability';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { HttpProblem } from './problem.ts';

/**
 * Per-API-key rate limits: a token bucket of `burst` requests refilled at `perSecond`, kept in
 * Redis as GCRA (one "theoretical arrival time" per key), so every API instance shares one budget
 * per key. Redis's own clock is used, so instances with skewed clocks still agree. The requests of
 * one key that reach the limiter in the same turn of the event loop share one run of this script
 * (ARGV[3] of them, judged one after the other exactly as separate runs would judge them), so a
 * busy key costs one Redis round trip per turn, not one per request.
 */
const GCRA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local n = tonumber(ARGV[3] or '1')
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local allowed_until = now + burst * interval
local out = {}
local taken = false
for i = 1, n do
  local new_tat = tat + interval
  if new_tat > allowed_until then
    table.insert(out, {0, 0, math.ceil(new_tat - allowed_until), math.ceil(tat - now)})
  else
    tat = new_tat
    taken = true
    table.insert(out, {1, math.floor((allowed_until - new_tat) / interval), 0, math.ceil(new_tat - now)})
  end
end
if taken then
  redis.call('SET', KEYS[1], tostring(tat), 'PX', math.max(1, math.ceil(tat - now)))
end
return out
`;

const GCRA_SHA = createHash('sha1').update(GCRA).digest('hex');

/** The little of ioredis (a server or a cluster) the limiter uses. */
export interface ScriptRunner {
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  evalsha(sha: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
}

export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Milliseconds until a refused request may be retried (0 when allowed). */
  retryAfterMs: number;
  /** Milliseconds until the bucket is full again. */
  resetMs: number;
}

export class RateLimiter {
  private readonly intervalMs: number;

  constructor(
    private readonly redis: ScriptRunner,
    private readonly settings: { perSecond: number; burst: number; prefix: string; timeoutMs?: number },
    private readonly logger: Pick<Logger, 'warn'>,
  ) {
    this.intervalMs = 1000 / settings.perSecond;
  }

  /** Requests of a key waiting for this turn's run of the script. */
  private readonly waiting = new Map<string, ((decision: RateLimitDecision | null) => void)[]>();

  /**
   * Takes one request from the key's bucket. If Redis does not answer (down, or slower than
   * `timeoutMs`), the request is let through with a log line: the limiter protects capacity, it
   * guards no money, and refusing every client because our limiter's store is down would turn a
   * Redis outage into a full API outage (the routes that need Redis answer 503 on their own).
   */
  take(keyId: string): Promise<RateLimitDecision | null> {
    return new Promise((resolve) => {
      const queue = this.waiting.get(keyId);
      if (queue) {
        queue.push(resolve);
        return;
      }
      this.waiting.set(keyId, [resolve]);
      // The end of this turn: the key's other requests of the turn join this one's run.
      setImmediate(() => {
        const all = this.waiting.get(keyId) ?? [];
        this.waiting.delete(keyId);
        void this.run(keyId, all.length).then((decisions) => {
          all.forEach((r, i) => {
            r(decisions?.[i] ?? null);
          });
        });
      });
    });
  }

  /** One run of the script for `n` requests of a key: their decisions in order, or null (fail open). */
  private async run(keyId: string, n: number): Promise<RateLimitDecision[] | null> {
    const { burst, prefix } = this.settings;
    try {
      const args = [`${prefix}:ratelimit:${keyId}`, this.intervalMs, burst, n] as const;
      // By digest (the script is sent only the first time a Redis server sees it).
      const run = this.redis
        .evalsha(GCRA_SHA, 1, ...args)
        .catch((error: Error) =>
          error.message.includes('NOSCRIPT') ? this.redis.eval(GCRA, 1, ...args) : Promise.reject(error),
        );
      const answers = (await withTimeout(run, this.settings.timeoutMs ?? 250)) as [number, number, number, number][];
      return answers.map(([allowed, remaining, retryAfterMs, resetMs]) => ({
        allowed: allowed === 1,
        limit: burst,
        remaining,
        retryAfterMs,
        resetMs,
      }));
    } catch (error) {
      this.logger.warn({ err: error, keyId }, 'rate limiter unavailable: request let through (fail open)');
      return null;
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from Redis within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** After authentication: one bucket per key; `RateLimit-*` headers on every answer, 429 when empty. */
export function rateLimit(limiter: RateLimiter | null): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const keyId = req.principal?.keyId;
    if (!limiter || !keyId) return next();
    const decision = await limiter.take(keyId);
    if (!decision) return next();
    res.setHeader('RateLimit-Limit', String(decision.limit));
    res.setHeader('RateLimit-Remaining', String(decision.remaining));
    res.setHeader('RateLimit-Reset', String(Math.ceil(decision.resetMs / 1000)));
    if (decision.allowed) return next();
    const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
    res.setHeader('Retry-After', String(seconds));
    next(
      new HttpProblem(
        429,
        'rate_limited',
        `Too many requests for this API key: retry after ${seconds} s.`,
        [{ path: 'Authorization', message: 'this key is over its request rate' }],
        { retry_after: seconds },
      ),
    );
  };
}
