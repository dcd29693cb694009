import type { Cluster, Redis } from 'ioredis';

/**
 * Deletes every key under `prefix` (SCAN + UNLINK), and nothing else: the tests and the bench share
 * one Redis, so FLUSHALL is never an option. SCAN walks one server: on a cluster, each master in
 * turn. Returns how many keys it deleted.
 */
export async function deleteKeysUnder(redis: Redis | Cluster, prefix: string): Promise<number> {
  const servers = redis.isCluster ? (redis as Cluster).nodes('master') : [redis as Redis];
  let deleted = 0;
  for (const server of servers) {
    let cursor = '0';
    do {
      const [next, keys] = await server.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length > 0) deleted += await server.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  }
  return deleted;
}
