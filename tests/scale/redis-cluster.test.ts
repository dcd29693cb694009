import type { Socket } from 'node:net';
import { verifyLedger } from '@payouts/ledger';
import { createRedis, hashTag } from '@payouts/queue';
import { must, socketWrites, waitFor } from '@payouts/testing';
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type RedisCluster, redisClusterUnavailable, startRedisCluster } from '../support/redis-cluster.ts';
import { client, createFundedTenant, inrPayout, startTestSystem, type TestSystem } from '../support/system.ts';

/**
 * The whole pipeline on a three-master Redis Cluster (REDIS_URL=redis+cluster://…): payouts over
 * several providers, one parked on the provider's low float and released by an operator, one
 * cancelled while queued on the wallet; all final, the ledger balanced, and every Redis key the
 * system wrote — BullMQ's, the provider gates', the limiters' — in the one hash slot of the prefix.
 */
const unavailable = redisClusterUnavailable();
if (unavailable) console.warn(`skipping the Redis Cluster tests: ${unavailable}`);

describe.skipIf(unavailable !== null)('on a Redis Cluster', () => {
  let cluster: RedisCluster;
  let system: TestSystem;
  let tenant: Awaited<ReturnType<typeof createFundedTenant>>;

  beforeAll(async () => {
    cluster = await startRedisCluster();
    system = await startTestSystem({ redisUrl: cluster.url });
    tenant = await createFundedTenant(system, 'clustered', { INR: 500_000_000, THB: 500_000_000, USD: 500_000_000 });
  });
  afterAll(async () => {
    await system?.stop();
    await cluster?.stop();
  });

  const bodies = {
    razorpayx: (i: number) => inrPayout({ amount: 10_000 + i, reference_id: `rzp-${i}` }),
    'thai-gateway': (i: number) => ({
      amount: 20_000 + i,
      currency: 'THB',
      method: 'bank_account',
      description: 'cluster payout',
      beneficiary: { name: 'John Doe', account_number: `1234564${String(i).padStart(3, '5')}`, bank_code: '004' },
    }),
    druo: (i: number) => ({
      amount: 5_000 + i,
      currency: 'USD',
      method: 'bank_account',
      description: 'cluster payout',
      beneficiary: { provider_account_id: `acc_b7c41206-afb4-4954-a15c-dbcd5935${String(5000 + i)}` },
    }),
    krayon: (i: number) => ({
      amount: 30_000 + i,
      currency: 'INR',
      provider: 'krayon',
      method: 'IMPS',
      description: 'cluster payout',
      beneficiary: {
        name: 'Elon Mush',
        first_name: 'elon',
        last_name: 'mush',
        email: 'elon@example.com',
        phone: '919895270111',
        country: 'IN',
        account_number: `1111117${String(i).padStart(3, '5')}`,
        bank_code: 'KKBK0000261',
        address: { line1: 'Address Line 1', country: 'IN' },
      },
    }),
  };

  async function post(body: Record<string, unknown>, api = tenant.api) {
    const res = await api('POST', '/v1/payouts', body, { 'idempotency-key': `cluster-${Math.random()}` });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    return res.body as { id: string; provider: string };
  }

  async function settle(id: string, status: string, api = tenant.api, timeoutMs = 60_000) {
    return waitFor(
      async () => {
        const res = await api('GET', `/v1/payouts/${id}`);
        return res.body.status === status ? res.body : undefined;
      },
      { timeoutMs, intervalMs: 100, message: `payout ${id} to reach ${status}` },
    );
  }

  async function sandbox(path: string, method = 'GET', body?: unknown) {
    const res = await fetch(`${system.sandbox.url}/_admin${path}`, {
      method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    expect(res.ok, `${method} ${path}: ${res.status}`).toBe(true);
    return res.json() as Promise<{ data: { reference: string | null; idempotency_key?: string | null }[] }>;
  }

  test('forty payouts over three providers all reach processed, each paid once', async () => {
    const providers = ['razorpayx', 'thai-gateway', 'druo'] as const;
    const posted = await Promise.all(
      Array.from({ length: 42 }, (_, i) => post(bodies[must(providers[i % providers.length], 'a provider')](i))),
    );
    expect(new Set(posted.map((p) => p.provider))).toEqual(new Set(providers));
    for (const p of posted) await settle(p.id, 'processed');
    for (const provider of providers) {
      const atProvider = (await sandbox(`/${provider}/payouts`)).data.map((row) => JSON.stringify(row));
      for (const p of posted.filter((x) => x.provider === provider)) {
        expect(
          atProvider.filter((row) => row.includes(p.id)),
          `${provider} payouts for ${p.id}`,
        ).toHaveLength(1);
      }
    }
  }, 240_000);

  test('a payout parked on the provider’s low float waits in queued, and goes once an operator says it is funded', async () => {
    await sandbox('/krayon/balance', 'POST', { amount: 0 });
    try {
      const parked = await post(bodies.krayon(1));
      const queued = await settle(parked.id, 'queued');
      expect(queued.queued_reason).toBe('provider_low_balance');
      // The worker marked the provider low through the cluster connection, under the prefix's slot.
      const owner = await slotOwner(`${system.prefix}:gate:krayon:low-balance`);
      expect(await cluster.node(owner).exists(`${system.prefix}:gate:krayon:low-balance`)).toBe(1);

      await sandbox('/krayon/balance', 'POST', { amount: 1_000_000_000_000 });
      const op = client(system.api.url, system.operatorKey);
      const funded = await op('POST', '/v1/admin/providers/krayon/funded', {});
      expect(funded.status).toBe(200);
      expect(funded.body).toMatchObject({ provider: 'krayon', was_low: true });
      await settle(parked.id, 'processed');
      expect(await cluster.node(owner).exists(`${system.prefix}:gate:krayon:low-balance`)).toBe(0);
    } finally {
      await sandbox('/krayon/balance', 'POST', { amount: 1_000_000_000_000 });
    }
  });

  test('a payout queued on a short wallet is cancelled, its hold never taken', async () => {
    const poor = await createFundedTenant(system, 'clustered-poor', 0);
    const waiting = await post(inrPayout({ amount: 20_000, queue_if_low_balance: true }), poor.api);
    await settle(waiting.id, 'queued', poor.api);
    const cancelled = await poor.api('POST', `/v1/payouts/${waiting.id}/cancel`);
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    const balances = await poor.api('GET', '/v1/balances');
    expect(balances.body.data.find((b: { currency: string }) => b.currency === 'INR') ?? { held: 0 }).toMatchObject({
      held: 0,
    });
  });

  test('the ledger balances to the unit, nothing left held', async () => {
    const report = await verifyLedger(system.db.db);
    expect(report.problems).toEqual([]);
    expect(report.totals.length).toBeGreaterThan(0);
    expect(report.totals.every((t) => t.sum === 0n)).toBe(true);
    const balances = await tenant.api('GET', '/v1/balances');
    for (const b of balances.body.data as { held: number }[]) expect(b.held).toBe(0);
  });

  /** The port of the master serving the slot of this key. */
  async function slotOwner(key: string): Promise<number> {
    const node = cluster.node(must(cluster.ports[0], 'a cluster port'));
    const slot = Number(await node.cluster('KEYSLOT', key));
    const ranges = await node.cluster('SLOTS');
    const master = ranges.find(([from, to]) => slot >= from && slot <= to)?.[2];
    if (!master) throw new Error(`no node serves slot ${slot}`);
    return master[1];
  }

  test('every key the system wrote carries the prefix’s hash tag and lives on that slot’s node alone', async () => {
    expect(hashTag(system.prefix)).not.toBeNull();
    const node = cluster.node(must(cluster.ports[0], 'a cluster port'));
    const slot = Number(await node.cluster('KEYSLOT', system.prefix));
    const owner = await slotOwner(system.prefix);

    const keysByNode = new Map<number, string[]>();
    for (const port of cluster.ports) {
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = await cluster.node(port).scan(cursor, 'COUNT', 1000);
        keys.push(...batch);
        cursor = next;
      } while (cursor !== '0');
      keysByNode.set(port, keys);
    }
    const ownKeys = must(keysByNode.get(owner), `the keys on ${owner}`);
    // This cluster is private to the test: any key elsewhere, or without the prefix, was built by hand without the tag.
    for (const [port, keys] of keysByNode) if (port !== owner) expect(keys, `keys on ${port}`).toEqual([]);
    expect(ownKeys.filter((k) => !k.startsWith(`${system.prefix}:`))).toEqual([]);
    for (const key of ownKeys.slice(0, 50)) expect(Number(await node.cluster('KEYSLOT', key)), key).toBe(slot);
    // What ran left its keys there: the reconciler's and the providers' queues.
    expect(ownKeys).toEqual(
      expect.arrayContaining([
        `${system.prefix}:reconciler:meta`,
        `${system.prefix}:provider-razorpayx:meta`,
        `${system.prefix}:provider-krayon:meta`,
      ]),
    );
  });
  test('each node’s connection sends the commands of one tick in one write', async () => {
    const redis = createRedis(cluster.url, 'worker') as Cluster;
    try {
      await redis.set('{coalesced}:probe', '1', 'EX', 60);
      // Only the connections opened so far (the probe's node's among them) have a socket.
      const sockets = redis
        .nodes('master')
        .map((n) => n.stream as Socket | undefined)
        .filter((socket) => socket !== undefined);
      expect(sockets.length).toBeGreaterThan(0);
      const writes = await socketWrites(sockets, async () => {
        const answers = await Promise.all(Array.from({ length: 40 }, () => redis.get('{coalesced}:probe')));
        expect(answers).toEqual(Array.from({ length: 40 }, () => '1'));
      });
      expect(writes).toBe(1);
    } finally {
      redis.disconnect();
    }
  });
});
