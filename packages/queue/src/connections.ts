import { Redis, type RedisOptions } from 'ioredis';

/**
 * Workers block on Redis and must ride out reconnects (`maxRetriesPerRequest: null`, as BullMQ
 * requires); producers in a request path must fail fast instead, so the API can answer 503.
 */
export function createRedis(url: string, role: 'worker' | 'producer', options: RedisOptions = {}): Redis {
  const common: RedisOptions = { connectionName: `payouts-${role}`, ...options };
  if (role === 'worker') return new Redis(url, { ...common, maxRetriesPerRequest: null, enableReadyCheck: false });
  return new Redis(url, { ...common, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000 });
}

/**
 * Warns when Redis may evict keys: an evicted job is a lost job. Recovery from Postgres would
 * still re-drive it, but slowly; production Redis for queues needs `noeviction` (infra/redis.conf).
 */
export async function checkEvictionPolicy(redis: Redis): Promise<string | null> {
  try {
    const reply = (await redis.config('GET', 'maxmemory-policy')) as string[];
    const policy = reply[1] ?? 'unknown';
    return policy === 'noeviction' ? null : policy;
  } catch {
    return null; // CONFIG may be disabled on managed Redis; nothing to check then.
  }
}
