/**
 * 10. The apps as separate processes, as production and `pnpm start` run them
 * (tests/scale/process-system.ts: sandbox, api, one reconciler, one worker).
 *
 * a. Start time and idle memory per app, tsx against compiled JavaScript (`pnpm build`, then
 *    `node dist/main.js`): each app started alone, one after the other, timed from spawn to its
 *    ready URL answering 200 (sandbox /healthz, api /readyz, worker and reconciler their metrics
 *    port's /healthz); VmRSS of each once all four have idled 5 s.
 * b. End to end with the compiled apps: N payouts posted through the API by autocannon as fast as
 *    it takes them, rate = N / (last `processed` − first `created_at`) as in the in-process
 *    measurement; per payout, Redis commands by command (INFO commandstats before and after, on a
 *    Redis server of its own so that only our commands count) and Postgres rows by table
 *    (pg_stat_user_tables.n_tup_ins, read once the apps have stopped and flushed their counters);
 *    event-loop delay p99 per process (payouts_event_loop_delay_seconds from each /metrics,
 *    before and after); BullMQ "Missing lock" errors counted in the children's logs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { rowsOf } from '@payouts/db';
import { sandboxProviderEnv } from '@payouts/providers';
import { type AppKind, AppProcess, type AppRuntime, freePort, inheritedEnv, tail } from '@payouts/testing';
import { sql } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { startProcessSystem } from '../tests/scale/process-system.ts';
import { runLoad } from './load-generator.ts';
import { machineBusyPct, machineCpu, pidCpuSeconds, procCpu, rssMb } from './meter.ts';
import { createBenchDatabase, createTenant } from './postgres.ts';
import {
  commandCalls,
  commandsPerPayout,
  countLines,
  lagBetween,
  privateRedis,
  rowsInserted,
  rowsPerPayout,
  scrapeLag,
  scrapeStalls,
  stallsBetween,
} from './process-readings.ts';
import { benchPrefix, benchRedis, deletePrefix } from './redis.ts';
import { type BenchContext, fmt, round, row } from './results.ts';
import { INR_PAYOUT } from './system.ts';

const APPS: AppKind[] = ['sandbox', 'api', 'reconciler', 'worker'];
const E2E_PAYOUTS = 3_000;
const E2E_WAIT_MS = 120_000;
export const E2E_ENV = {
  RAZORPAYX_CONCURRENCY: '1000',
  RAZORPAYX_RATE_PER_SECOND: '100000',
  KRAYON_RATE_PER_SECOND: '100000',
  THAI_GATEWAY_RATE_PER_SECOND: '100000',
  DRUO_RATE_PER_SECOND: '100000',
  POLL_FIRST_DELAY_MS: '50',
  POLL_FACTOR: '2',
  POLL_MAX_DELAY_MS: '1000',
  REVERSAL_WATCH_MS: '0',
  PROVIDER_TIMEOUT_MS: '10000',
  SWEEP_INTERVAL_MS: '60000',
  SWEEP_AFTER_MS: '120000',
  RATE_LIMIT_PER_SECOND: '1000000',
};

interface AppFootprint {
  startMs: number;
  idleRssMb: number;
}

/** a. Each app started alone, spawn → ready; then RSS of all four after 5 s idle. */
async function footprint(ctx: BenchContext, runtime: AppRuntime): Promise<Record<string, AppFootprint>> {
  const database = await createBenchDatabase(ctx.adminUrl);
  const prefix = benchPrefix(`start-${runtime}`);
  const logDir = mkdtempSync(join(tmpdir(), 'payouts-bench-start-'));
  const ports = {
    api: await freePort(),
    sandbox: await freePort(),
    worker: await freePort(),
    reconciler: await freePort(),
  };
  const env: NodeJS.ProcessEnv = {
    ...inheritedEnv(),
    DATABASE_URL: database.url,
    REDIS_URL: ctx.redisUrl,
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    PORT: String(ports.api),
    SANDBOX_PORT: String(ports.sandbox),
    ...sandboxProviderEnv(`http://127.0.0.1:${ports.sandbox}`),
  };
  const readyUrl: Record<AppKind, string> = {
    sandbox: `http://127.0.0.1:${ports.sandbox}/healthz`,
    api: `http://127.0.0.1:${ports.api}/readyz`,
    worker: `http://127.0.0.1:${ports.worker}/healthz`,
    reconciler: `http://127.0.0.1:${ports.reconciler}/healthz`,
  };
  const running: AppProcess[] = [];
  const out: Record<string, AppFootprint> = {};
  try {
    for (const kind of APPS) {
      const extra = kind === 'worker' || kind === 'reconciler' ? { METRICS_PORT: String(ports[kind]) } : {};
      const app = new AppProcess(kind, kind, { ...env, ...extra }, join(logDir, `${kind}.log`), () => {}, runtime);
      running.push(app);
      const t0 = performance.now();
      app.start();
      for (;;) {
        if (!app.alive) throw new Error(`${kind} (${runtime}) exited at start:\n${tail(app.logPath)}`);
        const ok = await fetch(readyUrl[kind], { signal: AbortSignal.timeout(2000) }).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) break;
        if (performance.now() - t0 > 180_000) throw new Error(`${kind} (${runtime}) not ready in 180 s`);
        await sleep(25);
      }
      out[kind] = { startMs: Math.round(performance.now() - t0), idleRssMb: Number.NaN };
    }
    await sleep(5000);
    for (const app of running) {
      const entry = out[app.kind];
      if (entry && app.pid !== undefined) entry.idleRssMb = round(rssMb(app.pid) ?? Number.NaN, 1);
    }
  } finally {
    await Promise.all(running.map((a) => a.stop('SIGTERM', 15_000)));
    const redis = benchRedis(ctx.redisUrl);
    await deletePrefix(redis, prefix);
    redis.disconnect();
    await database.drop();
    rmSync(logDir, { recursive: true, force: true });
  }
  return out;
}

