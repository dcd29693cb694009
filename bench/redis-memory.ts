/**
 * 7. Redis bytes per payout in flight: `INFO memory` used_memory before and after 20,000 payouts'
 * poll jobs are waiting (delayed, exactly as the worker's ensurePolling adds them through
 * @payouts/queue, job options included), divided by 20,000; cross-checked with MEMORY USAGE summed
 * over the prefix's keys. Baseline: the same number of bare delayed BullMQ jobs (empty data,
 * default options). Target (docs/benchmarks.md): ≤ 2 KB.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { newId } from '@payouts/core';
import { createRedis, jobIds, jobOptions, Queues } from '@payouts/queue';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { benchPrefix, benchRedis, deletePrefix } from './redis.ts';
import { type BenchContext, round, row } from './results.ts';

const PAYOUTS = 20_000;

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? Number.NaN);
}

async function keyBytes(redis: Redis, prefix: string): Promise<{ keys: number; bytes: number }> {
  let cursor = '0';
  let keys = 0;
  let bytes = 0;
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    if (batch.length > 0) {
      const pipeline = redis.pipeline();
      for (const k of batch) pipeline.memory('USAGE', k);
      for (const [, v] of (await pipeline.exec()) ?? []) bytes += Number(v ?? 0);
      keys += batch.length;
    }
    cursor = next;
  } while (cursor !== '0');
  return { keys, bytes };
}

/** used_memory delta and key bytes of what `fill` writes under `prefix`, per payout. */
async function measure(redis: Redis, prefix: string, fill: () => Promise<void>) {
  await sleep(200);
  const before = await usedMemory(redis);
  await fill();
  await sleep(200);
  const after = await usedMemory(redis);
  const keys = await keyBytes(redis, prefix);
  return {
    usedMemoryDelta: after - before,
    perPayout: (after - before) / PAYOUTS,
    keyBytesPerPayout: keys.bytes / PAYOUTS,
    keys: keys.keys,
  };
}

export async function run(ctx: BenchContext): Promise<void> {
  const redis = benchRedis(ctx.redisUrl);
  const ours = benchPrefix('mem');
  const raw = benchPrefix('memraw');
  const producer = createRedis(ctx.redisUrl, 'worker');
  const queues = new Queues(producer, ours);
  const bare = new Queue('bare', { connection: producer, prefix: raw });
  try {
    const ids = Array.from({ length: PAYOUTS }, () => newId('payout'));
    // Create the queues' meta keys first, so they are not counted per payout.
    await queues.provider('razorpayx').waitUntilReady();
    await bare.waitUntilReady();

    const baseline = await measure(redis, raw, async () => {
      for (let i = 0; i < PAYOUTS; i += 1000) {
        await bare.addBulk(ids.slice(i, i + 1000).map(() => ({ name: 'job', data: {}, opts: { delay: 600_000 } })));
      }
    });
    await deletePrefix(redis, raw);
    const engine = await measure(redis, ours, async () => {
      for (let i = 0; i < PAYOUTS; i += 1000) {
        await queues.provider('razorpayx').addBulk(
          ids.slice(i, i + 1000).map((payoutId) => ({
            name: 'poll',
            data: { payoutId, attempt: 3 },
            opts: jobOptions('poll', { jobId: jobIds.poll(payoutId), delay: 600_000 }),
          })),
        );
      }
    });
    ctx.log(
      `  ${Math.round(engine.perPayout)} B/payout (used_memory), ${Math.round(engine.keyBytesPerPayout)} B by MEMORY USAGE; ` +
        `bare delayed job ${Math.round(baseline.perPayout)} B`,
    );
    ctx.rows.push(
      row({
        key: 'redis.bytesPerPayout',
        measurement: `Redis per payout in flight (${PAYOUTS.toLocaleString('en-US')} delayed poll jobs)`,
        value: engine.perPayout,
        unit: 'B',
        ours: `${Math.round(engine.perPayout).toLocaleString('en-US')} B (keys ${Math.round(engine.keyBytesPerPayout).toLocaleString('en-US')} B)`,
        baselineValue: baseline.perPayout,
        baselineLabel: null,
        baseline: `${Math.round(baseline.perPayout).toLocaleString('en-US')} B bare delayed job`,
        target: '≤ 2 KB',
        met: engine.perPayout <= 2048,
        details: {
          payouts: PAYOUTS,
          engine: {
            ...engine,
            perPayout: round(engine.perPayout, 1),
            keyBytesPerPayout: round(engine.keyBytesPerPayout, 1),
          },
          bare: {
            ...baseline,
            perPayout: round(baseline.perPayout, 1),
            keyBytesPerPayout: round(baseline.keyBytesPerPayout, 1),
          },
        },
      }),
    );
  } finally {
    await queues.close();
    await bare.close();
    producer.disconnect();
    await deletePrefix(redis, ours);
    await deletePrefix(redis, raw);
    redis.disconnect();
  }
}
