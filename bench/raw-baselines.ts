/**
 * 1. The raw baselines every figure is compared with, measured in the same run on this machine:
 * BullMQ addBulk and no-op processing, one job's add→process latency, Postgres single-row commits
 * with 20 clients and multi-row INSERTs of payout-sized rows. No engine code runs here.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { newId } from '@payouts/core';
import { Queue, Worker } from 'bullmq';
import { createBenchDatabase, rawClient } from './postgres.ts';
import { benchPrefix, benchRedis, deletePrefix } from './redis.ts';
import { type BenchContext, percentile, round, row } from './results.ts';

const JOBS = 50_000;
const CHUNK = 1000;
const NOOP_CONCURRENCY = 200;
const LATENCY_JOBS = 300;
const SINGLE_ROW_CLIENTS = 20;
const SINGLE_ROW_SECONDS = 5;
const BATCH_ROWS = 200_000;
const ROWS_PER_INSERT = 1000;
const BATCH_STREAMS = 2;

export async function run(ctx: BenchContext): Promise<void> {
  await bullmq(ctx);
  await postgres(ctx);
}

async function bullmq(ctx: BenchContext): Promise<void> {
  const prefix = benchPrefix('raw');
  const redis = benchRedis(ctx.redisUrl);
  const workerConnection = benchRedis(ctx.redisUrl);
  const queue = new Queue('raw', { connection: redis, prefix });
  try {
    // addBulk: 50k small jobs (a payout id, as our jobs carry), 1000 per call, one after another.
    const ids = Array.from({ length: JOBS }, () => newId('payout'));
    let t = performance.now();
    for (let i = 0; i < JOBS; i += CHUNK) {
      await queue.addBulk(
        ids
          .slice(i, i + CHUNK)
          .map((payoutId) => ({ name: 'raw', data: { payoutId }, opts: { removeOnComplete: true } })),
      );
    }
    const addBulkS = (performance.now() - t) / 1000;
    const addBulk = JOBS / addBulkS;
    ctx.baselines.set('bullmq.addBulk', addBulk);
    ctx.log(`  BullMQ addBulk: ${Math.round(addBulk)} jobs/s`);

    // No-op processing of those 50k jobs.
    let done = 0;
    let finished: () => void = () => {};
    const allDone = new Promise<void>((r) => {
      finished = r;
    });
    const worker = new Worker(
      'raw',
      async () => {
        if (++done === JOBS) finished();
      },
      { connection: workerConnection, prefix, concurrency: NOOP_CONCURRENCY, autorun: false },
    );
    t = performance.now();
    void worker.run();
    await allDone;
    const noopS = (performance.now() - t) / 1000;
    const noop = JOBS / noopS;
    ctx.baselines.set('bullmq.noop', noop);
    ctx.log(`  BullMQ no-op processing: ${Math.round(noop)} jobs/s`);

    // One job at a time: add → processor start, with the worker idle and waiting.
    const started = new Map<string, number>();
    const latencies: number[] = [];
    const hopConnection = benchRedis(ctx.redisUrl);
    const hop = new Worker(
      'hop',
      async (job) => {
        const t0 = job.id === undefined ? undefined : started.get(job.id);
        if (t0 !== undefined) latencies.push(performance.now() - t0);
      },
      { connection: hopConnection, prefix, concurrency: 10 },
    );
    const hopQueue = new Queue('hop', { connection: redis, prefix });
    await hop.waitUntilReady();
    await sleep(200);
    for (let i = 0; i < LATENCY_JOBS; i++) {
      const id = `hop-${i}`;
      started.set(id, performance.now());
      await hopQueue.add('hop', { i }, { jobId: id, removeOnComplete: true });
      await sleep(5);
    }
    await sleep(300);
    latencies.sort((a, b) => a - b);
    const hopP50 = percentile(latencies, 50);
    const hopP99 = percentile(latencies, 99);
    ctx.baselines.set('bullmq.hopP50', hopP50);
    ctx.baselines.set('bullmq.hopP99', hopP99);
    ctx.log(`  BullMQ add→process latency: p50 ${hopP50.toFixed(2)} ms, p99 ${hopP99.toFixed(2)} ms`);
    await hop.close();
    hopConnection.disconnect();
    await hopQueue.close();
    await worker.close();

    ctx.rows.push(
      row({
        key: 'raw.bullmq.addBulk',
        measurement: 'raw: BullMQ addBulk (50k jobs, 1000/call)',
        value: null,
        unit: 'jobs/s',
        baselineValue: addBulk,
        baselineLabel: 'jobs/s',
        target: 'reference ≈ 31,000/s',
        met: null,
        details: {
          jobs: JOBS,
          chunk: CHUNK,
          seconds: round(addBulkS, 3),
          vsDesignReference: round(addBulk / 31_000, 2),
        },
      }),
      row({
        key: 'raw.bullmq.noop',
        measurement: `raw: BullMQ no-op processing (concurrency ${NOOP_CONCURRENCY})`,
        value: null,
        unit: 'jobs/s',
        baselineValue: noop,
        baselineLabel: 'jobs/s',
        target: 'reference ≈ 23,000/s',
        met: null,
        details: {
          jobs: JOBS,
          concurrency: NOOP_CONCURRENCY,
          seconds: round(noopS, 3),
          vsDesignReference: round(noop / 23_000, 2),
        },
      }),
      row({
        key: 'raw.bullmq.hop',
        measurement: 'raw: BullMQ add→process latency, one job at a time',
        value: null,
        unit: 'ms',
        baselineValue: hopP50,
        baselineLabel: null,
        baseline: `p50 ${hopP50.toFixed(2)} / p99 ${hopP99.toFixed(2)} ms`,
        target: '—',
        met: null,
        details: { jobs: LATENCY_JOBS, p50Ms: round(hopP50, 3), p99Ms: round(hopP99, 3) },
      }),
    );
  } finally {
    await queue.close();
    await deletePrefix(redis, prefix);
    redis.disconnect();
    workerConnection.disconnect();
  }
}

/** A row shaped like a payout's: ids, amount, currency, status, provider, bank details as jsonb. */
const ROW_COLUMNS = '(id, tenant_id, amount, currency, status, provider, method, beneficiary, idempotency_key)';
const ROW_PARAMS = 9;
function rowParams(i: number): unknown[] {
  const id = newId('payout');
  return [
    id,
    'ten_01JBENCHTENANT000000000000',
    String(50_000 + (i % 1000)),
    'INR',
    'accepted',
    'razorpayx',
    'IMPS',
    JSON.stringify({
      name: 'Asha Rao',
      account_number: `1234567${String(i % 100000).padStart(5, '0')}`,
      bank_code: 'HDFC0001234',
    }),
    id,
  ];
}
function placeholders(rows: number): string {
  const out: string[] = [];
  for (let r = 0; r < rows; r++) {
    const b = r * ROW_PARAMS;
    out.push(
      `($${b + 1}, $${b + 2}, $${b + 3}::bigint, $${b + 4}, $${b + 5}, $${b + 6}, $${b + 7}, $${b + 8}::jsonb, $${b + 9})`,
    );
  }
  return out.join(', ');
}