/** b. End to end, compiled apps as processes, with the per-payout breakdown. */
async function endToEnd(ctx: BenchContext) {
  const { own, redis, database, logDir, system, stop } = await benchProcessSystem(ctx, 'procs-e2e', E2E_ENV);
  try {
    await system.sandboxConfig('razorpayx', { latencyMs: 0, progressDelayMs: 20 });
    const handle = await database.open(2);
    const { tenantId, key } = await createTenant(handle.db, 'procs-e2e');
    const metricsUrls: Record<string, string> = { api: `${system.apiUrl}/metrics`, ...system.metricsUrls };
    // Counters flushed (idle backends report within a second or so), then the readings before.
    await sleep(2000);
    const rowsBefore = await rowsInserted(handle.db);
    const lagBefore = Object.fromEntries(
      await Promise.all(Object.entries(metricsUrls).map(async ([n, u]) => [n, await scrapeLag(u)] as const)),
    );
    const stallsBefore = Object.fromEntries(
      await Promise.all(Object.entries(metricsUrls).map(async ([n, u]) => [n, await scrapeStalls(u)] as const)),
    );
    const cmdBefore = await commandCalls(redis);
    const cpuBefore = machineCpu();
    // Each app's CPU over the run, as a share of one core: a process near 100% is saturated, and
    // its event-loop delay is then the queue of work behind it.
    const appCpuBefore = system.apps.map((a) => (a.pid === undefined ? null : pidCpuSeconds(a.pid)));
    const serversBefore = serverCpu();
    const wallBefore = performance.now();
    const load = await runLoad({
      url: system.apiUrl,
      path: '/v1/payouts',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(INR_PAYOUT),
      connections: 64,
      amount: E2E_PAYOUTS,
      keyPrefix: `bench-procs-${Date.now()}`,
    });
    const accepted = load.statusCodes['202'] ?? 0;
    const deadline = performance.now() + E2E_WAIT_MS;
    let processed = 0;
    while (performance.now() < deadline) {
      const [r] = rowsOf<{ n: number }>(
        await handle.db.execute(
          sql`select count(*)::int as n from payouts where tenant_id = ${tenantId} and status in ('processed', 'failed', 'rejected', 'needs_attention')`,
        ),
      );
      processed = r?.n ?? 0;
      if (processed >= accepted) break;
      if (system.unexpectedExits.length > 0) throw new Error(system.unexpectedExits.join('\n'));
      await sleep(200);
    }
    const cpu = machineBusyPct(cpuBefore, machineCpu());
    const wallS = (performance.now() - wallBefore) / 1000;
    const appCpuS: Record<string, number | null> = Object.fromEntries(
      system.apps.map((a, i) => {
        const before = appCpuBefore[i];
        const after = a.pid === undefined ? null : pidCpuSeconds(a.pid);
        return [a.name, before == null || after == null ? null : after - before];
      }),
    );
    const serversAfter = serverCpu();
    const appCpuPct = Object.fromEntries(
      Object.entries(appCpuS).map(([n, s]) => [n, s === null ? null : round((100 * s) / wallS, 0)]),
    );
    // CPU per payout accepted, in ms: the apps, then Postgres's and Redis's processes.
    const perPayoutMs = (seconds: number | null) =>
      seconds === null ? null : round((seconds * 1000) / Math.max(1, accepted), 2);
    const cpuPerPayoutMs: Record<string, number | null> = {
      ...Object.fromEntries(Object.entries(appCpuS).map(([n, s]) => [n, perPayoutMs(s)])),
      postgres: perPayoutMs(serversAfter.postgres - serversBefore.postgres),
      redis: perPayoutMs(serversAfter.redis - serversBefore.redis),
    };
    const cmdAfter = await commandCalls(redis);
    const lag = Object.fromEntries(
      await Promise.all(
        Object.entries(metricsUrls).map(
          async ([n, u]) => [n, lagBetween(lagBefore[n] ?? new Map(), await scrapeLag(u))] as const,
        ),
      ),
    );
    const stalls = Object.fromEntries(
      await Promise.all(
        Object.entries(metricsUrls).map(async ([n, u]) => {
          const before = stallsBefore[n] ?? { stalledS: 0, cpuS: 0 };
          return [n, stallsBetween(before, await scrapeStalls(u))] as const;
        }),
      ),
    );
    const [span] = rowsOf<{ seconds: number | null; done: number }>(
      await handle.db.execute(sql`
        select extract(epoch from max(updated_at) - min(created_at))::float8 as seconds, count(*)::int as done
        from payouts where tenant_id = ${tenantId} and status = 'processed'`),
    );
    const pids = [...system.workers, ...system.reconcilers].map((p) => p.pid);
    const rss = Object.fromEntries(
      [...system.workers, ...system.reconcilers].map((p, i) => [p.name, round(rssMb(pids[i] ?? -1) ?? Number.NaN, 0)]),
    );
    await system.stop();
    // The apps' backends have exited and flushed their statistics.
    await sleep(1500);
    const rowsAfter = await rowsInserted(handle.db);
    const logs = APPS.flatMap((a) => (a === 'worker' || a === 'reconciler' ? [`${a}-1`] : [a])).map((n) =>
      join(logDir, `${n}.log`),
    );
    const done = span?.done ?? 0;
    const seconds = span?.seconds ?? Number.NaN;
    return {
      accepted,
      acceptRate: round(accepted / load.durationS, 1),
      processed: done,
      settledOrParked: processed,
      seconds: round(seconds, 2),
      rate: round(done / seconds, 1),
      machineCpuPct: cpu,
      appCpuPct,
      cpuPerPayoutMs,
      redisCommands: commandsPerPayout(cmdBefore, cmdAfter, Math.max(1, accepted)),
      redisServer: own ? 'own (only this measurement)' : 'shared (server-wide counts)',
      pgRows: rowsPerPayout(rowsBefore, rowsAfter, Math.max(1, accepted)),
      lag,
      stalls,
      missingLock: countLines(logs, 'Missing lock'),
      rssAfterMb: rss,
    };
  } finally {
    await stop();
  }
}

