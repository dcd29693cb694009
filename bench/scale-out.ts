/**
 * 9. Scale-out: the apps as separate OS processes (tests/scale/process-system.ts, as
 * `pnpm start:*` runs them) — sandbox, API, and first 1 worker + 1 reconciler, then 2 workers + 2
 * reconcilers — each set on a fresh database and queue prefix, the sandbox answering every
 * provider call after 200 ms. N payouts are posted as one batch run through the API, and the rate
 * is N / (last `processed` `updated_at` − first `created_at`) in Postgres, as in the end-to-end
 * measurement. Each worker process runs RazorpayX at a concurrency of 10, so that what bounds a
 * process is the provider's latency (10 calls in flight at 200 ms each), not this shared 2-core
 * machine's CPU: a second worker process brings 10 more calls in flight, which is what scaling out
 * buys against a slow provider. No target (docs/benchmarks.md): the figures and their ratio are recorded.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { rowsOf } from '@payouts/db';
import { sql } from 'drizzle-orm';
import { startProcessSystem } from '../tests/scale/process-system.ts';
import { machineBusyPct, machineCpu } from './meter.ts';
import { createBenchDatabase, createTenant } from './postgres.ts';
import { benchPrefix, benchRedis, deletePrefix } from './redis.ts';
import { type BenchContext, fmt, round, row } from './results.ts';
import { INR_PAYOUT } from './system.ts';

const PAYOUTS = 500;
const CONCURRENCY = 10;
const LATENCY_MS = 200;
const WAIT_MS = 60_000;

interface ScaleRun {
  workers: number;
  reconcilers: number;
  payouts: number;
  processed: number;
  seconds: number;
  rate: number;
  /** The whole machine's CPU while the payouts flowed, in % of one core (200% = both cores). */
  machineCpuPct: number | null;
}

async function measure(ctx: BenchContext, workers: number, reconcilers: number): Promise<ScaleRun> {
  const database = await createBenchDatabase(ctx.adminUrl);
  const prefix = benchPrefix(`scale${workers}x${reconcilers}`);
  const logDir = mkdtempSync(join(tmpdir(), 'payouts-bench-scale-'));
  const redis = benchRedis(ctx.redisUrl);
  const system = await startProcessSystem({
    databaseUrl: database.url,
    redisUrl: ctx.redisUrl,
    prefix,
    workers,
    reconcilers,
    logDir,
    // Compiled, as production runs them (scripts/bench.ts builds first).
    runtime: 'dist',
    env: {
      WORKER_PROVIDERS: 'razorpayx',
      RAZORPAYX_CONCURRENCY: String(CONCURRENCY),
      RAZORPAYX_RATE_PER_SECOND: '100000',
      POLL_FIRST_DELAY_MS: '50',
      POLL_MAX_DELAY_MS: '1000',
      REVERSAL_WATCH_MS: '0',
      SWEEP_INTERVAL_MS: '60000',
      SWEEP_AFTER_MS: '120000',
    },
  });
  try {
    await system.sandboxConfig('razorpayx', { latencyMs: LATENCY_MS, progressDelayMs: 20 });
    const handle = await database.open(2);
    const { key } = await createTenant(handle.db, `scale-${workers}x${reconcilers}`);
    const before = machineCpu();
    const res = await system.call(
      'POST',
      '/v1/payout-batches',
      { items: Array.from({ length: PAYOUTS }, () => INR_PAYOUT) },
      key,
    );
    if (res.status !== 202) throw new Error(`batch: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
    const processed = async () =>
      Number(
        rowsOf<{ n: string | number }>(
          await handle.db.execute(sql`select count(*) as n from payouts where status = 'processed'`),
        )[0]?.n ?? 0,
      );
    const deadline = Date.now() + WAIT_MS;
    let done = 0;
    while (Date.now() < deadline) {
      done = await processed();
      if (done >= PAYOUTS) break;
      if (system.unexpectedExits.length > 0) throw new Error(system.unexpectedExits.join('\n'));
      await sleep(250);
    }
    const after = machineCpu();
    const [span] = rowsOf<{ seconds: number | string | null }>(
      await handle.db.execute(sql`
        select extract(epoch from max(updated_at) filter (where status = 'processed') - min(created_at))::float8 as seconds
        from payouts`),
    );
    const seconds = Number(span?.seconds ?? 0);
    return {
      workers,
      reconcilers,
      payouts: PAYOUTS,
      processed: done,
      seconds: round(seconds, 2),
      rate: seconds > 0 ? round(done / seconds, 1) : 0,
      machineCpuPct: machineBusyPct(before, after),
    };
  } finally {
    await system.stop();
    await deletePrefix(redis, prefix).catch(() => {});
    redis.disconnect();
    await database.drop();
    rmSync(logDir, { recursive: true, force: true });
  }
}

export async function run(ctx: BenchContext): Promise<void> {
  const runs: ScaleRun[] = [];
  for (const [workers, reconcilers] of [
    [1, 1],
    [2, 2],
  ] as const) {
    const r = await measure(ctx, workers, reconcilers);
    ctx.log(
      `  ${workers} worker + ${reconcilers} reconciler processes: ${r.processed}/${r.payouts} processed in ${r.seconds} s → ${fmt(r.rate)} payouts/s (machine CPU ${r.machineCpuPct ?? '?'}%)`,
    );
    runs.push(r);
  }
  const [one, two] = runs as [ScaleRun, ScaleRun];
  const label = (r: ScaleRun) =>
    `scale-out: ${r.workers} worker + ${r.reconcilers} reconciler processes (concurrency ${CONCURRENCY} each), sandbox at ${LATENCY_MS} ms, ${r.payouts} in a batch`;
  const ours = (r: ScaleRun) =>
    `${fmt(r.rate)} payouts/s` +
    (r.processed < r.payouts ? ` (${r.processed} of ${r.payouts} in ${WAIT_MS / 1000} s)` : '');
  ctx.rows.push(
    row({
      key: 'scale.1x1',
      measurement: label(one),
      value: one.rate,
      unit: 'payouts/s',
      ours: ours(one),
      baselineValue: null,
      baselineLabel: null,
      target: '—',
      met: null,
      details: { ...one, concurrencyPerWorker: CONCURRENCY, latencyMs: LATENCY_MS },
    }),
    row({
      key: 'scale.2x2',
      measurement: label(two),
      value: two.rate,
      unit: 'payouts/s',
      ours: ours(two),
      baselineValue: one.rate,
      baselineLabel: '1 + 1 processes',
      // No target figure: the ratio column says how much the second pair of processes added.
      target: '—',
      met: null,
      details: { ...two, concurrencyPerWorker: CONCURRENCY, latencyMs: LATENCY_MS },
    }),
  );
}