async function postgres(ctx: BenchContext): Promise<void> {
  const db = await createBenchDatabase(ctx.adminUrl);
  try {
    const handle = await db.open(SINGLE_ROW_CLIENTS);
    const sql = rawClient(handle);
    await sql.unsafe(`create table bench_rows (
      id text primary key, tenant_id text not null, amount bigint not null, currency text not null,
      status text not null, provider text not null, method text not null, beneficiary jsonb not null,
      idempotency_key text not null, created_at timestamptz not null default now())`);

    // Single-row commits: 20 clients, each INSERT its own transaction (autocommit), for 5 s.
    const single = `insert into bench_rows ${ROW_COLUMNS} values ${placeholders(1)}`;
    let commits = 0;
    const deadline = performance.now() + SINGLE_ROW_SECONDS * 1000;
    let t = performance.now();
    await Promise.all(
      Array.from({ length: SINGLE_ROW_CLIENTS }, async () => {
        while (performance.now() < deadline) {
          await sql.unsafe(single, rowParams(commits));
          commits++;
        }
      }),
    );
    const singleS = (performance.now() - t) / 1000;
    const singleRate = commits / singleS;
    ctx.baselines.set('pg.singleRowCommits', singleRate);
    ctx.log(`  Postgres single-row commits (${SINGLE_ROW_CLIENTS} clients): ${Math.round(singleRate)}/s`);

    // Batched: multi-row INSERTs of 1000 rows, two streams at once, 200k rows.
    await sql.unsafe('truncate bench_rows');
    const multi = `insert into bench_rows ${ROW_COLUMNS} values ${placeholders(ROWS_PER_INSERT)}`;
    const statements = BATCH_ROWS / ROWS_PER_INSERT;
    let next = 0;
    t = performance.now();
    await Promise.all(
      Array.from({ length: BATCH_STREAMS }, async () => {
        while (next < statements) {
          const s = next++;
          const params: unknown[] = [];
          for (let r = 0; r < ROWS_PER_INSERT; r++) params.push(...rowParams(s * ROWS_PER_INSERT + r));
          await sql.unsafe(multi, params);
        }
      }),
    );
    const batchS = (performance.now() - t) / 1000;
    const batchRate = BATCH_ROWS / batchS;
    ctx.baselines.set('pg.batchedInsertRows', batchRate);
    ctx.log(`  Postgres batched inserts: ${Math.round(batchRate)} rows/s`);

    ctx.rows.push(
      row({
        key: 'raw.pg.singleRowCommits',
        measurement: `raw: Postgres single-row commits (${SINGLE_ROW_CLIENTS} clients)`,
        value: null,
        unit: 'commits/s',
        baselineValue: singleRate,
        baselineLabel: 'commits/s',
        target: 'reference ≈ 12,000/s',
        met: null,
        details: { commits, seconds: round(singleS, 3), vsDesignReference: round(singleRate / 12_000, 2) },
      }),
      row({
        key: 'raw.pg.batchedInsert',
        measurement: `raw: Postgres multi-row INSERT (${ROWS_PER_INSERT} payout-sized rows, ${BATCH_STREAMS} streams)`,
        value: null,
        unit: 'rows/s',
        baselineValue: batchRate,
        baselineLabel: 'rows/s',
        target: 'reference ≈ 137,000/s',
        met: null,
        details: { rows: BATCH_ROWS, seconds: round(batchS, 3), vsDesignReference: round(batchRate / 137_000, 2) },
      }),
    );
  } finally {
    await db.drop();
  }
}
