/**
 * 4. End to end: every app in this process (as scripts/start.ts runs them), real Postgres and
 * Redis, the sandbox on a free port; N payouts posted through the API by autocannon (a child
 * process) as fast as it takes them; measured from the first `created_at` to the last payout
 * `processed` in Postgres (the post is in the ledger by then). Once with the sandbox answering at
 * once, once with `latencyMs: 200` on every provider call (PATCH /_admin/razorpayx/config).
 * 5. Accept → submit latency: at half the maximum end-to-end rate, `provider_submissions.first_at`
 * (the worker's claim, just before its provider call) minus the payout's `created_at`.
 * A last, profiled run splits this process's CPU by package (node:inspector sampling profiler).
 * Targets (docs/benchmarks.md): ≥ 2,000/s; ≥ 1,500/s at 200 ms; accept → submit p50 ≤ 20 ms, p99 ≤ 100 ms.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { FINAL_STATUSES, PROVIDER_IDS } from '@payouts/core';
import { type Database, rowsOf } from '@payouts/db';
import { sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import { runLoad } from './load-generator.ts';
import { Meter, type Usage, usageText } from './meter.ts';
import { createBenchDatabase, createTenant } from './postgres.ts';
import { startProfiler } from './profiler.ts';
import { benchPrefix, benchRedis, deletePrefix } from './redis.ts';
import { type BenchContext, fmt, type Row, round, row } from './results.ts';
import { INR_PAYOUT, type System, startSystem } from './system.ts';

/** Payouts per run: about 25 s of the warm-up's rate, within these bounds (the whole bench must stay under 10 min). */
const MIN_PAYOUTS = 2_000;
const MAX_PAYOUTS = 10_000;
const RUN_SECONDS = 25;
const CONNECTIONS = 64;
const HALF_LOAD_SECONDS = 10;
const CONCURRENCY = 1000;
/** A run that has not finished by then is measured on what was processed (and says so). */
const WAIT_LIMIT_MS = 90_000;
const JOBS_PER_PAYOUT = 5; // accepted, submit, report(processing), poll, report(processed)

const ENV = {
  RAZORPAYX_CONCURRENCY: String(CONCURRENCY),
  RAZORPAYX_RATE_PER_SECOND: '100000',
  KRAYON_RATE_PER_SECOND: '100000',
  THAI_GATEWAY_RATE_PER_SECOND: '100000',
  DRUO_RATE_PER_SECOND: '100000',
  POLL_FIRST_DELAY_MS: '50',
  POLL_FACTOR: '2',
  POLL_MAX_DELAY_MS: '1000',
  REVERSAL_WATCH_MS: '0',
  PROVIDER_TIMEOUT_MS: '10000',
};

interface Flow {
  accepted: number;
  acceptSeconds: number;
  acceptRate: number;
  apiLatencyMs: { p50: number; p99: number };
  processed: number;
  byStatus: Record<string, number>;
  /** First created_at → last processed updated_at, per Postgres. */
  e2eSeconds: number;
  e2eRate: number;
  usage: Usage;
  autocannonCpuPct: number;
  /** Provider calls the run made, by kind (POST create, GET by id, GET list by reference). */
  sandboxRequests: Record<string, number>;
  /** Postgres commits and rows, and Redis commands (the whole server), per accepted payout. */
  workPerPayout: Record<string, number | null>;
}

async function work(db: Database, redis: Redis) {
  const [pg] = rowsOf<{ commits: number; inserted: number; updated: number }>(
    await db.execute(sql`select xact_commit::float8 as commits, tup_inserted::float8 as inserted,
      tup_updated::float8 as updated from pg_stat_database where datname = current_database()`),
  );
  const info = await redis.info('stats');
  return {
    commits: pg?.commits ?? 0,
    inserted: pg?.inserted ?? 0,
    updated: pg?.updated ?? 0,
    redisCommands: Number(/total_commands_processed:(\d+)/.exec(info)?.[1] ?? 0),
  };
}

