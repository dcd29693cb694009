/**
 * 3. Single `POST /v1/payouts` under a real HTTP load generator (autocannon, in a child process):
 * the API runs in this process (startApi + readApiEnv, as its main.ts), the reconciler and
 * workers do not — this measures ingestion: authenticate, validate, write (payout, its first
 * event, the idempotency record; concurrent requests share one statement), enqueue. Every request
 * has its own Idempotency-Key. Each run says how many requests shared a commit.
 * Target (docs/benchmarks.md): ≥ 4,000 req/s at p99 ≤ 25 ms. Baseline: raw Postgres single-row commits (20 clients).
 * Then the API as a process of its own, with one API process against two (bench/api-processes.ts).
 */
import { runApiProcesses } from './api-processes.ts';
import { runLoad } from './load-generator.ts';
import { Meter, usageText } from './meter.ts';
import { createBenchDatabase, createTenant } from './postgres.ts';
import { startProfiler } from './profiler.ts';
import { benchPrefix, benchRedis, deletePrefix } from './redis.ts';
import { type BenchContext, round, row } from './results.ts';
import { INR_PAYOUT, startSystem } from './system.ts';

const CONNECTIONS = [32, 64] as const;
const SECONDS = 15;
const WARMUP_SECONDS = 3;
const PROFILE_SECONDS = 5;

/**
 * The API's two ways of writing: its group commit (the default: requests arriving within
 * PAYOUT_GROUP_COMMIT_WINDOW_MS share one statement and one enqueue), and one statement per
 * request (PAYOUT_GROUP_COMMIT_MAX=1, what every request did before), measured in the same run so
 * that the machine's load at the time weighs on both alike.
 */
const MODES = [
  { key: '', label: 'group commit', env: {} },
  { key: 'ungrouped.', label: 'one statement per request', env: { PAYOUT_GROUP_COMMIT_MAX: '1' } },
] as const;

export async function run(ctx: BenchContext): Promise<void> {
  for (const mode of MODES) await runMode(ctx, mode);
  await runApiProcesses(ctx);
}

/** Statements written by the API's group commit so far, and the requests they carried. */
async function commitsOf(api: { registry: { getSingleMetric(name: string): unknown } }) {
  const metric = api.registry.getSingleMetric('payouts_api_payout_commit_size') as
    | { get(): Promise<{ values: { metricName?: string; value: number }[] }> }
    | undefined;
  const values = (await metric?.get())?.values ?? [];
  const of = (suffix: string) =>
    values.find((v) => v.metricName === `payouts_api_payout_commit_size${suffix}`)?.value ?? 0;
  return { statements: of('_count'), requests: of('_sum') };
}

async function runMode(ctx: BenchContext, mode: (typeof MODES)[number]): Promise<void> {
  ctx.log(`  ${mode.label}:`);
  const database = await createBenchDatabase(ctx.adminUrl);
  const prefix = benchPrefix('api');
  const redis = benchRedis(ctx.redisUrl);
  const meter = new Meter(redis, database.stats);
  const system = await startSystem({
    db: database,
    redisUrl: ctx.redisUrl,
    prefix,
    processing: false,
    env: { ...mode.env },
  });
  try {
    const setup = await database.open(2);
    const { key } = await createTenant(setup.db, 'api-bench');
    const load = (connections: number, durationS: number, tag: string) =>
      runLoad({
        url: system.api.url,
        path: '/v1/payouts',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(INR_PAYOUT),
        connections,
        durationS,
        keyPrefix: `bench-${tag}-${Date.now()}`,
      });
    await load(16, WARMUP_SECONDS, 'warmup');

    const commits = ctx.baselines.get('pg.singleRowCommits') ?? null;
    for (const connections of CONNECTIONS) {
      const before = await commitsOf(system.api);
      await meter.start();
      const result = await load(connections, SECONDS, `c${connections}`);
      const usage = await meter.stop();
      const after = await commitsOf(system.api);
      const statements = after.statements - before.statements;
      const perStatement = statements > 0 ? (after.requests - before.requests) / statements : null;
      const accepted = result.statusCodes['202'] ?? 0;
      const rps = accepted / result.durationS;
      ctx.log(
        `  ${connections} connections: ${Math.round(rps)} req/s (202s), p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms; ` +
          `${statements} statements, ${perStatement === null ? '—' : round(perStatement, 1)} requests each; ` +
          `${usageText(usage, { autocannon: result.cpuPct })}`,
      );
      if (result.non2xx > 0 || result.errors > 0)
        ctx.log(`  non-2xx ${result.non2xx}, errors ${result.errors}: ${JSON.stringify(result.statusCodes)}`);
      if (mode.key === '') ctx.baselines.set(`api.rps.c${connections}`, rps);
      ctx.rows.push(
        row({
          key: `api.single.${mode.key}c${connections}`,
          measurement: `POST /v1/payouts, ${connections} connections, ${SECONDS} s (${mode.label})`,
          value: rps,
          unit: 'req/s',
          ours: `${Math.round(rps).toLocaleString('en-US')} req/s, p50 ${result.latencyMs.p50} / p99 ${result.latencyMs.p99} ms, ${perStatement === null ? '—' : round(perStatement, 1)} req/commit`,
          baselineValue: commits,
          baselineLabel: 'PG single-row commits/s',
          target: '≥ 4,000 req/s at p99 ≤ 25 ms',
          met: rps >= 4000 && result.latencyMs.p99 <= 25,
          details: {
            ...result,
            acceptedPerSecond: round(rps, 1),
            statements,
            requestsPerStatement: perStatement,
            usage,
          },
        }),
      );
    }
    // Where the API's CPU goes: a short profiled run (not counted above), of the default mode.
    if (mode.key !== '') return;
    const profiler = await startProfiler();
    const profiled = await load(CONNECTIONS[0], PROFILE_SECONDS, 'profiled');
    const { cpuByPackage, topFunctions } = await profiler.stop();
    ctx.log(
      `  API CPU by package (profiled ${PROFILE_SECONDS} s, ${Math.round(profiled.rps)} req/s): ${cpuByPackage
        .slice(0, 12)
        .map((b) => `${b.name} ${b.pct}%`)
        .join(', ')}`,
    );
    ctx.rows.push(
      row({
        key: 'api.profile',
        measurement: `POST /v1/payouts: API CPU by package (profiled ${PROFILE_SECONDS} s)`,
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
        details: { rps: profiled.rps, cpuByPackage, topFunctions: topFunctions.slice(0, 25) },
      }),
    );
  } finally {
    await system.stop();
    await deletePrefix(redis, prefix);
    redis.disconnect();
    await database.drop();
  }
}
