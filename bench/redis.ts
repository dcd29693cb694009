/**
 * A Redis queue prefix of its own per measurement, its keys deleted afterwards (and on an interrupt
 * by scripts/bench.ts) — never FLUSHALL: the tests share that Redis.
 */
import { randomBytes } from 'node:crypto';
import { deleteKeysUnder } from '@payouts/testing';
import { Redis } from 'ioredis';

export function resolveRedisUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.REDIS_URL ?? 'redis://127.0.0.1:6379';
}

const livePrefixes = new Set<string>();

/** A queue prefix of its own (hash-tagged like the production one). */
export function benchPrefix(tag: string): string {
  const prefix = `{bench-${tag}-${randomBytes(4).toString('hex')}}`;
  livePrefixes.add(prefix);
  return prefix;
}

export function benchRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, connectionName: 'payouts-bench' });
}

/** Deletes every key under the prefix, and forgets it. */
export async function deletePrefix(redis: Redis, prefix: string): Promise<number> {
  const deleted = await deleteKeysUnder(redis, prefix);
  livePrefixes.delete(prefix);
  return deleted;
}

export async function deleteLeftoverPrefixes(url: string): Promise<void> {
  if (livePrefixes.size === 0) return;
  const redis = benchRedis(url);
  try {
    for (const p of [...livePrefixes]) await deletePrefix(redis, p).catch(() => {});
  } finally {
    redis.disconnect();
  }
}