/**
 * The compiled sandbox, api, one reconciler and one worker as processes, on a database, a queue
 * prefix and (when one can be started) a Redis server of their own, with a Redis client on it;
 * `stop` stops the apps and removes all of it.
 */
export async function benchProcessSystem(ctx: BenchContext, name: string, env: Record<string, string>) {
  const own = await privateRedis();
  const redisUrl = own?.url ?? ctx.redisUrl;
  const database = await createBenchDatabase(ctx.adminUrl);
  const prefix = benchPrefix(name);
  const logDir = mkdtempSync(join(tmpdir(), `payouts-bench-${name}-`));
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const system = await startProcessSystem({
    databaseUrl: database.url,
    redisUrl,
    prefix,
    workers: 1,
    reconcilers: 1,
    logDir,
    runtime: 'dist',
    env,
  });
  const stop = async () => {
    await system.stop();
    await deletePrefix(redis, prefix).catch(() => {});
    // Closed before its server stops (a disconnect still pending would report the server gone).
    await redis.quit().catch(() => redis.disconnect());
    await database.drop();
    await own?.stop();
    rmSync(logDir, { recursive: true, force: true });
  };
  return { own, redis, database, prefix, logDir, system, stop };
}

export async function run(ctx: BenchContext): Promise<void> {
  const tsx = await footprint(ctx, 'tsx');
  const dist = await footprint(ctx, 'dist');
  for (const app of APPS) {
    const a = tsx[app];
    const b = dist[app];
    ctx.log(
      `  ${app.padEnd(10)} start ${a?.startMs} ms (tsx) → ${b?.startMs} ms (dist); idle RSS ${a?.idleRssMb} MB → ${b?.idleRssMb} MB`,
    );
    ctx.rows.push(
      row({
        key: `procs.start.${app}`,
        measurement: `${app}: start (spawn → ready) and idle RSS, node dist vs tsx`,
        value: b?.startMs ?? null,
        unit: 'ms',
        ours: `${b?.startMs} ms, ${b?.idleRssMb} MB`,
        baselineValue: a?.startMs ?? null,
        baselineLabel: null,
        baseline: `tsx ${a?.startMs} ms, ${a?.idleRssMb} MB`,
        target: '—',
        met: null,
        details: { tsx: a, dist: b },
      }),
    );
  }

  const e2e = await endToEnd(ctx);
  const lagText = Object.entries(e2e.lag)
    .map(
      ([n, l]) =>
        `${n} p99 ${l.p99Ms ?? '?'} ms (all ≤ ${l.maxBucketMs ?? '>5000'} ms; stalls over 50 ms ${e2e.stalls[n]?.stalledS ?? '?'} s, on CPU ${e2e.stalls[n]?.onCpuPct ?? '-'}% of it)`,
    )
    .join(', ');
  ctx.log(
    `  e2e, compiled apps as processes: ${e2e.accepted} accepted at ${fmt(e2e.acceptRate)}/s; ${e2e.processed} processed in ${e2e.seconds} s = ${fmt(e2e.rate)}/s (machine CPU ${e2e.machineCpuPct ?? '?'}%)`,
  );
  ctx.log(
    `    Redis commands per payout (${e2e.redisServer}): ${e2e.redisCommands.total} — ${JSON.stringify(e2e.redisCommands.byCommand)}`,
  );
  ctx.log(`    Postgres rows per payout: ${e2e.pgRows.total} — ${JSON.stringify(e2e.pgRows.byTable)}`);
  ctx.log(`    event-loop delay: ${lagText}; "Missing lock" errors: ${e2e.missingLock}`);
  ctx.log(
    `    CPU per app, share of one core over the run: ${Object.entries(e2e.appCpuPct)
      .map(([n, pct]) => `${n} ${pct ?? '?'}%`)
      .join(', ')}`,
  );
  const engineMs = engineCpuPerPayoutMs(e2e.cpuPerPayoutMs);
  ctx.log(
    `    CPU per payout, ms: ${Object.entries(e2e.cpuPerPayoutMs)
      .map(([n, ms]) => `${n} ${ms ?? '?'}`)
      .join(', ')}; the engine (all but the sandbox) ${engineMs ?? '?'} ms, so at most ${
      engineMs ? fmt(round((os.cpus().length * 1000) / engineMs, 0)) : '?'
    }/s on this machine's ${os.cpus().length} cores`,
  );
  // Work per payout is only whole once every payout is: an unfinished run says so, with no verdict.
  const unfinished =
    e2e.processed < e2e.accepted ? ` (unfinished run: ${e2e.processed} of ${e2e.accepted} processed in the wait)` : '';
  const worstLag = Math.max(...Object.values(e2e.lag).map((l) => l.p99Ms ?? Number.POSITIVE_INFINITY));
  ctx.rows.push(
    row({
      key: 'procs.e2e',
      measurement: `end to end, compiled apps as processes, sandbox at once, ${E2E_PAYOUTS.toLocaleString('en-US')} via API`,
      value: e2e.rate,
      unit: 'payouts/s',
      ours: `${fmt(e2e.rate)} payouts/s; the engine's CPU ${engineMs ?? '?'} ms a payout`,
      baselineValue: null,
      baselineLabel: null,
      target: '≥ 1,000/s (issue 17)',
      met: e2e.processed === e2e.accepted && e2e.rate >= 1000,
      details: e2e,
    }),
    row({
      key: 'procs.redisPerPayout',
      measurement: 'Redis commands per payout, end to end (processes)',
      value: e2e.redisCommands.total,
      unit: 'commands',
      ours: `${e2e.redisCommands.total} (${Object.entries(e2e.redisCommands.byCommand)
        .slice(0, 4)
        .map(([c, n]) => `${c} ${n}`)
        .join(', ')}, …)${unfinished}`,
      baselineValue: null,
      baselineLabel: null,
      target: '≤ 60 (issue 17)',
      met: unfinished ? null : e2e.redisCommands.total <= 60,
    }),
    row({
      key: 'procs.rowsPerPayout',
      measurement: 'Postgres rows inserted per payout, end to end (processes)',
      value: e2e.pgRows.total,
      unit: 'rows',
      ours: `${e2e.pgRows.total} (${Object.entries(e2e.pgRows.byTable)
        .slice(0, 4)
        .map(([t, n]) => `${t} ${n}`)
        .join(', ')}, …)${unfinished}`,
      baselineValue: null,
      baselineLabel: null,
      target: '≤ 12 (issue 17)',
      met: unfinished ? null : e2e.pgRows.total <= 12,
    }),
    row({
      key: 'procs.lag',
      measurement: 'event-loop delay p99 per process during the e2e run; "Missing lock" errors',
      value: Number.isFinite(worstLag) ? worstLag : null,
      unit: 'ms',
      ours: `${lagText}; Missing lock ${e2e.missingLock}`,
      baselineValue: null,
      baselineLabel: null,
      target: 'p99 ≤ 100 ms, 0 lost locks',
      met: Number.isFinite(worstLag) && worstLag <= 100 && e2e.missingLock === 0,
    }),
  );
}

/**
 * CPU seconds so far of every Postgres process (backends and the server's own) and every Redis
 * server on this machine: the measurement's own Redis, and the machine's, which the tests share
 * (idle during a quiet run).
 */
function serverCpu(): { postgres: number; redis: number } {
  const sum = (m: Map<number, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  return {
    postgres: sum(procCpu((_, comm) => comm === 'postgres')),
    redis: sum(procCpu((_, comm) => comm === 'redis-server')),
  };
}

/** The engine's CPU per payout: every process of the run but the sandbox (the providers' double). */
function engineCpuPerPayoutMs(perPayout: Record<string, number | null>): number | null {
  let total = 0;
  for (const [name, ms] of Object.entries(perPayout)) {
    if (name === 'sandbox') continue;
    if (ms === null) return null;
    total += ms;
  }
  return round(total, 2);
}
