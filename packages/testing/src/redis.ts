import type { Socket } from 'node:net';
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

/**
 * How many writes reach the sockets' handles (one `_write` or one `_writev` each) while `fn` runs:
 * what a Redis connection's commands cost in system calls.
 */
export async function socketWrites(sockets: Socket[], fn: () => Promise<unknown>): Promise<number> {
  let writes = 0;
  const restore = sockets.map((socket) => {
    const internals = socket as unknown as { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void };
    const { _write, _writev } = internals;
    internals._write = function (this: Socket, ...a: unknown[]) {
      writes++;
      return _write.apply(this, a);
    };
    internals._writev = function (this: Socket, ...a: unknown[]) {
      writes++;
      return _writev.apply(this, a);
    };
    return () => {
      internals._write = _write;
      internals._writev = _writev;
    };
  });
  try {
    await fn();
  } finally {
    for (const r of restore) r();
  }
  return writes;
}
