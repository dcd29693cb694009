import { parseRedisUrl } from '@payouts/config';
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';

/** One Redis server or a Redis Cluster: BullMQ and every piece of our own state take either. */
export type RedisConnection = Redis | Cluster;

export function isCluster(connection: RedisConnection): connection is Cluster {
  return connection instanceof Cluster;
}

/**
 * Workers block on Redis and must ride out reconnects (`maxRetriesPerRequest: null`, as BullMQ
 * requires); producers in a request path must fail fast instead, so the API can answer 503.
 * `url` is `REDIS_URL` as @payouts/config parses it: a `redis+cluster://host:port,…` URL gives an
 * ioredis Cluster with the same per-role settings on each node's connection.
 */
export function createRedis(url: string, role: 'worker' | 'producer', options: RedisOptions = {}): RedisConnection {
  const common: RedisOptions = { connectionName: `payouts-${role}`, ...options };
  const perRole: RedisOptions =
    role === 'worker'
      ? { maxRetriesPerRequest: null, enableReadyCheck: false }
      : { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000 };
  const target = parseRedisUrl(url);
  if (target.mode === 'standalone') return coalescingWrites(new Redis(url, { ...common, ...perRole }));

  const { enableOfflineQueue, enableReadyCheck: _perNode, ...nodeOptions } = { ...common, ...perRole };
  const clusterOptions: ClusterOptions = {
    // Ready only once CLUSTER INFO says the cluster serves every slot: a half-formed cluster
    // answers CLUSTERDOWN, which a producer would otherwise turn into 503s.
    enableReadyCheck: true,
    ...(enableOfflineQueue === false ? { enableOfflineQueue: false } : {}),
    redisOptions: {
      ...nodeOptions,
      ...(target.username ? { username: target.username } : {}),
      ...(target.password ? { password: target.password } : {}),
      ...(target.tls ? { tls: {} } : {}),
    },
  };
  const cluster = new Cluster(target.nodes, clusterOptions);
  cluster.on('+node', (node: Redis) => coalescingWrites(node));
  return cluster;
}

/**
 * The commands a connection sends in one run of the event loop's callbacks go out in one socket
 * write instead of one each. ioredis writes every command to its socket at once, and each write
 * is a system call: in the all-out run they were a tenth of the worker's CPU, most of it in bursts
 * where a batch of jobs resumed together each sent their next commands. The socket is corked at the
 * first write and uncorked on the next tick, which Node runs once the current callback and every
 * promise continuation it released have run, before the loop turns: nothing waits an extra turn.
 * The bytes, their order and the replies' order are the same; only the number of writes changes
 * (docs/benchmarks.md, "Redis writes, coalesced per tick"). Each new socket (a reconnect) is set up
 * again on `connect`.
 */
function coalescingWrites<T extends Redis>(redis: T): T {
  redis.on('connect', () => {
    const socket = redis.stream;
    const write = socket.write;
    let corked = false;
    const uncork = () => {
      corked = false;
      socket.uncork();
    };
    socket.write = function (this: typeof socket, ...args: Parameters<typeof socket.write>) {
      if (!corked) {
        corked = true;
        socket.cork();
        process.nextTick(uncork);
      }
      return write.apply(this, args);
    } as typeof socket.write;
  });
  return redis;
}

/**
 * The hash tag of a key prefix, as Redis Cluster computes it: what lies between the first `{` and
 * the first `}` after it, when not empty. Every key we use starts with the prefix, so a tag puts
 * them all in one slot, which BullMQ's multi-key scripts and our own MULTI/pipelines need.
 */
export function hashTag(prefix: string): string | null {
  const open = prefix.indexOf('{');
  if (open < 0) return null;
  const close = prefix.indexOf('}', open + 1);
  if (close < 0 || close === open + 1) return null;
  return prefix.slice(open + 1, close);
}

/** Refuses a prefix without a hash tag on a cluster: it would fail later with CROSSSLOT, job by job. */
export function assertClusterPrefix(connection: RedisConnection, prefix: string): void {
  if (isCluster(connection) && hashTag(prefix) === null) {
    throw new Error(
      `QUEUE_PREFIX "${prefix}" has no hash tag: on a Redis Cluster it must contain one, like "{payouts}"`,
    );
  }
}

/**
 * Warns when Redis may evict keys: an evicted job is a lost job. Recovery from Postgres would
 * still re-drive it, but slowly; production Redis for queues needs `noeviction` (infra/redis.conf).
 * On a cluster every master is asked: the first one that may evict is reported.
 */
export async function checkEvictionPolicy(redis: RedisConnection): Promise<string | null> {
  if (isCluster(redis)) {
    // The cluster's nodes are known once it has connected (a worker connection queues the PING).
    await redis.ping().catch(() => {});
  }
  const nodes: Redis[] = isCluster(redis) ? redis.nodes('master') : [redis];
  for (const node of nodes) {
    try {
      const reply = (await node.config('GET', 'maxmemory-policy')) as string[];
      const policy = reply[1] ?? 'unknown';
      if (policy !== 'noeviction') return policy;
    } catch {
      // CONFIG may be disabled on managed Redis; nothing to check then.
    }
  }
  return null;
}

/**
 * Resolves true once the connection is ready, or false after `timeoutMs`. A producer has no
 * offline queue (it must fail fast), so it refuses every command until then — and a cluster
 * becomes ready only after discovering its slots, well after the process starts: BullMQ's first
 * command on a fresh Queue would fail. Callers wait for this before building their queues.
 */
export function whenReady(connection: RedisConnection, timeoutMs: number): Promise<boolean> {
  if (connection.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const onReady = () => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      connection.off('ready', onReady);
      resolve(false);
    }, timeoutMs);
    timer.unref();
    connection.once('ready', onReady);
  });
}
