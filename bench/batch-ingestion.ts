/**
 * 8. Batch ingestion: `POST /v1/payout-batches` with `{items: [...], mode: "accept_valid"}`; the
 * answer (201/202, `{id, counts: {total, accepted, rejected}}`) means every accepted payout is
 * durable and enqueued. API in this process, reconciler and workers not running.
 * Target (docs/benchmarks.md): ≥ 20,000 payouts/s and ≥ 0.6 × raw BullMQ addBulk. While the route answers 404 (it
 * is being built), the row says "not available".
 */
import { performance } from 'node:perf_hooks';
import { payouts } from '@payouts/db';
import { must } from '@payouts/testing';
import { sql } from 'drizzle-orm';
import { Meter, usageText } from './meter.ts';
import { createBenchDatabase, createTenant } from './postgres.ts';
import { startProfiler } from './profiler.ts';
import { benchPrefix, benchRedis, deletePrefix } from './redis.ts';
import { type BenchContext, round, row } from './results.ts';
import { INR_PAYOUT, startSystem } from './system.ts';

const SIZES = [10_000, 50_000] as const;
const TARGET = '≥ 20,000/s and ≥ 0.6× addBulk';

export async function run(ctx: BenchContext): Promise<void> {
  const addBulk = ctx.baselines.get('bullmq.addBulk') ?? null;
  const database = await createBenchDatabase(ctx.adminUrl);
  const prefix = benchPrefix('batch');
  const redis = benchRedis(ctx.redisUrl);
  const meter = new Meter(redis, database.stats);
  const system = await startSystem({ db: database, redisUrl: ctx.redisUrl, prefix, processing: false });
  try {
    const setup = await database.open(2);
    const { key } = await createTenant(setup.db, 'batch-bench');
    const post = async (items: unknown[], idempotencyKey: string) => {
      const res = await fetch(`${system.api.url}/v1/payout-batches`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${key}`,
          'content-type': 'application/json',
          'idempotency-key': idempotencyKey,
        },
        body: JSON.stringify({ items, mode: 'accept_valid' }),
      });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {}
      return {
        status: res.status,
        body: body as { id?: string; counts?: { accepted?: number }; rows?: { accepted?: number } },
      };
    };

    const probe = await post([{ ...INR_PAYOUT, reference_id: 'probe-0' }], `bench-batch-probe-${Date.now()}`);
    if (probe.status === 404) {
      ctx.log('  POST /v1/payout-batches answers 404: not available yet');
      ctx.rows.push(
        row({
          key: 'batch.ingestion',
          measurement: 'batch ingestion (POST /v1/payout-batches)',
          value: null,
          unit: 'payouts/s',
          ours: 'not available (404)',
          baselineValue: addBulk,
          baselineLabel: 'BullMQ addBulk jobs/s',
          target: TARGET,
          met: null,
          note: 'the route answered 404 when the bench ran',
        }),
      );
      return;
    }
    if (probe.status !== 201 && probe.status !== 202) {
      throw new Error(`POST /v1/payout-batches answered ${probe.status}: ${JSON.stringify(probe.body).slice(0, 500)}`);
    }

    const runs: Record<string, unknown>[] = [];
    for (const size of SIZES) {
      const items = Array.from({ length: size }, (_, i) => ({ ...INR_PAYOUT, reference_id: `b${size}-${i}` }));
      await meter.start();
      const t = performance.now();
      const res = await post(items, `bench-batch-${size}-${Date.now()}`);
      const seconds = (performance.now() - t) / 1000;
      const usage = await meter.stop();
      if (res.status !== 201 && res.status !== 202) {
        throw new Error(`a batch of ${size} answered ${res.status}: ${JSON.stringify(res.body).slice(0, 500)}`);
      }
      const accepted = res.body.counts?.accepted ?? res.body.rows?.accepted ?? 0;
      const batchId = res.body.id ?? null;
      const [durable] = batchId
        ? await setup.db.select({ n: sql<number>`count(*)::int` }).from(payouts).where(sql`batch_id = ${batchId}`)
        : [];
      const rate = accepted / seconds;
      ctx.log(
        `  batch of ${size}: ${res.status}, ${accepted} accepted in ${seconds.toFixed(2)} s = ${Math.round(rate)}/s — ${usageText(usage)}`,
      );
      runs.push({
        size,
        status: res.status,
        accepted,
        seconds: round(seconds, 3),
        payoutsPerSecond: round(rate, 1),
        payoutRowsWhenAnswered: durable?.n ?? null,
        usage,
      });
    }
    // Where the API's CPU goes on a batch: one more batch of the first size, profiled (not counted above).
    const profiler = await startProfiler();
    await post(
      Array.from({ length: SIZES[0] }, (_, i) => ({ ...INR_PAYOUT, reference_id: `p-${i}` })),
      `bench-batch-profiled-${Date.now()}`,
    );
    const { cpuByPackage, topFunctions } = await profiler.stop();
    ctx.log(
      `  API CPU by package on a batch (profiled): ${cpuByPackage
        .slice(0, 12)
        .map((b) => `${b.name} ${b.pct}%`)
        .join(', ')}`,
    );
    const last = must(runs.at(-1), 'the last batch run');
    const rate = last.payoutsPerSecond as number;
    ctx.rows.push(
      row({
        key: 'batch.ingestion',
        measurement: `batch ingestion, ${(last.size as number).toLocaleString('en-US')} items (durable + enqueued)`,
        value: rate,
        unit: 'payouts/s',
        baselineValue: addBulk,
        baselineLabel: 'BullMQ addBulk jobs/s',
        target: TARGET,
        met: addBulk !== null && rate >= 20_000 && rate / addBulk >= 0.6,
        details: { runs, profile: { cpuByPackage, topFunctions: topFunctions.slice(0, 25) } },
      }),
    );
  } finally {
    await system.stop();
    await deletePrefix(redis, prefix);
    redis.disconnect();
    await database.drop();
  }
}