export async function run(ctx: BenchContext): Promise<void> {
  const database = await createBenchDatabase(ctx.adminUrl);
  const prefix = benchPrefix('e2e');
  const redis = benchRedis(ctx.redisUrl);
  const meter = new Meter(redis, database.stats);
  const system = await startSystem({
    db: database,
    redisUrl: ctx.redisUrl,
    prefix,
    processing: true,
    sandbox: { progressDelayMs: 20, latencyMs: 0 },
    env: ENV,
  });
  const setup = (await database.open(2)).db;
  const noop = ctx.baselines.get('bullmq.noop') ?? null;
  const bound = noop === null ? null : noop / JOBS_PER_PAYOUT;
  try {
    const flow = async (
      tag: string,
      options: { amount?: number; rate?: number; seconds?: number; waitMs?: number },
    ) => {
      const tenant = await createTenant(setup, `e2e-${tag}`);
      const requestsBefore = { ...system.sandboxRequests };
      const workBefore = await work(setup, redis);
      await meter.start();
      const load = await runLoad({
        url: system.api.url,
        path: '/v1/payouts',
        headers: { authorization: `Bearer ${tenant.key}`, 'content-type': 'application/json' },
        body: JSON.stringify(INR_PAYOUT),
        connections: options.rate ? 32 : CONNECTIONS,
        ...(options.amount ? { amount: options.amount } : { durationS: options.seconds ?? 10 }),
        ...(options.rate ? { overallRate: options.rate } : {}),
        keyPrefix: `bench-e2e-${tag}-${Date.now()}`,
      });
      const accepted = load.statusCodes['202'] ?? 0;
      if (load.non2xx > 0 || load.errors > 0)
        ctx.log(`  ${tag}: non-2xx ${load.non2xx}, errors ${load.errors}: ${JSON.stringify(load.statusCodes)}`);
      const byStatus = await waitForFinal(setup, tenant.tenantId, accepted, options.waitMs ?? WAIT_LIMIT_MS);
      const usage = await meter.stop();
      const workAfter = await work(setup, redis);
      const perPayout = (k: keyof typeof workAfter) =>
        accepted > 0 ? round((workAfter[k] - workBefore[k]) / accepted, 1) : null;
      const workPerPayout = {
        pgCommits: perPayout('commits'),
        pgRowsInserted: perPayout('inserted'),
        pgRowsUpdated: perPayout('updated'),
        redisCommandsServerWide: perPayout('redisCommands'),
      };
      const [span] = rowsOf<{ seconds: number | null }>(
        await setup.execute(sql`
          select extract(epoch from max(updated_at) - min(created_at))::float8 as seconds
          from payouts where tenant_id = ${tenant.tenantId} and status = 'processed'`),
      );
      const processed = byStatus.processed ?? 0;
      const sandboxRequests: Record<string, number> = {};
      for (const [kind, n] of Object.entries(system.sandboxRequests)) {
        const d = n - (requestsBefore[kind] ?? 0);
        if (d > 0) sandboxRequests[kind] = d;
      }
      const e2eSeconds = span?.seconds ?? Number.NaN;
      const result: Flow = {
        accepted,
        acceptSeconds: round(load.durationS, 2),
        acceptRate: round(accepted / load.durationS, 1),
        apiLatencyMs: { p50: load.latencyMs.p50, p99: load.latencyMs.p99 },
        processed,
        byStatus,
        e2eSeconds: round(e2eSeconds, 3),
        e2eRate: round(processed / e2eSeconds, 1),
        usage,
        autocannonCpuPct: load.cpuPct,
        sandboxRequests,
        workPerPayout,
      };
      ctx.log(
        `  ${tag}: ${accepted} accepted at ${Math.round(result.acceptRate)}/s; ${processed} processed in ${e2eSeconds.toFixed(1)} s ` +
          `= ${Math.round(result.e2eRate)}/s — ${usageText(usage, { autocannon: load.cpuPct })}`,
      );
      ctx.log(`    provider calls: ${JSON.stringify(sandboxRequests)}; per payout: ${JSON.stringify(workPerPayout)}`);
      return { ...result, tenantId: tenant.tenantId };
    };

    // Warm up (JIT, connection pools, prepared plans); its rate sizes the runs.
    const warm = await flow('warmup', { amount: 500 });
    const sized = (rate: number, seconds: number, max = MAX_PAYOUTS) =>
      Math.round(Math.min(max, Math.max(MIN_PAYOUTS, rate * seconds)) / 100) * 100;

    const fastPayouts = sized(warm.e2eRate * 1.5, RUN_SECONDS);
    const fast = await flow('0ms', { amount: fastPayouts });
    ctx.baselines.set('e2e.0ms', fast.e2eRate);

    // Accept → submit latency at half the maximum end-to-end rate.
    const halfRate = Math.max(10, Math.round(fast.e2eRate / 2));
    const half = await flow('half-load', { rate: halfRate, seconds: HALF_LOAD_SECONDS });
    const [lat] = rowsOf<{ p50: number; p99: number; n: number; done50: number; done99: number }>(
      await setup.execute(sql`
        select percentile_cont(0.5) within group (order by extract(epoch from s.first_at - p.created_at) * 1000)::float8 as p50,
               percentile_cont(0.99) within group (order by extract(epoch from s.first_at - p.created_at) * 1000)::float8 as p99,
               percentile_cont(0.5) within group (order by extract(epoch from p.updated_at - p.created_at) * 1000)::float8 as done50,
               percentile_cont(0.99) within group (order by extract(epoch from p.updated_at - p.created_at) * 1000)::float8 as done99,
               count(*)::int as n
        from payouts p join provider_submissions s on s.payout_id = p.id
        where p.tenant_id = ${half.tenantId}`),
    );
    // The same payouts, stage by stage: the reconciler's `reserved` event carries its batch's start time.
    const [stages] = rowsOf<Record<string, number>>(
      await setup.execute(sql`
        with t as (
          select p.created_at as accepted, s.first_at as claimed,
                 (select min(e.created_at) from payout_events e where e.payout_id = p.id and e.to_status = 'reserved') as reserved,
                 (select min(e.created_at) from payout_events e where e.payout_id = p.id and e.to_status = 'processing') as processing,
                 (select min(e.created_at) from payout_events e where e.payout_id = p.id and e.to_status = 'processed') as processed
          from payouts p join provider_submissions s on s.payout_id = p.id where p.tenant_id = ${half.tenantId})
        select percentile_cont(0.5) within group (order by extract(epoch from reserved - accepted) * 1000)::float8 as "acceptedToReservedBatchP50",
               percentile_cont(0.5) within group (order by extract(epoch from claimed - reserved) * 1000)::float8 as "reservedBatchToClaimP50",
               percentile_cont(0.5) within group (order by extract(epoch from processing - claimed) * 1000)::float8 as "claimToProcessingBatchP50",
               percentile_cont(0.5) within group (order by extract(epoch from processed - processing) * 1000)::float8 as "processingToProcessedBatchP50"
        from t`),
    );
    ctx.log(
      `  stages (p50 ms): ${Object.entries(stages ?? {})
        .map(([k, v]) => `${k.replace(/P50$/, '')} ${Math.round(v)}`)
        .join(', ')}`,
    );
    ctx.log(
      `  accept → submit at ${halfRate}/s: p50 ${lat?.p50.toFixed(1)} ms, p99 ${lat?.p99.toFixed(1)} ms (${lat?.n} payouts); ` +
        `accept → processed p50 ${lat?.done50.toFixed(0)} ms, p99 ${lat?.done99.toFixed(0)} ms`,
    );

    // The sandbox answering every call after 200 ms.
    await patchSandbox(system, { latencyMs: 200 });
    const slowPayouts = sized(fast.e2eRate, RUN_SECONDS);
    const slow = await flow('200ms', { amount: slowPayouts });
    await patchSandbox(system, { latencyMs: 0 });

    // Where this process's CPU goes, by package: a profiled run at full speed.
    const profiler = await startProfiler();
    const profiledPayouts = sized(fast.e2eRate, 10, 3_000);
    const profiled = await flow('profiled', { amount: profiledPayouts, waitMs: 45_000 });
    const { cpuByPackage, topFunctions } = await profiler.stop();
    ctx.log(
      `  CPU of this process by package (profiled run): ${cpuByPackage
        .slice(0, 12)
        .map((b) => `${b.name} ${b.pct}%`)
        .join(', ')}`,
    );
    ctx.log(
      `  hottest functions: ${topFunctions
        .slice(0, 6)
        .map((f) => `${f.name} ${f.pct}%`)
        .join('; ')}`,
    );

    const e2eRow = (key: string, label: string, f: Flow, target: number, extra: Record<string, unknown>): Row =>
      row({
        key,
        measurement: label,
        value: f.e2eRate,
        unit: 'payouts/s',
        ours:
          `${fmt(f.e2eRate)} payouts/s` +
          (f.processed !== f.accepted ? ` (${f.processed} of ${f.accepted} done in the wait)` : ''),
        baselineValue: bound,
        baselineLabel: `no-op BullMQ ÷ ${JOBS_PER_PAYOUT} jobs/payout`,
        target: `≥ ${target.toLocaleString('en-US')}/s`,
        met: f.processed === f.accepted && f.e2eRate >= target,
        ...(f.processed !== f.accepted ? { note: `${f.processed} of ${f.accepted} processed within the wait` } : {}),
        details: { ...f, ...extra },
      });
    ctx.rows.push(
      e2eRow('e2e.0ms', `end to end, sandbox at once, ${fastPayouts.toLocaleString('en-US')} via API`, fast, 2000, {
        payouts: fastPayouts,
        connections: CONNECTIONS,
        env: ENV,
      }),
      e2eRow(
        'e2e.200ms',
        `end to end, sandbox at 200 ms/call, ${slowPayouts.toLocaleString('en-US')} via API`,
        slow,
        1500,
        {
          payouts: slowPayouts,
          connections: CONNECTIONS,
          concurrencyBoundPerSecond: CONCURRENCY / 0.4,
          env: ENV,
        },
      ),
    );
    const hopP50 = ctx.baselines.get('bullmq.hopP50') ?? null;
    const hopP99 = ctx.baselines.get('bullmq.hopP99') ?? null;
    ctx.rows.push(
      row({
        key: 'e2e.acceptToSubmit',
        measurement: `accept → provider submit, at ${halfRate}/s (half of max e2e)`,
        value: lat?.p50 ?? null,
        unit: 'ms',
        ours: lat ? `p50 ${lat.p50.toFixed(1)} / p99 ${lat.p99.toFixed(1)} ms` : null,
        baselineValue: hopP50,
        baselineLabel: null,
        baseline: hopP50 === null ? null : `BullMQ hop p50 ${hopP50.toFixed(2)} / p99 ${hopP99?.toFixed(2)} ms`,
        target: 'p50 ≤ 20 ms, p99 ≤ 100 ms',
        met: lat ? lat.p50 <= 20 && lat.p99 <= 100 : null,
        details: {
          ratePerSecond: halfRate,
          seconds: HALF_LOAD_SECONDS,
          payouts: lat?.n,
          p50Ms: lat?.p50,
          p99Ms: lat?.p99,
          acceptToProcessedP50Ms: lat?.done50,
          acceptToProcessedP99Ms: lat?.done99,
          stagesP50Ms: stages,
          flow: half,
        },
      }),
      row({
        key: 'e2e.profile',
        measurement: `e2e process CPU by package (profiled run, ${profiledPayouts.toLocaleString('en-US')})`,
        value: null,
        unit: '',
        ours: cpuByPackage
          .filter((b) => !b.name.startsWith('('))
          .slice(0, 4)
          .map((b) => `${b.name} ${b.pct}%`)
          .join(', '),
        baselineValue: null,
        baselineLabel: null,
        target: '—',
        met: null,
        details: { flow: profiled, cpuByPackage, topFunctions: topFunctions.slice(0, 25) },
      }),
    );
  } finally {
    await system.stop();
    await deletePrefix(redis, prefix);
    redis.disconnect();
    await database.drop();
  }
}

async function patchSandbox(system: System, patch: Record<string, unknown>): Promise<void> {
  for (const provider of PROVIDER_IDS) {
    const res = await fetch(`${system.sandbox.url}/_admin/${provider}/config`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(patch),
    });
    if (!res.ok) throw new Error(`sandbox config ${provider}: ${res.status} ${await res.text()}`);
  }
}

/** Settled, or parked for an operator: either way the engine is done with it for this measurement. */
const FINAL: readonly string[] = [...FINAL_STATUSES, 'needs_attention'];

async function waitForFinal(
  db: Database,
  tenantId: string,
  expected: number,
  waitMs: number,
): Promise<Record<string, number>> {
  const deadline = performance.now() + waitMs;
  let byStatus: Record<string, number> = {};
  for (;;) {
    const rows = rowsOf<{ status: string; n: number }>(
      await db.execute(
        sql`select status, count(*)::int as n from payouts where tenant_id = ${tenantId} group by status`,
      ),
    );
    byStatus = Object.fromEntries(rows.map((r) => [r.status, r.n]));
    const final = FINAL.reduce((sum, s) => sum + (byStatus[s] ?? 0), 0);
    if (final >= expected || performance.now() > deadline) return byStatus;
    await sleep(100);
  }
}
