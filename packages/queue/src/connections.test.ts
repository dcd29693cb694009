import { once } from 'node:events';
import type { Socket } from 'node:net';
import { baseEnv, parseEnv, parseRedisUrl, z } from '@payouts/config';
import { socketWrites } from '@payouts/testing';
import { Cluster, Redis } from 'ioredis';
import { describe, expect, test } from 'vitest';
import { assertClusterPrefix, createRedis, hashTag, isCluster } from './connections.ts';

describe('REDIS_URL', () => {
  test('a redis:// URL is one server, passed on as it is', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6379/2')).toEqual({ mode: 'standalone', url: 'redis://127.0.0.1:6379/2' });
  });

  test('redis+cluster:// lists the startup nodes, with credentials and TLS', () => {
    expect(parseRedisUrl('redis+cluster://10.0.0.1:7000,10.0.0.2:7001')).toEqual({
      mode: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
      ],
      username: undefined,
      password: undefined,
      tls: false,
    });
    expect(parseRedisUrl('rediss+cluster://app:s%40cret@redis-a:6380,redis-b:6380')).toMatchObject({
      mode: 'cluster',
      nodes: [
        { host: 'redis-a', port: 6380 },
        { host: 'redis-b', port: 6380 },
      ],
      username: 'app',
      password: 's@cret',
      tls: true,
    });
  });

  test('a cluster node without a port is refused at start, naming REDIS_URL', () => {
    expect(() => parseEnv(z.object(baseEnv), { DATABASE_URL: 'x', REDIS_URL: 'redis+cluster://a:7000,b' })).toThrow(
      /REDIS_URL: cluster node "b" is not host:port/,
    );
  });

  test('createRedis gives a Cluster for a cluster URL and a Redis otherwise', () => {
    const cluster = createRedis('redis+cluster://127.0.0.1:1,127.0.0.1:2', 'worker', { lazyConnect: true });
    const single = createRedis('redis://127.0.0.1:1', 'producer', { lazyConnect: true });
    try {
      expect(cluster).toBeInstanceOf(Cluster);
      expect(isCluster(cluster)).toBe(true);
      // BullMQ refuses a blocking connection that gives up on requests; producers fail fast.
      expect((cluster as Cluster).options.redisOptions?.maxRetriesPerRequest).toBeNull();
      expect((cluster as Cluster).options.enableReadyCheck).toBe(true);
      expect(single).toBeInstanceOf(Redis);
      expect((single as Redis).options.maxRetriesPerRequest).toBe(1);
    } finally {
      cluster.disconnect();
      single.disconnect();
    }
  });
});

describe('hash-tagged prefixes', () => {
  test('the tag is what lies between the first { and the next }', () => {
    expect(hashTag('{payouts}')).toBe('payouts');
    expect(hashTag('eu:{payouts}:x')).toBe('payouts');
    expect(hashTag('payouts')).toBeNull();
    expect(hashTag('{}payouts')).toBeNull();
    expect(hashTag('{payouts')).toBeNull();
  });

  test('a prefix without a tag is refused on a cluster, accepted on one server', () => {
    const cluster = createRedis('redis+cluster://127.0.0.1:1', 'worker', { lazyConnect: true });
    const single = createRedis('redis://127.0.0.1:1', 'worker', { lazyConnect: true });
    try {
      expect(() => assertClusterPrefix(cluster, 'payouts')).toThrow(/no hash tag/);
      expect(() => assertClusterPrefix(cluster, '{payouts}')).not.toThrow();
      expect(() => assertClusterPrefix(single, 'payouts')).not.toThrow();
    } finally {
      cluster.disconnect();
      single.disconnect();
    }
  });
});

describe('writes coalesced per tick', () => {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const key = `connections-test:${process.pid}:${Date.now()}`;
  const burst = (redis: Redis) =>
    Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        i % 2 === 0 ? redis.set(`${key}:${i}`, String(i), 'EX', 60) : redis.get(`${key}:${i - 1}`),
      ),
    );

  test('commands sent in one tick leave in one write, answered in order, also after a reconnect', async () => {
    const redis = createRedis(url, 'worker') as Redis;
    try {
      await redis.ping();
      const writes = await socketWrites([redis.stream as Socket], async () => {
        const answers = await burst(redis);
        expect(answers).toEqual(Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? 'OK' : String(i - 1))));
      });
      expect(writes).toBe(1);

      // A new socket after a reconnect is set up the same way.
      const before = redis.stream;
      redis.disconnect(true);
      await once(redis, 'ready');
      expect(redis.stream).not.toBe(before);
      expect(await socketWrites([redis.stream as Socket], () => burst(redis))).toBe(1);

      // Commands of separate turns of the loop are not held for one another.
      const separate = await socketWrites([redis.stream as Socket], async () => {
        await redis.get(`${key}:0`);
        await new Promise((resolve) => setImmediate(resolve));
        await redis.get(`${key}:2`);
      });
      expect(separate).toBe(2);
    } finally {
      await redis.del(...Array.from({ length: 25 }, (_, i) => `${key}:${2 * i}`));
      redis.disconnect();
    }
  });

  test('without it, the same burst is a write per command (what the coalescing saves)', async () => {
    const redis = new Redis(url, { maxRetriesPerRequest: null });
    try {
      await redis.ping();
      const writes = await socketWrites([redis.stream as Socket], () => burst(redis));
      expect(writes).toBeGreaterThan(25);
    } finally {
      await redis.del(...Array.from({ length: 25 }, (_, i) => `${key}:${2 * i}`));
      redis.disconnect();
    }
  });
});
